import AMQPClient
import AsyncHTTPClient
import Bloodbank
import BloodbankModel
import CandystoreConfig
import Foundation
import NIOCore
import NIOHTTP1
import Retry

/// The handoff demo on the running stack: publishes a BMAD workflow (started → phase completed → handoff
/// requested, each with its parent in `correlation_ids`), waits until the Letta bridge accepted the handoff
/// and reported the outcome, and reads the causation tree back from the Event Store API.
struct HandoffDemo: Sendable {
    /// Where the stack is and how long to wait.
    struct Options: Sendable {
        /// The broker, exchange, API (base URL and token) and publishing identity, from the settings (`--api`
        /// replaces the base URL).
        var settings: ClientSettings
        var timeout: Duration
        var toAgent: String
        var task: String?
    }

    /// What the demo published and what came back.
    struct Outcome: Sendable {
        var workflowID: UUID
        var started: UUID
        var phaseCompleted: UUID
        var handoff: UUID
        /// The `agent.handoff.accepted` event.
        var acceptance: UUID
        /// The `agent.letta.task.completed` or `.blocked` event.
        var result: UUID
        var resultType: String
        /// The Letta agent (session) that took the task.
        var sessionID: String
        /// The causation tree from the workflow's first event (`format=tree`).
        var tree: JSONValue

        /// The outcome as JSON (`bb demo handoff --json`).
        var json: JSONValue {
            .object([
                "workflow_id": .string(BloodbankUUID.format(workflowID)),
                "events": .object([
                    "started": .string(BloodbankUUID.format(started)),
                    "phase_completed": .string(BloodbankUUID.format(phaseCompleted)),
                    "handoff_requested": .string(BloodbankUUID.format(handoff)),
                    "accepted": .string(BloodbankUUID.format(acceptance)),
                    "outcome": .string(BloodbankUUID.format(result)),
                ]),
                "outcome_type": .string(resultType),
                "session_id": .string(sessionID),
                "tree": tree,
            ])
        }
    }

    let options: Options
    let httpClient: HTTPClient
    let progress: @Sendable (String) -> Void

    /// Runs the whole demo; throws ``CommandFailure`` with a message naming what is missing.
    func run() async throws -> Outcome {
        try await checkAPI()
        let workflowID = UUID()
        let envelopes = makeWorkflow(workflowID)
        try await publish(envelopes)
        let (started, phase, handoff) = (envelopes[0].eventID, envelopes[1].eventID, envelopes[2].eventID)
        progress("published workflow \(BloodbankUUID.format(workflowID)): started, phase completed, handoff requested")

        let deadline = ContinuousClock.now + options.timeout
        // The manager stores the events; the bridge accepts (child of the handoff), then reports (grandchild).
        var tree = try await waitForTree(root: started, deadline: deadline) { tree in
            Self.node(in: tree, path: [PhaseCompletedPayload.eventType, HandoffRequestedPayload.eventType]) != nil
        } timeoutMessage: {
            "the workflow's events were not stored within \(options.timeout) — is the Event Store Manager running? "
                + "(scripts/service status manager)"
        }
        progress("stored by the Event Store Manager; waiting for the Letta bridge")
        tree = try await waitForTree(root: started, deadline: deadline) { tree in
            Self.node(in: tree, path: Self.acceptancePath) != nil
        } timeoutMessage: {
            "the handoff \(BloodbankUUID.format(handoff)) was not accepted within \(options.timeout) — is the Letta "
                + "bridge running and Letta up? (scripts/service status letta-bridge; scripts/letta status)"
        }
        progress("accepted by a Letta agent; waiting for the outcome")
        tree = try await waitForTree(root: started, deadline: deadline) { tree in
            Self.outcomeNode(in: tree) != nil
        } timeoutMessage: {
            "the handoff was accepted but no agent.letta.task.completed/.blocked arrived within \(options.timeout) "
                + "(scripts/service logs letta-bridge)"
        }
        guard let acceptance = Self.node(in: tree, path: Self.acceptancePath),
            let outcome = Self.outcomeNode(in: tree),
            let acceptanceID = acceptance["event"]?["event_id"]?.stringValue.flatMap(BloodbankUUID.parse),
            let outcomeID = outcome["event"]?["event_id"]?.stringValue.flatMap(BloodbankUUID.parse),
            let outcomeType = outcome["event"]?["event_type"]?.stringValue
        else { throw CommandFailure("the causation tree has an unexpected shape: \(tree.encodedString())") }
        return Outcome(
            workflowID: workflowID, started: started, phaseCompleted: phase, handoff: handoff,
            acceptance: acceptanceID, result: outcomeID, resultType: outcomeType,
            sessionID: acceptance["event"]?["payload"]?["session_id"]?.stringValue ?? "", tree: tree)
    }

