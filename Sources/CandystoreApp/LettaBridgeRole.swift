public import AMQPClient
import Bloodbank
public import BloodbankModel
public import CandystoreConfig
public import CandystoreHealth
public import CandystoreOps
import Foundation
public import LettaBridge
public import LettaClient
public import Logging
public import ServiceLifecycle

/// The Letta bridge role (`candystore letta-bridge`), wired: AMQP consumer and publisher, Letta client, and its
/// `/health` + `/metrics` endpoint.
public struct LettaBridgeRole: Sendable {
    /// Everything the role is built from.
    public struct Configuration: Sendable {
        /// Shared servers and topology.
        public var shared: CandystoreConfiguration
        /// The bridge's own tuning.
        public var bridge: LettaBridgeConfiguration
        /// The Letta server.
        public var letta: LettaClient.Configuration
        /// The broker connection.
        public var amqp: AMQPConfiguration
        /// `source` of the events the bridge publishes.
        public var source: EventSource
        /// Where `/health` and `/metrics` listen; nil runs no HTTP endpoint (embedded in tests).
        public var endpoint: HTTPEndpoint?

        /// Reads the role's settings.
        public init(settings: Settings) throws(ConfigurationError) {
            shared = try CandystoreConfiguration(settings: settings)
            bridge = try LettaBridgeConfiguration(settings: settings, shared: shared)
            letta = try LettaClient.Configuration(settings: settings)
            amqp = try shared.amqpConfiguration(connectionName: "candystore-letta-bridge")
            source = EventSource(
                host: settings.optionalString(.sourceHost) ?? ProcessInfo.processInfo.hostName, type: "service",
                app: "letta-bridge", meta: JSONObject())
            endpoint = try HTTPEndpoint(settings: settings, host: .bridgeHost, port: .bridgePort)
        }

        /// Creates a configuration from its parts (tests).
        public init(
            shared: CandystoreConfiguration, bridge: LettaBridgeConfiguration, letta: LettaClient.Configuration,
            amqp: AMQPConfiguration, source: EventSource, endpoint: HTTPEndpoint?
        ) {
            self.shared = shared
            self.bridge = bridge
            self.letta = letta
            self.amqp = amqp
            self.source = source
            self.endpoint = endpoint
        }
    }

    /// The bridge service.
    public let bridge: LettaBridge
    /// Its broker client.
    public let amqp: AMQPClient
    /// Its Letta client.
    public let letta: LettaClient
    /// The services in start order: AMQP, bridge, HTTP endpoint.
    public let services: [any Service]
    private let checker: HealthChecker

    /// Builds every part of the role.
    public init(configuration: Configuration, logger: Logger, metrics: (@Sendable () -> String)? = nil) {
        let amqp = AMQPClient(configuration: configuration.amqp, logger: logger)
        let letta = LettaClient(configuration: configuration.letta, logger: logger)
        let publisher = BloodbankPublisher(
            client: amqp, exchange: configuration.shared.topology.exchange, source: configuration.source)
        let bridge = LettaBridge(
            configuration: configuration.bridge,
            amqp: amqp,
            publisher: publisher,
            letta: letta,
            topology: configuration.shared.topology,
            validator: configuration.shared.validator,
            logger: logger)
        let shared = configuration.shared
        let checker = HealthChecker(checks: [
            ("rabbitmq", { try await HealthChecker.checkRabbitMQ(shared) }),
            (
                "letta",
                {
                    let health = try await letta.health()
                    return "\(configuration.letta.baseURL) \(health.status) \(health.version)"
                }
            ),
        ])
        var services: [any Service] = [amqp, bridge]
        if let endpoint = configuration.endpoint {
            services.append(
                RoleHTTPServer.application(
                    name: "letta-bridge", host: endpoint.host, port: endpoint.port,
                    health: { await Self.health(amqp: amqp, checker: checker) },
                    metrics: metrics ?? { "" }, logger: logger))
        }
        self.bridge = bridge
        self.amqp = amqp
        self.letta = letta
        self.services = services
        self.checker = checker
    }

    /// The role's health: RabbitMQ, Letta, and whether the bridge is connected.
    public func health() async -> HealthReport {
        await Self.health(amqp: amqp, checker: checker)
    }

    static func health(amqp: AMQPClient, checker: HealthChecker) async -> HealthReport {
        await checker.run(
            role: "letta-bridge", running: amqp.isConnected, details: ["amqp_connected": .bool(amqp.isConnected)])
    }

    /// Runs the role until SIGTERM/SIGINT.
    public func run(logger: Logger) async throws {
        try await runRole(services: services, isMain: { $0 is LettaBridge }, logger: logger)
    }
}
