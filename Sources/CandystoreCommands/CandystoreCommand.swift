import ArgumentParser
import CandystoreOps
import Foundation
import Logging

/// The `candystore` server executable: one binary, one subcommand per process role or operation.
public struct CandystoreCommand: AsyncParsableCommand {
    /// Command-line description and subcommands.
    public static let configuration = CommandConfiguration(
        commandName: "candystore",
        abstract: "Candystore: the Bloodbank event store (migrations, topology, health, services).",
        subcommands: [
            MigrateCommand.self,
            TopologyCommand.self,
            HealthCommand.self,
            DatabaseCommand.self,
            ManagerCommand.self,
            ProjectionsCommand.self,
            APICommand.self,
            LettaBridgeCommand.self,
        ]
    )

    /// Creates the command (ArgumentParser requirement).
    public init() {}
}

/// Options every subcommand accepts.
struct GlobalOptions: ParsableArguments {
    @Option(help: "Log level (trace, debug, info, notice, warning, error, critical); default LOG_LEVEL or info.")
    var logLevel: String?

    /// Loads settings and configuration and bootstraps logging once.
    func load(label: String) throws -> (CandystoreConfiguration, Logger) {
        let settings = try Settings.load()
        let configuration = try CandystoreConfiguration(settings: settings)
        let level = Logger.Level(rawValue: logLevel ?? configuration.logLevel) ?? .info
        LoggingBootstrap.bootstrap(level: level)
        var logger = Logger(label: label)
        logger.logLevel = level
        return (configuration, logger)
    }
}

/// Bootstraps swift-log once per process (stderr, compact lines).
enum LoggingBootstrap {
    nonisolated(unsafe) private static var done = false
    private static let lock = NSLock()

    static func bootstrap(level: Logger.Level) {
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

/// A command failed in a way the user can act on; printed without a stack of wrappers, exit code 1.
struct CommandFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
