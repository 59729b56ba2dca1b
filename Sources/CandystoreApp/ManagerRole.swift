public import AMQPClient
import BloodbankModel
public import CandystoreConfig
public import CandystoreHealth
public import CandystoreOps
import EventStore
public import EventStoreManager
import Foundation
public import Logging
import PostgresNIO
public import RedisClient
public import ServiceLifecycle

/// The Event Store Manager role (`candystore manager`), wired: AMQP consumer, PostgreSQL writer, Redis
/// announcer, and its `/health` + `/metrics` endpoint. The command, the integration-test harness and the ingest
/// benchmark all build it here.
public struct ManagerRole: Sendable {
    /// Everything the role is built from.
    public struct Configuration: Sendable {
        /// Shared servers and topology.
        public var shared: CandystoreConfiguration
        /// The manager's own tuning.
        public var manager: ManagerConfiguration
        /// The broker connection.
        public var amqp: AMQPConfiguration
        /// The Redis connection of the live-stream announcements.
        public var redis: RedisClient.Configuration
        /// Where `/health` and `/metrics` listen; nil runs no HTTP endpoint (embedded in tests).
        public var endpoint: HTTPEndpoint?

        /// Reads the role's settings.
        public init(settings: Settings) throws(ConfigurationError) {
            shared = try CandystoreConfiguration(settings: settings)
            manager = try ManagerConfiguration(settings: settings, shared: shared)
            amqp = try shared.amqpConfiguration(connectionName: "candystore-manager")
            redis = try shared.redisConfiguration(clientName: "candystore-manager")
            endpoint = try HTTPEndpoint(settings: settings, host: .managerHost, port: .managerPort)
        }

        /// Creates a configuration from its parts (tests, benchmarks).
        public init(
            shared: CandystoreConfiguration, manager: ManagerConfiguration, amqp: AMQPConfiguration,
            redis: RedisClient.Configuration, endpoint: HTTPEndpoint?
        ) {
            self.shared = shared
            self.manager = manager
            self.amqp = amqp
            self.redis = redis
            self.endpoint = endpoint
        }
    }

    /// The manager service.
    public let manager: EventStoreManager
    /// Its broker client.
    public let amqp: AMQPClient
    /// The services in start order (stopped in reverse): PostgreSQL pool, Redis, AMQP, manager, HTTP endpoint.
    public let services: [any Service]
    private let checker: HealthChecker

    /// Builds every part of the role.
    public init(configuration: Configuration, logger: Logger, metrics: (@Sendable () -> String)? = nil) {
        let amqp = AMQPClient(configuration: configuration.amqp, logger: logger)
        let postgres = PostgresClient(
            configuration: configuration.shared.database.clientConfiguration, backgroundLogger: logger)
        let redis = RedisClient(configuration: configuration.redis, logger: logger)
        let manager = EventStoreManager(
            configuration: configuration.manager,
            amqp: amqp,
            writer: EventWriter(client: postgres, logger: logger),
            stream: redis,
            topology: configuration.shared.topology,
            validator: configuration.shared.validator,
            logger: logger)
        let checker = HealthChecker(configuration: configuration.shared)
        var services: [any Service] = [postgres, redis, amqp, manager]
        if let endpoint = configuration.endpoint {
            services.append(
                RoleHTTPServer.application(
                    name: "manager", host: endpoint.host, port: endpoint.port,
                    health: { await Self.health(manager: manager, amqp: amqp, checker: checker) },
                    metrics: metrics ?? { "" }, logger: logger))
        }
        self.manager = manager
        self.amqp = amqp
        self.services = services
        self.checker = checker
    }

    /// The role's health: the servers, and whether the manager consumes.
    public func health() async -> HealthReport {
        await Self.health(manager: manager, amqp: amqp, checker: checker)
    }

    static func health(manager: EventStoreManager, amqp: AMQPClient, checker: HealthChecker) async -> HealthReport {
        let statistics = manager.statistics
        var details: JSONObject = [
            "running": .bool(statistics.running), "amqp_connected": .bool(amqp.isConnected),
            "stored": .number(JSONNumber(statistics.stored)),
            "duplicates": .number(JSONNumber(statistics.duplicates)),
            "conflicts": .number(JSONNumber(statistics.conflicts)),
            "dead_lettered": .number(JSONNumber(statistics.deadLettered)),
        ]
        if let position = statistics.lastPosition { details.append("last_position", .number(JSONNumber(position))) }
        if let depth = statistics.queueDepth { details.append("queue_depth", .number(JSONNumber(depth))) }
        if let error = statistics.lastStoreError { details.append("last_store_error", .string(error)) }
        if let at = statistics.lastCommitAt {
            details.append("last_commit_at", .string(ISO8601DateFormatter().string(from: at)))
        }
        return await checker.run(
            role: "manager", running: statistics.running && amqp.isConnected, details: details)
    }

    /// Runs the role until SIGTERM/SIGINT (the manager finishes and acknowledges the batch in flight).
    public func run(logger: Logger) async throws {
        try await runRole(services: services, isMain: { $0 is EventStoreManager }, logger: logger)
    }
}