    static let acceptancePath = [
        PhaseCompletedPayload.eventType, HandoffRequestedPayload.eventType, HandoffAcceptedPayload.eventType,
    ]

    /// The three BMAD events, each naming the previous one as its parent.
    func makeWorkflow(_ workflowID: UUID) -> [EventEnvelope] {
        let source = EventSource(host: options.settings.sourceHost, type: "agent", app: "bmad")
        let started = EventEnvelope(
            payload: WorkflowStartedPayload(
                workflowID: workflowID, projectName: "candystore-demo", currentPhase: .solutioning,
                initiatedBy: "bb demo handoff"),
            agentContext: AgentContext(type: "bmad", name: "bmad-orchestrator"), source: source)
        let phase = EventEnvelope(
            payload: PhaseCompletedPayload(
                workflowID: workflowID, phase: .solutioning, nextPhase: .implementation, fromAgent: "bmad-architect",
                summary: "Architecture agreed: event store behind a Letta handoff bridge"),
            correlationIDs: [started.eventID], agentContext: AgentContext(type: "bmad", name: "bmad-architect"),
            source: source)
        let story = "Implement the demo story: list the events of a workflow, newest first"
        let task = options.task ?? "\(story) (workflow \(BloodbankUUID.format(workflowID)))"
        let handoff = EventEnvelope(
            payload: HandoffRequestedPayload(
                workflowID: workflowID, fromAgent: "bmad-architect", toAgent: options.toAgent, task: task,
                context: ["story": "DEMO-1", "phase": "implementation"], priority: "high"),
            correlationIDs: [phase.eventID], agentContext: AgentContext(type: "bmad", name: "bmad-architect"),
            source: source)
        return [started, phase, handoff]
    }

    // MARK: - RabbitMQ

    private func publish(_ envelopes: [EventEnvelope]) async throws {
        var amqp: AMQPConfiguration
        do {
            amqp = try AMQPConfiguration(url: options.settings.rabbitMQURL)
        } catch {
            throw CommandFailure("RABBITMQ_URL is invalid: \(error)")
        }
        amqp.connectTimeout = .seconds(10)
        amqp.connectionName = "bb demo handoff"
        let configuration = amqp
        let exchange = options.settings.exchange
        do {
            try await withDeadline(.seconds(20)) {
                try await AMQPConnection.withConnection(configuration: configuration) { connection in
                    try await connection.withChannel { channel in
                        try await channel.confirmSelect()
                        for envelope in envelopes {
                            try await BloodbankPublisher(client: channel, exchange: exchange, source: envelope.source)
                                .publish(envelope)
                        }
                    }
                }
            }
        } catch let error as BloodbankError {
            throw CommandFailure("publishing the demo workflow failed: \(error.message)")
        } catch let error as AMQPError {
            throw CommandFailure(
                "cannot publish to RabbitMQ at \(amqp.host):\(amqp.port): \(error) — is the stack up? (scripts/dev up)")
        }
    }

    // MARK: - Event Store API

    private func checkAPI() async throws {
        let url = "\(options.settings.apiBaseURL)/health"
        let (status, body): (Int, JSONValue?)
        do {
            // A short deadline: AsyncHTTPClient retries a refused connection until the deadline.
            (status, body) = try await get(url, timeoutSeconds: 3)
        } catch {
            throw CommandFailure(
                "the Event Store API at \(options.settings.apiBaseURL) is not reachable (\(error)) — is the stack up? "
                    + "(scripts/dev up; scripts/service status api)")
        }
        guard status == 200 else {
            throw CommandFailure(
                "the Event Store API at \(options.settings.apiBaseURL) is not healthy (HTTP \(status)): "
                    + "\(body?.encodedString() ?? "no body")")
        }
    }

