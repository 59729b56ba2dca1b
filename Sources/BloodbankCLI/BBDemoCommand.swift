import ArgumentParser
import AsyncHTTPClient
import BloodbankModel
import Foundation

/// `bb demo …`: demonstrations on the running stack.
struct BBDemo: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo", abstract: "Demonstrations on the running stack.", subcommands: [Handoff.self])

    /// `bb demo handoff`: a BMAD workflow handed to a Letta agent, printed as its causation tree.
    struct Handoff: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Run a workflow through the running stack and print its causation tree.",
            discussion: """
                Publishes bmad.workflow.started, bmad.workflow.phase.completed and bmad.workflow.handoff.requested
                (each naming the previous one as its parent), waits until the running Letta bridge published
                agent.handoff.accepted and agent.letta.task.completed (or .blocked), reads the tree from the Event
                Store API (/api/v1/events/{id}/descendants?format=tree from the workflow's first event) and prints
                it. Needs the whole stack (scripts/dev up): RabbitMQ, the manager, the API, the Letta bridge and
                Letta. Exit 1 with the reason when something is missing or nothing happens within --timeout, and exit
                1 (after printing the tree) when the task ended agent.letta.task.blocked.
                Settings: RABBITMQ_URL, BLOODBANK_EXCHANGE, CANDYSTORE_API_URL (or API_HOST, API_PORT), API_TOKEN
                (environment or .env).
                """
        )

        @Option(help: "Event Store API base URL (default http://API_HOST:API_PORT).") var api: String?
        @Option(help: "Seconds to wait for storage, acceptance and outcome.") var timeout: Int = 120
        @Option(help: "The Letta agent that receives the task.") var toAgent: String = "letta-python-dev"
        @Option(help: "The task text (default: a demo story).") var task: String?
        @Flag(help: "Print the ids and the tree as JSON instead of the drawing.") var json = false

        func run() async throws {
            var settings = try ClientSettings.load()
            if let api { settings.apiBaseURL = api.hasSuffix("/") ? String(api.dropLast()) : api }
            let options = HandoffDemo.Options(
                settings: settings,
                timeout: .seconds(max(1, timeout)),
                toAgent: toAgent,
                task: task)
            let quiet = json
            let demo = HandoffDemo(options: options, httpClient: .shared) { line in
                if !quiet { FileHandle.standardError.write(Data("[demo] \(line)\n".utf8)) }
            }
            let outcome = try await demo.run()
            if json {
                print(String(decoding: outcome.json.prettyEncodedBytes(), as: UTF8.self))
            } else {
                print("workflow \(BloodbankUUID.format(outcome.workflowID)) — causation tree from its first event:")
                for line in HandoffDemo.render(outcome.tree) { print(line) }
                print("Letta agent \(outcome.sessionID): \(outcome.resultType)")
            }
            // The demo succeeded only when the task did: a blocked task is exit 1 (after the tree is printed).
            if outcome.resultType == TaskBlockedPayload.eventType {
                FileHandle.standardError.write(Data("bb demo handoff: the task ended blocked\n".utf8))
                throw ExitCode(1)
            }
        }
    }
}
