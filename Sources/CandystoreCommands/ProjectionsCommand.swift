import ArgumentParser
import CandystoreApp
import EventStore

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
            let outcome = try await global.app(label: "candystore.projections").rebuildProjections()
            print(
                "rebuilt \(outcome.workflows) workflows and \(outcome.sessions) sessions in \(outcome.duration)"
                    + (outcome.projectionFailures > 0 ? " (\(outcome.projectionFailures) projection failures)" : ""))
        }
    }
}
