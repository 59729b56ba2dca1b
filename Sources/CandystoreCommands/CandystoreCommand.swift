public import ArgumentParser
import CandystoreApp
import CandystoreConfig
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
            ConfigCommand.self,
        ]
    )

    /// Creates the command (ArgumentParser requirement).
    public init() {}
}

/// Options every subcommand accepts.
struct GlobalOptions: ParsableArguments {
    @Option(help: "Log level (trace, debug, info, notice, warning, error, critical); default LOG_LEVEL or info.")
    var logLevel: String?

    /// The composition root of this process: settings read once, logging bootstrapped.
    func app(label: String) throws -> CandystoreApp {
        do {
            return try CandystoreApp.load(label: label, logLevel: logLevel)
        } catch {
            throw CommandFailure(error.description)
        }
    }

    /// The shared configuration and the logger (commands that need no role).
    func load(label: String) throws -> (CandystoreConfiguration, Logger) {
        let app = try app(label: label)
        return (app.shared, app.logger)
    }
}

/// A command failed in a way the user can act on; printed without a stack of wrappers, exit code 1.
struct CommandFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
