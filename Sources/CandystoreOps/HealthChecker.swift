import Bloodbank
import EventStore
import Foundation
import Logging
import PostgresNIO
import RedisClient

/// The health of one backing service.
public struct ComponentHealth: Sendable, Equatable {
    /// Service name: `postgres`, `rabbitmq`, `redis`.
    public var name: String
    /// Whether the service passed every check.
    public var healthy: Bool
    /// What was checked, or what is wrong.
    public var detail: String
    /// Time the check took, in milliseconds.
    public var latencyMilliseconds: Int
}

/// The health of every backing service, as `candystore health` prints it and `/health` returns it.
public struct HealthReport: Sendable, Equatable {
    /// One entry per service, in a stable order.
    public var components: [ComponentHealth]
    /// True when every component is healthy.
    public var healthy: Bool { components.allSatisfy(\.healthy) }
    /// Names of the unhealthy components.
    public var unhealthyNames: [String] { components.filter { !$0.healthy }.map(\.name) }
}

/// Runs real checks against the configured services: a PostgreSQL query (and the schema version), the
/// Bloodbank exchanges and queues through the RabbitMQ management API, and a Redis PING.
public struct HealthChecker: Sendable {
    /// A named check; returns a detail string or throws what is wrong.
    public typealias Check = @Sendable () async throws -> String

    private let checks: [(name: String, run: Check)]
    private let timeout: Duration

    /// Creates a checker from explicit checks (each gets `timeout`).
    public init(checks: [(name: String, run: Check)], timeout: Duration = .seconds(5)) {
        self.checks = checks
        self.timeout = timeout
    }

    /// The standard checks for a configuration: postgres, rabbitmq and redis.
    public init(configuration: CandystoreConfiguration, timeout: Duration = .seconds(5)) {
        let checks: [(name: String, run: Check)] = [
            ("postgres", { try await Self.checkPostgres(configuration.database) }),
            ("rabbitmq", { try await Self.checkRabbitMQ(configuration) }),
            ("redis", { try await Self.checkRedis(configuration.redisURL) }),
        ]
        self.init(checks: checks, timeout: timeout)
    }

    /// Runs every check concurrently, each bounded by the timeout.
    public func run() async -> HealthReport {
        let timeout = self.timeout
        let results = await withTaskGroup(of: (Int, ComponentHealth).self) { group in
            for (index, check) in checks.enumerated() {
                group.addTask {
                    let clock = ContinuousClock()
                    let start = clock.now
                    let outcome: Result<String, any Error>
                    do {
                        outcome = .success(try await withDeadline(timeout) { try await check.run() })
                    } catch {
                        outcome = .failure(error)
                    }
                    let elapsed = clock.now - start
                    let milliseconds =
                        Int(elapsed.components.seconds) * 1000
                        + Int(elapsed.components.attoseconds / 1_000_000_000_000_000)
                    switch outcome {
                    case .success(let detail):
                        return (
                            index,
                            ComponentHealth(
                                name: check.name, healthy: true, detail: detail, latencyMilliseconds: milliseconds)
                        )
                    case .failure(let error):
                        return (
                            index,
                            ComponentHealth(
                                name: check.name, healthy: false, detail: "\(error)", latencyMilliseconds: milliseconds)
                        )
                    }
                }
            }
            var collected: [(Int, ComponentHealth)] = []
            for await result in group { collected.append(result) }
            return collected
        }
        return HealthReport(components: results.sorted { $0.0 < $1.0 }.map(\.1))
    }

    /// Connects, runs `SELECT 1` and reads the applied schema version.
    static func checkPostgres(_ database: DatabaseConfiguration) async throws -> String {
        let logger = Logger(label: "candystore.health")
        do {
            let version = try await database.withConnection(logger: logger) { connection -> Int64? in
                let migrated =
                    try await connection.query(
                        "SELECT to_regclass('schema_migrations') IS NOT NULL", logger: logger
                    ).collect().first?.decode(Bool.self) ?? false
                guard migrated else { return nil }
                return try await connection.query("SELECT max(version) FROM schema_migrations", logger: logger)
                    .collect().first?.decode(Int64?.self)
            }
            guard let version else {
                throw ConfigurationError(
                    "database \(database.database) is reachable but not migrated (run candystore migrate up)")
            }
            return "\(database.host):\(database.port)/\(database.database) schema version \(version)"
        } catch let error as ConfigurationError {
            throw error
        } catch {
            throw ConfigurationError(EventStoreError.serverMessage(error))
        }
    }

    /// Sends PING on a fresh connection.
    static func checkRedis(_ url: String) async throws -> String {
        var configuration = try RedisConnection.Configuration(url: url)
        configuration.connectTimeout = .seconds(3)
        try await RedisConnection.withConnection(configuration: configuration) { connection in
            try await connection.ping()
        }
        return "\(configuration.host):\(configuration.port) PONG"
    }

    /// Checks through the management API that every Bloodbank exchange and queue exists.
    static func checkRabbitMQ(_ configuration: CandystoreConfiguration) async throws -> String {
        let client = try RabbitMQManagementClient(url: configuration.rabbitMQManagementURL)
        var missing: [String] = []
        for exchange in configuration.topology.exchanges where try await client.exchange(named: exchange.name) == nil {
            missing.append("exchange \(exchange.name)")
        }
        for queue in configuration.topology.queues where try await client.queue(named: queue.name) == nil {
            missing.append("queue \(queue.name)")
        }
        guard missing.isEmpty else {
            throw ConfigurationError(
                "missing " + missing.joined(separator: ", ") + " (run candystore topology declare)")
        }
        return
            "\(configuration.topology.exchanges.count) exchanges and \(configuration.topology.queues.count) queues present"
    }
}
