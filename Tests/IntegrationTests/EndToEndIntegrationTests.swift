import AsyncHTTPClient
import BloodbankModel
import CandystoreConfig
import CandystoreOps
import Foundation
import LettaClient
import NIOCore
import NIOHTTP1
import Testing

/// The plan's STORY-012 on the running system (`scripts/dev up`: manager, API and Letta bridge on the real
/// RabbitMQ, PostgreSQL, Redis and Letta server): BMAD publishes a handoff with `bb publish`, a real Letta agent
/// accepts it, and the whole chain is queryable through the Event Store API.
@Suite(.serialized) struct EndToEndIntegrationTests {
    static let repository = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static func apiBase() throws -> String {
        try IntegrationEnvironment.settings.apiBaseURL()
    }

    static func get(_ url: String) async throws -> (status: Int, body: JSONValue?) {
        var request = HTTPClientRequest(url: url)
        // The local stack requires the API token it generated into .env (docs/security.md).
        if let token = IntegrationEnvironment.settings.optionalString(.apiToken) {
            request.headers.add(name: "Authorization", value: "Bearer \(token)")
        }
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(10))
        let buffer = try await response.body.collect(upTo: 16 << 20)
        let body = try? JSONValue(parsing: Array(buffer.readableBytesView))
        return (Int(response.status.code), body)
    }

    /// Deletes the bridge's agent once the bridge is done with it (its `bloodbank-done:` tag, set right after the
    /// outcome): Letta 0.11.7 on SQLite refuses to delete an agent whose tags are being written at that moment.
    static func deleteWhenDone(_ letta: LettaClient, _ agentID: String) async throws {
        let deadline = ContinuousClock.now + .seconds(60)
        while ContinuousClock.now < deadline {
            if try await letta.agent(id: agentID).tags.contains(where: { $0.hasPrefix("bloodbank-done:") }) { break }
            try await Task.sleep(for: .milliseconds(200))
        }
        try await letta.deleteAgent(id: agentID)
    }

    @Test func bmadHandsATaskToALettaAgentAndTheChainIsQueryable() async throws {
        let api = try Self.apiBase()
        let workflow = BloodbankUUID.format(UUID())
        let task = "Implement the end-to-end feature \(UUID().uuidString.prefix(8))"
        let payload =
            #"{"workflow_id":"\#(workflow)","from_agent":"bmad-architect","to_agent":"letta-python-dev","task":"\#(task)","context":{"test":"e2e"}}"#
        // 1. Publish as a BMAD skill does.
        let handoffID = try await PythonInteropIntegrationTests.run(
            Self.repository.appendingPathComponent(".build/debug/bb").path,
            ["publish", "bmad.workflow.handoff.requested", "--payload", payload, "--source-app", "bmad"]
        ).trimmingCharacters(in: .whitespacesAndNewlines)

        // 2. Wait for request, acceptance and outcome to be stored and served.
        var events: [JSONValue] = []
        let deadline = ContinuousClock.now + .seconds(90)
        while ContinuousClock.now < deadline {
            let (status, body) = try await Self.get("\(api)/api/v1/events?workflow_id=\(workflow)")
            #expect(status == 200)
            events = body?.arrayValue ?? []
            if events.contains(where: { $0["event_type"] == "agent.letta.task.completed" }) { break }
            try await Task.sleep(for: .milliseconds(250))
        }
        // The request, the acceptance, the bridge's checkpoints (initial, progress, final) and the outcome.
        try #require(events.count == 6, "events of the workflow: \(events.map { $0["event_type"] ?? .null })")
        #expect(
            events.map { $0["event_type"]?.stringValue } == [
                "bmad.workflow.handoff.requested", "agent.handoff.accepted", "agent.letta.checkpoint.saved",
                "agent.letta.checkpoint.saved", "agent.letta.checkpoint.saved", "agent.letta.task.completed",
            ])
        #expect(
            events[2...4].map { $0["payload"]?["checkpoint_type"]?.stringValue } == ["initial", "progress", "final"])
        #expect(events[0]["event_id"]?.stringValue == handoffID)
        let acceptance = events[1]
        let acceptanceID = try #require(acceptance["event_id"]?.stringValue)
        #expect(acceptance["correlation_ids"] == .array([.string(handoffID)]))
        let sessionID = try #require(acceptance["payload"]?["session_id"]?.stringValue)
        #expect(sessionID.hasPrefix("agent-"))
        #expect(acceptance["agent_context"]?["type"] == "letta")

        // 3. Causation: the handoff's descendants are the acceptance, and the checkpoints and the outcome one
        //    level further.
        let (_, flat) = try await Self.get("\(api)/api/v1/events/\(handoffID)/descendants?format=flat")
        let descendants = try #require(flat?["descendants"]?.arrayValue)
        #expect(descendants.count == 5)
        #expect(descendants.first?["depth"] == 1)
        #expect(descendants.first?["event"]?["event_id"]?.stringValue == acceptanceID)
        #expect(descendants.last?["depth"] == 2)
        #expect(descendants.last?["event"]?["event_type"] == "agent.letta.task.completed")

        // 4. Workflow state and the agent session.
        let (workflowStatus, state) = try await Self.get("\(api)/api/v1/workflows/\(workflow)")
        #expect(workflowStatus == 200)
        #expect(state?["current_agent"] == "letta-python-dev")
        // Who holds what, and how it ended.
        let entry = state?["agent_handoffs"]?.arrayValue?.first
        #expect(state?["agent_handoffs"]?.arrayValue?.count == 1)
        #expect(entry?["status"] == "completed")
        #expect(entry?["handoff_event_id"]?.stringValue == handoffID)
        #expect(entry?["outcome_event_id"] == events[5]["event_id"])
        #expect(entry?["summary"] == events[5]["payload"]?["summary"])
        let (sessionStatus, session) = try await Self.get("\(api)/api/v1/sessions/\(sessionID)")
        #expect(sessionStatus == 200, "session \(sessionID): \(String(describing: session))")
        #expect(session?["status"] == "completed")
        #expect(session?["checkpoint_id"] == events[4]["payload"]?["checkpoint_id"])

        // 5. The Letta agent really exists, with the task in its memory. Clean it up afterwards (the events
        //    stay: the log is immutable, and this workflow id is new).
        let letta = LettaClient(configuration: try IntegrationEnvironment.lettaConfiguration())
        let agent = try await letta.agent(id: sessionID)
        #expect(agent.name == "letta-python-dev")
        let blocks = try await letta.memoryBlocks(agentID: sessionID)
        #expect(blocks.contains { $0.label == "task" && $0.value.contains(task) })
        try await Self.deleteWhenDone(letta, sessionID)
    }
}
