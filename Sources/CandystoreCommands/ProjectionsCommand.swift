import ArgumentParser
import CandystoreOps
import EventStore
import PostgresNIO

/// `candystore projections rebuild`: recomputes the read models from the event log.
struct ProjectionsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "projections",
        abstract: "Read-model maintenance.",
        subcommands: [Rebuild.self]
    )

    struct Rebuild: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Recompute workflow_state and agent_sessions from every stored event (one transaction).",
            discussion: "Holds the writers' lock while it runs: ingestion pauses, nothing is lost.")
        @OptionGroup var global: GlobalOptions

        func run() async throws {
            let (configuration, logger) = try global.load(label: "candystore.projections")
            let client = PostgresClient(
                configuration: configuration.database.clientConfiguration, backgroundLogger: logger)
            let outcome = try await withThrowingTaskGroup(of: ProjectionRebuilder.Outcome?.self) { group in
                group.addTask {
                    await client.run()
                    return nil
                }
                defer { group.cancelAll() }
                return try await ProjectionRebuilder.rebuild(client: client, logger: logger)
            }
            print(
                "rebuilt \(outcome.workflows) workflows and \(outcome.sessions) sessions in \(outcome.duration)"
                    + (outcome.projectionFailures > 0 ? " (\(outcome.projectionFailures) projection failures)" : ""))
        }
    }
}
