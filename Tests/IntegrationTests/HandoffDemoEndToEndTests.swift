import BloodbankModel
import CandystoreConfig
import CandystoreOps
import Foundation
import LettaClient
import Testing

/// `bb demo handoff` on the running system (`scripts/dev up`): the whole workflow, and its causation tree as
/// the Event Store API serves it.
extension EndToEndIntegrationTests {
    static var bb: String { repository.appendingPathComponent(".build/debug/bb").path }

    /// Runs a program from the repository root; returns its exit status, standard output and standard error.
    static func execute(_ executable: String, _ arguments: [String]) async throws -> (
        status: Int32, output: String, errors: String
    ) {
        let run = try await ChildProcess.output(executable, arguments, currentDirectory: repository.path)
        let status: Int32 =
            switch run.termination {
            case .exited(let code): code
            case .signalled(let signal): 128 + signal
            }
        return (status, run.output, run.errors)
    }

    @Test func bbDemoHandoffRunsTheWorkflowAndReturnsItsCausationTree() async throws {
        let run = try await Self.execute(Self.bb, ["demo", "handoff", "--json", "--timeout", "90"])
        try #require(run.status == 0, "bb demo handoff failed: \(run.errors)")
        let result = try JSONValue(parsing: Array(run.output.utf8))
        let events = try #require(result["events"])
        let ids = ["started", "phase_completed", "handoff_requested", "accepted", "outcome"].map {
            events[$0]?.stringValue
        }

        // The tree from the workflow's first event is one chain of five events, each the child of the previous,
        // plus the bridge's three checkpoints beside the outcome (children of the acceptance).
        var chain: [JSONValue] = []
        var checkpoints: [JSONValue] = []
        var node: JSONValue? = result["tree"]
        while let current = node {
            chain.append(current)
            let all = current["children"]?.arrayValue ?? []
            let children = all.filter { $0["event"]?["event_type"] != "agent.letta.checkpoint.saved" }
            checkpoints += all.filter { $0["event"]?["event_type"] == "agent.letta.checkpoint.saved" }
            #expect(children.count <= 1, "a branch in the tree: \(children.count) children")
            node = children.first
        }
        #expect(
            checkpoints.map { $0["event"]?["payload"]?["checkpoint_type"]?.stringValue } == [
                "initial", "progress", "final",
            ])
        #expect(
            chain.map { $0["event"]?["event_type"]?.stringValue } == [
                "bmad.workflow.started", "bmad.workflow.phase.completed", "bmad.workflow.handoff.requested",
                "agent.handoff.accepted", "agent.letta.task.completed",
            ])
        #expect(chain.map { $0["event"]?["event_id"]?.stringValue } == ids)
        #expect(chain.map { $0["depth"] } == [0, 1, 2, 3, 4])
        #expect(result["tree"]?["truncated"] == false)
        for (parent, child) in zip(chain, chain.dropFirst()) {
            #expect(child["event"]?["correlation_ids"] == .array([parent["event"]?["event_id"] ?? .null]))
        }
        let workflow = try #require(result["workflow_id"]?.stringValue)
        for link in chain { #expect(link["event"]?["payload"]?["workflow_id"]?.stringValue == workflow) }
        #expect(
            chain.map { $0["event"]?["agent_context"]?["name"]?.stringValue } == [
                "bmad-orchestrator", "bmad-architect", "bmad-architect", "letta-python-dev", "letta-python-dev",
            ])

        // The agent that accepted is a real Letta agent with the task in its memory; the stub's reply is the
        // outcome's summary.
        let sessionID = try #require(result["session_id"]?.stringValue)
        #expect(chain[3]["event"]?["payload"]?["session_id"]?.stringValue == sessionID)
        #expect(chain[4]["event"]?["agent_context"]?["instance_id"]?.stringValue == sessionID)
        let summary = chain[4]["event"]?["payload"]?["summary"]?.stringValue ?? ""
        #expect(summary.contains("Implement the demo story"), "\(summary)")
        let letta = LettaClient(configuration: try IntegrationEnvironment.lettaConfiguration())
        let blocks = try await letta.memoryBlocks(agentID: sessionID)
        #expect(blocks.contains { $0.label == "task" && $0.value.contains(workflow) })
        try await Self.deleteWhenDone(letta, sessionID)

        // The API serves the same chain from the handoff: acceptance, then outcome.
        let handoff = try #require(ids[2])
        let (status, flat) = try await Self.get(
            "\(try Self.apiBase())/api/v1/events/\(handoff)/descendants?format=flat")
        #expect(status == 200)
        #expect(
            flat?["descendants"]?.arrayValue?.filter { $0["event"]?["event_type"] != "agent.letta.checkpoint.saved" }
                .map { $0["event"]?["event_id"]?.stringValue } == [ids[3], ids[4]])
    }

    @Test func bbDemoHandoffDrawsTheTree() async throws {
        let run = try await Self.execute(Self.bb, ["demo", "handoff", "--timeout", "90", "--task", "Draw the tree"])
        try #require(run.status == 0, "bb demo handoff failed: \(run.errors)")
        let lines = run.output.split(separator: "\n").map(String.init)
        try #require(lines.count == 10, "output:\n\(run.output)")
        #expect(lines[0].hasPrefix("workflow "))
        #expect(lines[1].hasPrefix("bmad.workflow.started  "))
        #expect(lines[2].hasPrefix("└─ bmad.workflow.phase.completed  "))
        #expect(lines[3].hasPrefix("   └─ bmad.workflow.handoff.requested  "))
        #expect(lines[4].hasPrefix("      └─ agent.handoff.accepted  "))
        // The bridge's checkpoints (initial, progress, final) beside the outcome, all children of the acceptance.
        for line in lines[5...7] { #expect(line.hasPrefix("         ├─ agent.letta.checkpoint.saved  ")) }
        #expect(lines[8].hasPrefix("         └─ agent.letta.task.completed  "))
        #expect(lines[4].contains("agent=letta-python-dev (agent-"))
        #expect(lines[3].contains("to letta-python-dev: Draw the tree"))
        #expect(run.errors.contains("[demo] accepted by a Letta agent"))
        // The last line names the agent; remove it.
        let last = try #require(lines.last)
        #expect(last.hasSuffix(": agent.letta.task.completed"))
        let sessionID = String(last.dropFirst("Letta agent ".count).prefix { $0 != ":" })
        let letta = LettaClient(configuration: try IntegrationEnvironment.lettaConfiguration())
        try await Self.deleteWhenDone(letta, sessionID)
    }

    @Test func bbDemoHandoffFailsClearlyWhenTheAPIIsNotThere() async throws {
        let run = try await Self.execute(Self.bb, ["demo", "handoff", "--api", "http://127.0.0.1:9", "--timeout", "5"])
        #expect(run.status != 0)
        #expect(run.errors.contains("the Event Store API at http://127.0.0.1:9 is not reachable"), "\(run.errors)")
        #expect(run.output.isEmpty)
    }
}
