import ArgumentParser
import CandystoreOps
import EventStore
import Foundation

/// `candystore db seed`: loads sample data for local development.
struct DatabaseCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "db",
        abstract: "Database utilities.",
        subcommands: [Seed.self]
    )

    struct Seed: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Insert sample data: one workflow with a five-event causation chain (idempotent).")
        @OptionGroup var global: GlobalOptions
        @Option(help: "SQL file to load.") var file = "db/seed.sql"

        func run() async throws {
            let (configuration, logger) = try global.load(label: "candystore.db")
            let script = try String(contentsOfFile: file, encoding: .utf8)
            try await configuration.database.executeScript(script, logger: logger)
            print("seeded \(file)")
        }
    }
}
