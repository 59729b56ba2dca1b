import AMQPClient
import Bloodbank
import BloodbankModel
import CandystoreApp
import CandystoreOps
import EventStore
import EventStoreManager
import Foundation
import Logging
import NIOCore
import PostgresNIO
import RedisClient
import Retry
import ServiceLifecycle

/// Runs a real Event Store Manager in-process against the real servers, isolated from everything else:
/// its own scratch database (migrated), its own exchanges and queues (unique names), the shared Redis.
struct ManagerHarness: Sendable {
    let id: String
    let topology: BloodbankTopology
    let database: DatabaseConfiguration
    let management: RabbitMQManagementClient
    let logger: Logger

    /// A uniquely named topology (exchanges and queue prefix) for one test.
    static func makeTopology(id: String) -> BloodbankTopology {
        BloodbankTopology(
            exchange: "test.\(id).events", deadLetterExchange: "test.\(id).dlx", queuePrefix: "test_\(id)_")
    }

    /// Creates the isolated resources, runs `body`, and removes them again.
    static func with<T: Sendable>(
        test: String = #function,
        _ body: (ManagerHarness) async throws -> T
    ) async throws -> T {
        let id = String(UUID().uuidString.lowercased().prefix(8))
        let configuration = IntegrationEnvironment.configuration
        let management = try RabbitMQManagementClient(url: configuration.rabbitMQManagementURL)
        let topology = makeTopology(id: id)
        var logger = Logger(label: "test.manager.\(id)")
        logger.logLevel =
            ProcessInfo.processInfo.environment["TEST_LOG_LEVEL"].flatMap(Logger.Level.init(rawValue:)) ?? .warning
        return try await IntegrationEnvironment.withScratchDatabase(test: test) { database in
            try await MigrationRunner(
                database: database, migrations: try Migration.load(from: IntegrationEnvironment.migrationsDirectory),
                logger: logger
            ).up()
            try await management.declare(topology)
            let harness = ManagerHarness(
                id: id, topology: topology, database: database, management: management, logger: logger)
            do {
                let result = try await body(harness)
                await harness.removeTopology()
                return result
            } catch {
                await harness.removeTopology()
                throw error
            }
        }
    }

    func removeTopology() async {
        for queue in topology.queues { try? await management.deleteQueue(named: queue.name) }
        try? await management.deleteExchange(named: topology.exchange)
        try? await management.deleteExchange(named: topology.deadLetterExchange)
    }

    /// A manager configuration for this harness's queues (small batches keep tests quick).
    var managerConfiguration: ManagerConfiguration {
        var configuration = ManagerConfiguration(topology: topology)
        configuration.streamChannel = "test:\(id):stream"
        configuration.retry.maximumDelay = .seconds(1)
        return configuration
    }

    /// Runs the manager (with its own AMQP, PostgreSQL and Redis clients) while `body` runs, then shuts it down
    /// gracefully and returns the manager's final statistics with the body's result.
    func runningManager<T: Sendable>(
        configuration: ManagerConfiguration? = nil,
        _ body: @Sendable (EventStoreManager) async throws -> T
    ) async throws -> T {
        // The same wiring as `candystore manager` (CandystoreApp.ManagerRole), on the test's database and queues.
        var shared = IntegrationEnvironment.configuration
        shared.database = database
        shared.topology = topology
        var amqpConfiguration = try shared.amqpConfiguration(connectionName: "test-manager-\(id)")
        amqpConfiguration.connectionName = "test-manager-\(id)"
        amqpConfiguration.reconnect.initialDelay = .milliseconds(100)
        amqpConfiguration.reconnect.maximumDelay = .seconds(1)
        let role = ManagerRole(
            configuration: .init(
                shared: shared, manager: configuration ?? managerConfiguration, amqp: amqpConfiguration,
                redis: try shared.redisConfiguration(), endpoint: nil),
            logger: logger)
        return try await withRunningServices(role.services, logger: logger) {
            try await body(role.manager)
        }
    }

    /// A publisher on a fresh connection (its own `AMQPClient` running while `body` runs).
    func withPublisher<T: Sendable>(_ body: @Sendable (BloodbankPublisher, AMQPClient) async throws -> T) async throws
        -> T
    {
        var amqpConfiguration = try AMQPConfiguration(url: IntegrationEnvironment.configuration.rabbitMQURL)
        amqpConfiguration.connectionName = "test-publisher-\(id)"
        let amqp = AMQPClient(configuration: amqpConfiguration, logger: logger)
        let publisher = BloodbankPublisher(
            client: amqp, exchange: topology.exchange, source: EventSource(host: "test", type: "test", app: "tests"))
        return try await withThrowingTaskGroup(of: T?.self) { tasks in
            tasks.addTask {
                try await amqp.run()
                return nil
            }
            defer { tasks.cancelAll() }
            return try await body(publisher, amqp)
        }
    }

    /// Rows in the scratch database's events table.
    func eventCount() async throws -> Int {
        try await IntegrationEnvironment.rows("SELECT count(*) FROM events", in: database).first!.decode(Int.self)
    }

    /// All positions in ascending order.
    func positions() async throws -> [Int64] {
        try await IntegrationEnvironment.rows("SELECT position FROM events ORDER BY position", in: database)
            .map { try $0.decode(Int64.self) }
    }

    /// Waits until `condition` holds, polling every 100 ms, failing after `timeout`.
    func waitUntil(
        timeout: Duration = .seconds(60), _ what: String, _ condition: @Sendable () async throws -> Bool
    ) async throws {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if try await condition() { return }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw HarnessTimeout(what: what, timeout: timeout)
    }

    struct HarnessTimeout: Error, CustomStringConvertible {
        let what: String
        let timeout: Duration
        var description: String { "timed out after \(timeout) waiting for \(what)" }
    }

    /// Publishes raw bytes to this harness's exchange (to inject malformed messages).
    func publishRaw(_ bytes: [UInt8], routingKey: String, amqp: AMQPClient, messageID: String? = nil) async throws {
        let confirm = try await amqp.basicPublish(
            exchange: topology.exchange, routingKey: routingKey, body: ByteBuffer(bytes: bytes),
            properties: AMQPProperties(contentType: "application/json", deliveryMode: 2, messageID: messageID),
            mandatory: true)
        guard case .ack = confirm else { throw HarnessTimeout(what: "publish confirm (\(confirm))", timeout: .zero) }
    }
}
