public import CandystoreConfig
public import CandystoreHealth
public import CandystoreOps
public import EventStore
import Foundation
public import Logging
import PostgresNIO
import Prometheus

/// The composition root of the server binary: reads the settings once, bootstraps logging and metrics, and
/// builds each role (``ManagerRole``, ``APIRole``, ``LettaBridgeRole``) and operation (migrations, topology,
/// health) from typed configuration. Commands, test harnesses and benchmarks build through it; no library reads
/// the environment or builds its own pools, publishers or registries.
public struct CandystoreApp: Sendable {
    /// The settings of this process (environment over `.env` over defaults).
    public let settings: Settings
    /// The shared servers and topology.
    public let shared: CandystoreConfiguration
    /// The process's logger.
    public let logger: Logger

    /// Loads the settings once, checks the shared configuration and bootstraps logging.
    ///
    /// Unknown variables (typos of known ones) are logged as warnings; `candystore config` refuses them.
    public static func load(label: String, logLevel: String? = nil) throws(ConfigurationError) -> CandystoreApp {
        let settings = try Settings.load()
        let app = try CandystoreApp(settings: settings, label: label, logLevel: logLevel)
        for unknown in settings.unknown {
            let hint = unknown.suggestion.map { "; did you mean \($0)?" } ?? ""
            app.logger.warning("unknown setting \(unknown.name)\(Settings.origin(unknown.source))\(hint)")
        }
        return app
    }

    /// Builds the root from explicit settings (tests).
    public init(settings: Settings, label: String, logLevel: String? = nil) throws(ConfigurationError) {
        self.settings = settings
        shared = try CandystoreConfiguration(settings: settings)
        let name = logLevel ?? shared.logLevel
        guard let level = Logger.Level(rawValue: name) else {
            throw ConfigurationError(
                "--log-level must be one of trace, debug, info, notice, warning, error, critical, got '\(name)'")
        }
        LoggingBootstrap.bootstrap(level: level)
        var logger = Logger(label: label)
        logger.logLevel = level
        self.logger = logger
    }

    // MARK: Roles

    /// The manager, from this process's settings (`port` replaces `MANAGER_PORT`), exporting the process's metrics.
    public func managerRole(port: Int? = nil) throws(ConfigurationError) -> ManagerRole {
        var configuration = try ManagerRole.Configuration(settings: settings)
        if let port { configuration.endpoint?.port = port }
        let registry = MetricsBootstrap.bootstrap()
        return ManagerRole(configuration: configuration, logger: logger, metrics: { registry.emitToString() })
    }

    /// The Letta bridge, from this process's settings, exporting the process's metrics.
    public func lettaBridgeRole() throws(ConfigurationError) -> LettaBridgeRole {
        let configuration = try LettaBridgeRole.Configuration(settings: settings)
        let registry = MetricsBootstrap.bootstrap()
        return LettaBridgeRole(configuration: configuration, logger: logger, metrics: { registry.emitToString() })
    }

    /// The API's configuration, from this process's settings.
    public func apiConfiguration() throws(ConfigurationError) -> APIRole.Configuration {
        try APIRole.Configuration(settings: settings)
    }

    // MARK: Operations

    /// This process's settings, without bootstrapping anything (`candystore config`).
    public static func loadSettings() throws(ConfigurationError) -> Settings {
        try Settings.load()
    }

    /// Recomputes the read models from every stored event, on a pool of its own (`candystore projections
    /// rebuild`).
    public func rebuildProjections() async throws -> ProjectionRebuilder.Outcome {
        let client = PostgresClient(configuration: shared.database.clientConfiguration, backgroundLogger: logger)
        let logger = self.logger
        return try await withThrowingTaskGroup(of: ProjectionRebuilder.Outcome?.self) { group in
            group.addTask {
                await client.run()
                return nil
            }
            defer { group.cancelAll() }
            return try await ProjectionRebuilder.rebuild(client: client, logger: logger)
        }
    }

    /// The RabbitMQ management client (`RABBITMQ_MANAGEMENT_URL`).
    public func managementClient() throws(ConfigurationError) -> RabbitMQManagementClient {
        do {
            return try RabbitMQManagementClient(url: shared.rabbitMQManagementURL)
        } catch let error as ConfigurationError {
            throw error
        } catch {
            throw ConfigurationError("RABBITMQ_MANAGEMENT_URL is invalid: \(error)")
        }
    }

    /// The checks of `candystore health`: the three servers, then each role's `/health`.
    /// `timeout` bounds each check (a role's `/health` gets the same bound for its answer).
    public func stackHealthChecker(timeout: Duration = .seconds(5)) throws(ConfigurationError) -> HealthChecker {
        let manager = try HTTPEndpoint(settings: settings, host: .managerHost, port: .managerPort)
        let bridge = try HTTPEndpoint(settings: settings, host: .bridgeHost, port: .bridgePort)
        let api = try settings.apiBaseURL()
        return HealthChecker(
            checks: HealthChecker.serverChecks(shared) + [
                ("manager", HealthChecker.roleCheck(baseURL: manager.baseURL, timeout: timeout)),
                ("api", HealthChecker.roleCheck(baseURL: api, timeout: timeout)),
                ("letta-bridge", HealthChecker.roleCheck(baseURL: bridge.baseURL, timeout: timeout)),
            ], timeout: timeout)
    }
}

/// Bootstraps swift-log once per process (stderr, compact lines).
public enum LoggingBootstrap {
    nonisolated(unsafe) private static var done = false
    private static let lock = NSLock()

    /// Installs the stderr handler at `level` (later calls do nothing).
    public static func bootstrap(level: Logger.Level) {
        lock.lock()
        defer { lock.unlock() }
        guard !done else { return }
        done = true
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
    }
}
