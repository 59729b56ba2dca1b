import ArgumentParser
import CandystoreOps
import EventStore
import Foundation

/// `candystore migrate up|down|status|reset`: the schema migration runner.
struct MigrateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "migrate",
        abstract: "Apply, roll back or inspect schema migrations (migrations/NNNN_name.{up,down}.sql).",
        subcommands: [Up.self, Down.self, Status.self, Reset.self]
    )

    struct Options: ParsableArguments {
        @OptionGroup var global: GlobalOptions
        @Option(help: "Directory with the migration files (default MIGRATIONS_DIR or ./migrations).")
        var dir: String?
        @Option(help: "Seconds to wait for another runner's lock before refusing.")
        var lockTimeout: Int = 30

        func runner() throws -> MigrationRunner {
            let (configuration, logger) = try global.load(label: "candystore.migrate")
            let directory = dir.map { URL(fileURLWithPath: $0) } ?? configuration.migrationsDirectory
            return MigrationRunner(
                database: configuration.database,
                migrations: try Migration.load(from: directory),
                lockTimeout: .seconds(lockTimeout),
                logger: logger)
        }
    }

    struct Up: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Apply pending migrations.")
        @OptionGroup var options: Options
        @Option(help: "Stop after this version.") var to: Int64?

        func run() async throws {
            let applied = try await options.runner().up(to: to)
            print(
                applied.isEmpty
                    ? "schema is up to date"
                    : applied.map { "applied \($0.version)_\($0.name)" }.joined(separator: "\n"))
        }
    }

    struct Down: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Roll back the most recent migration(s).")
        @OptionGroup var options: Options
        @Option(help: "How many migrations to roll back.") var steps: Int = 1

        func run() async throws {
            let rolledBack = try await options.runner().down(steps: steps)
            print(
                rolledBack.isEmpty
                    ? "nothing to roll back"
                    : rolledBack.map { "rolled back \($0.version)_\($0.name)" }.joined(separator: "\n"))
        }
    }

    struct Status: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show applied and pending migrations; exit 1 if the history is dirty.")
        @OptionGroup var options: Options

        func run() async throws {
            let (statuses, problems) = try await options.runner().status()
            let formatter = ISO8601DateFormatter()
            for status in statuses {
                let state: String
                switch status.state {
                case .applied(let at): state = "applied  \(formatter.string(from: at))"
                case .pending: state = "pending"
                case .modified(let at): state = "MODIFIED (applied \(formatter.string(from: at)))"
                case .missingFile(let at): state = "MISSING FILE (applied \(formatter.string(from: at)))"
                }
                print(String(format: "%04lld  %-30@  %@", status.version, status.name as NSString, state as NSString))
            }
            if statuses.isEmpty { print("no migrations") }
            if !problems.isEmpty {
                throw CommandFailure("history is dirty:\n  " + problems.joined(separator: "\n  "))
            }
        }
    }

    struct Reset: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Roll back every migration and apply all again (destroys data).")
        @OptionGroup var options: Options
        @Flag(help: "Confirm that all data may be destroyed.") var yes = false

        func run() async throws {
            guard yes else { throw CommandFailure("migrate reset destroys all data; pass --yes to confirm") }
            let (down, up) = try await options.runner().reset()
            print("rolled back \(down.count), applied \(up.count)")
        }
    }
}