    private func waitForTree(
        root: UUID, deadline: ContinuousClock.Instant, until done: (JSONValue) -> Bool,
        timeoutMessage: () -> String
    ) async throws -> JSONValue {
        let url = "\(options.settings.apiBaseURL)/api/v1/events/\(BloodbankUUID.format(root))/descendants?format=tree"
        while true {
            let (status, body) = try await get(url)
            switch status {
            case 200:
                if let body, done(body) { return body }
            case 404:
                break  // not stored yet
            default:
                throw CommandFailure("GET \(url) answered HTTP \(status): \(body?.encodedString() ?? "")")
            }
            guard ContinuousClock.now < deadline else { throw CommandFailure(timeoutMessage()) }
            try await Task.sleep(for: .milliseconds(250))
        }
    }

    private func get(_ url: String, timeoutSeconds: Int64 = 10) async throws -> (Int, JSONValue?) {
        var request = HTTPClientRequest(url: url)
        if let token = options.settings.apiToken, !token.isEmpty {
            request.headers.add(name: "Authorization", value: "Bearer \(token)")
        }
        let response = try await httpClient.execute(request, timeout: .seconds(timeoutSeconds))
        let buffer = try await response.body.collect(upTo: 16 << 20)
        return (Int(response.status.code), try? JSONValue(parsing: Array(buffer.readableBytesView)))
    }

    // MARK: - The tree

    /// The node reached from `tree`'s root by following children of the given event types.
    static func node(in tree: JSONValue, path: [String]) -> JSONValue? {
        var node = tree
        for type in path {
            guard
                let child = node["children"]?.arrayValue?.first(where: { $0["event"]?["event_type"] == .string(type) })
            else { return nil }
            node = child
        }
        return node
    }

    /// The task outcome under the acceptance (`agent.letta.task.completed` or `.blocked`).
    static func outcomeNode(in tree: JSONValue) -> JSONValue? {
        for type in [TaskCompletedPayload.eventType, TaskBlockedPayload.eventType] {
            if let node = node(in: tree, path: acceptancePath + [type]) { return node }
        }
        return nil
    }

    /// The tree as indented lines: event type, id, agent and time, children below their parent.
    static func render(_ tree: JSONValue) -> [String] {
        var lines: [String] = []
        func visit(_ node: JSONValue, prefix: String, connector: String) {
            lines.append(prefix + connector + describe(node["event"] ?? .null))
            let children = node["children"]?.arrayValue ?? []
            let childPrefix = prefix + (connector == "└─ " ? "   " : connector.isEmpty ? "" : "│  ")
            for (index, child) in children.enumerated() {
                visit(child, prefix: childPrefix, connector: index == children.count - 1 ? "└─ " : "├─ ")
            }
        }
        visit(tree, prefix: "", connector: "")
        return lines
    }

    /// One line of the tree: `event_type  id  agent  time  (detail)`.
    static func describe(_ event: JSONValue) -> String {
        let type = event["event_type"]?.stringValue ?? "?"
        let id = event["event_id"]?.stringValue ?? "?"
        let time = event["timestamp"]?.stringValue ?? "?"
        var agent = event["agent_context"]?["name"]?.stringValue ?? event["source"]?["app"]?.stringValue ?? "?"
        if let instance = event["agent_context"]?["instance_id"]?.stringValue { agent += " (\(instance))" }
        var line = "\(type)  \(id)  agent=\(agent)  at=\(time)"
        if let detail = detail(of: event) { line += "  — \(detail)" }
        return line
    }

    private static func detail(of event: JSONValue) -> String? {
        let payload = event["payload"]
        let text: String?
        switch event["event_type"]?.stringValue {
        case WorkflowStartedPayload.eventType: text = payload?["project_name"]?.stringValue.map { "project \($0)" }
        case PhaseCompletedPayload.eventType: text = payload?["phase"]?.stringValue.map { "phase \($0) done" }
        case HandoffRequestedPayload.eventType:
            text = payload?["to_agent"]?.stringValue.map { "to \($0): \(payload?["task"]?.stringValue ?? "")" }
        case TaskCompletedPayload.eventType: text = payload?["summary"]?.stringValue
        case TaskBlockedPayload.eventType: text = payload?["reason"]?.stringValue.map { "blocked: \($0)" }
        default: text = nil
        }
        guard let text else { return nil }
        return text.count > 100 ? String(text.prefix(99)) + "…" : text
    }
}
