import AMQPClient
import ArgumentParser
import Bloodbank
import CandystoreOps
import EventStore
import EventStoreManager
import Foundation
import Logging
import PostgresNIO
import RedisClient
import ServiceLifecycle

/// `candystore manager`: runs the Event Store Manager until SIGTERM/SIGINT.
struct ManagerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "manager",
        abstract: "Consume every Bloodbank event, store it exactly once, project it, announce it on Redis.",
        discussion: """
            Settings: RABBITMQ_URL, DATABASE_URL, REDIS_URL, MANAGER_PORT (/health, /metrics),
            MANAGER_PREFETCH, MANAGER_BATCH_SIZE, MANAGER_BATCH_MAX_WAIT_MS, REDIS_STREAM_CHANNEL.
            SIGTERM/SIGINT: stop consuming, finish and commit the batch in flight, acknowledge it, close.
            """
    )

    @OptionGroup var global: GlobalOptions
    @Option(help: "Port of /health and /metrics (default MANAGER_PORT or 9464).") var port: Int?

    func run() async throws {
        let (configuration, logger) = try global.load(label: "candystore.manager")
        let settings = try Settings.load()
        let registry = MetricsBootstrap.bootstrap()
        var managerConfiguration = ManagerConfiguration(topology: configuration.topology)
        managerConfiguration.prefetch = UInt16(clamping: try settings.int("MANAGER_PREFETCH", default: 1000))
        managerConfiguration.batchSize = try settings.int("MANAGER_BATCH_SIZE", default: 500)
        managerConfiguration.batchMaxWait = .milliseconds(try settings.int("MANAGER_BATCH_MAX_WAIT_MS", default: 20))
        managerConfiguration.streamChannel = configuration.redisStreamChannel
        if managerConfiguration.batchSize < 1 { throw CommandFailure("MANAGER_BATCH_SIZE must be at least 1") }
        managerConfiguration.batchSize = min(managerConfiguration.batchSize, Int(managerConfiguration.prefetch))

        var amqpConfiguration = try AMQPConfiguration(url: configuration.rabbitMQURL)
        amqpConfiguration.connectionName = "candystore-manager@\(ProcessInfo.processInfo.hostName)"
        let amqp = AMQPClient(configuration: amqpConfiguration, logger: logger)
        let postgres = PostgresClient(
            configuration: configuration.database.clientConfiguration, backgroundLogger: logger)
        let redis = RedisClient(
            configuration: try RedisClient.Configuration(url: configuration.redisURL), logger: logger)
        let manager = EventStoreManager(
            configuration: managerConfiguration,
            amqp: amqp,
            writer: EventWriter(client: postgres, logger: logger),
            stream: redis,
            topology: configuration.topology,
            logger: logger)
        let checker = HealthChecker(configuration: configuration)
        let http = ManagerHTTPServer.application(
            host: settings.string("MANAGER_HOST", default: "127.0.0.1"),
            port: try port ?? settings.int("MANAGER_PORT", default: 9464),
            health: {
                let report = await checker.run()
                let statistics = manager.statistics
                let healthy = report.healthy && statistics.running && amqp.isConnected
                return (
                    healthy, ManagerHealth.body(report: report, statistics: statistics, amqpConnected: amqp.isConnected)
                )
            },
            metrics: { registry.emitToString() },
            logger: logger)
        let group = ServiceGroup(
            configuration: .init(
                services: [
                    .init(service: postgres), .init(service: redis), .init(service: amqp),
                    .init(
                        service: manager, successTerminationBehavior: .gracefullyShutdownGroup,
                        failureTerminationBehavior: .gracefullyShutdownGroup),
                    .init(service: http),
                ],
                gracefulShutdownSignals: [.sigterm, .sigint],
                logger: logger))
        try await group.run()
    }
}

/// The JSON body of the manager's `/health`.
enum ManagerHealth {
    static func body(report: HealthReport, statistics: ManagerStatistics, amqpConnected: Bool) -> [String: any Sendable]
    {
        var components: [String: any Sendable] = [:]
        for component in report.components {
            components[component.name] =
                [
                    "status": component.healthy ? "ok" : "down", "detail": component.detail,
                    "latency_ms": component.latencyMilliseconds,
                ] as [String: any Sendable]
        }
        var manager: [String: any Sendable] = [
            "running": statistics.running, "amqp_connected": amqpConnected, "stored": statistics.stored,
            "duplicates": statistics.duplicates, "conflicts": statistics.conflicts,
            "dead_lettered": statistics.deadLettered,
        ]
        if let position = statistics.lastPosition { manager["last_position"] = position }
        if let depth = statistics.queueDepth { manager["queue_depth"] = depth }
        if let error = statistics.lastStoreError { manager["last_store_error"] = error }
        if let at = statistics.lastCommitAt { manager["last_commit_at"] = ISO8601DateFormatter().string(from: at) }
        return [
            "status": report.healthy && statistics.running && amqpConnected ? "ok" : "unhealthy",
            "components": components, "manager": manager,
        ]
    }
}
