import AMQPClient
import Bloodbank
import BloodbankModel
import Foundation
import LettaBridge
import LettaClient
import NIOCore
import Testing

/// The Letta bridge in-process on the real RabbitMQ and the real Letta server (`scripts/letta start`), on its
/// own exchanges and queue prefix: redelivered handoffs, Letta failing permanently, an agent failing its task,
/// and malformed handoffs. (Letta down at arrival stops the shared server: `LettaBridgeOutageTests`.)
@Suite(.serialized) struct LettaBridgeIntegrationTests {
    static let accepted = HandoffAcceptedPayload.eventType
    static let completed = TaskCompletedPayload.eventType
    static let blocked = TaskBlockedPayload.eventType

    @Test func theSameHandoffDeliveredTwiceGetsOneAgentAndTheSameAcceptance() async throws {
        try await BridgeHarness.with { harness in
            let handoff = harness.handoff()
            // A producer that retried its publish: the same event twice, both waiting when the bridge starts (so
            // they are delivered together, prefetch 4, and handled concurrently).
            try await harness.publish(handoff)
            try await harness.publish(handoff)
            try await harness.runningBridge {
                try await harness.waitUntil("two acceptances and an outcome") {
                    let acceptances = try await harness.captured(Self.accepted).count
                    let outcomes = try await harness.captured(Self.completed).count
                    return acceptances == 2 && outcomes >= 1
                }
                // A second outcome (the agent working twice) would come within the stub's ~1 s turn.
                try await Task.sleep(for: .seconds(2))
            }
            let agents = try await harness.agents(of: handoff.eventID)
            #expect(agents.count == 1, "agents tagged with the handoff: \(agents.map(\.id))")
            let agent = try #require(agents.first)
            #expect(agent.name == "letta-dev-\(harness.id)")

            let acceptances = try await harness.captured(Self.accepted)
            #expect(acceptances.count == 2)
            #expect(
                acceptances.map(\.envelope.eventID)
                    == Array(repeating: DerivedEventID.acceptance(of: handoff.eventID), count: 2))
            for acceptance in acceptances {
                #expect(acceptance.envelope.correlationIDs == [handoff.eventID])
                #expect(acceptance.envelope.agentContext?.instanceID == agent.id)
                guard case .handoffAccepted(let payload) = acceptance.typedPayload else {
                    Issue.record("not an acceptance: \(acceptance.envelope.eventType)")
                    continue
                }
                #expect(payload.sessionID == agent.id)
                #expect(payload.acceptedFrom == "bmad-architect")
            }
            // The work was done once: one outcome, child of the acceptance.
            let outcomes = try await harness.captured(Self.completed)
            #expect(outcomes.count == 1)
            #expect(outcomes.first?.envelope.eventID == DerivedEventID.outcome(of: handoff.eventID))
            #expect(outcomes.first?.envelope.correlationIDs == [DerivedEventID.acceptance(of: handoff.eventID)])
            // Both copies were acknowledged.
            #expect(try await harness.readyCount(harness.topology.lettaQueueName) == 0)
            #expect(try await harness.drain(harness.topology.lettaDeadLetterQueueName).isEmpty)
        }
    }

    @Test func aHandoffRedeliveredAfterTheBridgeDiedBeforeItsAckFindsTheSameAgent() async throws {
        try await BridgeHarness.with { harness in
            let handoff = harness.handoff()
            try await harness.publish(handoff)
            // 1. A bridge that creates the agent but never gets its acceptance confirmed (its exchange has no
            //    queue for it, the broker returns it), so it never acks the handoff; killed while it retries.
            let first = try await harness.runningBridge(topology: harness.blackholeTopology, ending: .kill) {
                var agents: [LettaAgent] = []
                try await harness.waitUntil("the first bridge's agent") {
                    agents = try await harness.agents(of: handoff.eventID)
                    return !agents.isEmpty
                }
                try await Task.sleep(for: .milliseconds(500))
                return agents
            }
            #expect(first.count == 1)
            #expect(try await harness.captured(Self.accepted).isEmpty)
            // The unacknowledged handoff is back in the queue.
            try await harness.waitUntil("the handoff back in the queue") {
                try await harness.readyCount(harness.topology.lettaQueueName) == 1
            }

            // 2. A working bridge gets the redelivery and uses the agent the first one created.
            try await harness.runningBridge {
                try await harness.waitUntil("acceptance and outcome") {
                    try await !harness.captured(Self.completed).isEmpty
                }
            }
            let agents = try await harness.agents(of: handoff.eventID)
            #expect(agents.map(\.id) == first.map(\.id))
            let acceptances = try await harness.captured(Self.accepted)
            #expect(acceptances.map(\.envelope.eventID) == [DerivedEventID.acceptance(of: handoff.eventID)])
            guard case .handoffAccepted(let payload)? = acceptances.first?.typedPayload else {
                Issue.record("no acceptance")
                return
            }
            #expect(payload.sessionID == first.first?.id)
            #expect(try await harness.readyCount(harness.topology.lettaQueueName) == 0)
        }
    }

    @Test func lettaUnreachableBlocksTheTaskAndDeadLettersTheHandoffAfterTheConfiguredAttempts() async throws {
        try await BridgeHarness.with { harness in
            var letta = try BridgeHarness.lettaConfiguration()
            letta.baseURL = "http://127.0.0.1:9"  // nothing listens: connection refused
            letta.requestTimeout = .milliseconds(500)
            let configuration = harness.bridgeConfiguration(
                maxAttempts: 3, initialDelay: .milliseconds(50), maximumDelay: .milliseconds(100))
            let handoff = harness.handoff()
            try await harness.publish(handoff)
            let dead = try await harness.runningBridge(configuration: configuration, letta: letta) {
                var dead: [AMQPDelivery] = []
                try await harness.waitUntil("the dead-lettered handoff") {
                    dead += try await harness.drain(harness.topology.lettaDeadLetterQueueName)
                    return !dead.isEmpty
                }
                try await harness.waitUntil("the blocked event") { try await !harness.captured(Self.blocked).isEmpty }
                return dead
            }
            #expect(dead.count == 1)
            let letter = try #require(dead.first)
            #expect(letter.header(DeadLetter.errorHeader) == "letta_unavailable")
            let reason = try #require(letter.header(DeadLetter.reasonHeader))
            #expect(reason.hasPrefix("Letta unavailable after 3 attempts: "), "\(reason)")
            #expect(letter.header("x-original-routing-key") == HandoffRequestedPayload.eventType)
            #expect(Array(letter.body.readableBytesView) == handoff.encodedBytes())

            let blocked = try await harness.captured(Self.blocked)
            #expect(blocked.count == 1)
            let event = try #require(blocked.first)
            #expect(event.envelope.eventID == DerivedEventID.outcome(of: handoff.eventID))
            #expect(event.envelope.correlationIDs == [handoff.eventID])
            guard case .taskBlocked(let payload) = event.typedPayload else {
                Issue.record("not a blocked event")
                return
            }
            #expect(payload.reason == reason)
            #expect(payload.retryable == true)
            #expect(payload.sessionID == "unassigned")
            #expect(payload.taskID == BloodbankUUID.format(handoff.eventID))
            #expect(payload.workflowID == (try #require(handoff.workflowIDOfHandoff)))
            // Nothing accepted, no agent on the real server, the handoff no longer in the queue.
            #expect(try await harness.captured(Self.accepted).isEmpty)
            #expect(try await harness.agents(of: handoff.eventID).isEmpty)
            #expect(try await harness.readyCount(harness.topology.lettaQueueName) == 0)
        }
    }

    @Test func anAgentThatFailsItsTaskIsReportedBlockedAndTheHandoffIsNotDeadLettered() async throws {
        try await BridgeHarness.with { harness in
            // The model stub answers HTTP 500 for a message containing FAIL_MODEL; Letta then answers 500.
            let handoff = harness.handoff(task: "FAIL_MODEL on purpose \(harness.id)")
            try await harness.publish(handoff)
            try await harness.runningBridge {
                try await harness.waitUntil(timeout: .seconds(90), "the blocked event") {
                    try await !harness.captured(Self.blocked).isEmpty
                }
            }
            let agents = try await harness.agents(of: handoff.eventID)
            #expect(agents.count == 1)
            let acceptances = try await harness.captured(Self.accepted)
            #expect(acceptances.map(\.envelope.eventID) == [DerivedEventID.acceptance(of: handoff.eventID)])
            let blocked = try #require(try await harness.captured(Self.blocked).first)
            #expect(blocked.envelope.eventID == DerivedEventID.outcome(of: handoff.eventID))
            #expect(blocked.envelope.correlationIDs == [DerivedEventID.acceptance(of: handoff.eventID)])
            guard case .taskBlocked(let payload) = blocked.typedPayload else {
                Issue.record("not a blocked event")
                return
            }
            #expect(payload.sessionID == agents.first?.id)
            #expect(payload.reason.hasPrefix("the agent failed: "), "\(payload.reason)")
            #expect(payload.retryable == true)
            #expect(try await harness.captured(Self.completed).isEmpty)
            // Accepted handoffs are acknowledged, never dead-lettered.
            #expect(try await harness.drain(harness.topology.lettaDeadLetterQueueName).isEmpty)
            #expect(try await harness.readyCount(harness.topology.lettaQueueName) == 0)
        }
    }

    @Test func malformedHandoffsAreDeadLetteredWithTheReasonAndNothingElseHappens() async throws {
        try await BridgeHarness.with { harness in
            let workflow = BloodbankUUID.format(UUID())
            let source = EventSource(host: "test", type: "test", app: "bmad")
            let badWorkflowID = try EventEnvelope(
                eventType: HandoffRequestedPayload.eventType,
                payload: [
                    "workflow_id": "not-a-uuid", "from_agent": "bmad-architect", "to_agent": "letta-dev",
                    "task": "t",
                ],
                source: source)
            let noReceiver = try EventEnvelope(
                eventType: HandoffRequestedPayload.eventType,
                payload: ["workflow_id": .string(workflow), "from_agent": "bmad-architect", "task": "t"],
                source: source)
            // Not a request: an uncatalogued event under bmad.workflow.handoff.# is acknowledged and ignored.
            let notARequest = try EventEnvelope(
                eventType: "bmad.workflow.handoff.cancelled", payload: ["workflow_id": .string(workflow)],
                source: source)
            try await harness.publishRaw(#"{"event_id": "truncated"#)
            try await harness.publishRaw(badWorkflowID.encodedString())
            try await harness.publishRaw(noReceiver.encodedString())
            try await harness.publish(notARequest)

            let dead = try await harness.runningBridge {
                var dead: [AMQPDelivery] = []
                try await harness.waitUntil("three dead letters") {
                    dead += try await harness.drain(harness.topology.lettaDeadLetterQueueName)
                    return dead.count >= 3
                }
                try await Task.sleep(for: .seconds(1))
                dead += try await harness.drain(harness.topology.lettaDeadLetterQueueName)
                return dead
            }
            #expect(dead.count == 3)
            let byBody = Dictionary(
                dead.map { (String(buffer: $0.body), $0) }, uniquingKeysWith: { first, _ in first })
            let json = try #require(byBody[#"{"event_id": "truncated"#])
            #expect(json.header(DeadLetter.errorHeader) == "invalid_json")
            #expect(json.header(DeadLetter.reasonHeader)?.isEmpty == false)
            let payload = try #require(byBody[badWorkflowID.encodedString()])
            #expect(payload.header(DeadLetter.errorHeader) == "invalid_payload")
            #expect(payload.header(DeadLetter.reasonHeader)?.contains("workflow_id") == true)
            let missing = try #require(byBody[noReceiver.encodedString()])
            #expect(missing.header(DeadLetter.errorHeader) == "invalid_payload")
            #expect(
                missing.header(DeadLetter.reasonHeader)?.contains("to_agent") == true,
                "\(missing.header(DeadLetter.reasonHeader) ?? "no reason")")
            for letter in dead {
                #expect(letter.header("x-original-exchange") == harness.topology.exchange)
                #expect(letter.header("x-original-routing-key") == HandoffRequestedPayload.eventType)
            }
            // Nothing published by the bridge, everything acknowledged (the bridge has stopped, so anything
            // unacknowledged would be back in the queue), no agent for the workflow.
            let events = try await harness.capture()
            #expect(events.filter { $0.envelope.eventType.hasPrefix("agent.") }.isEmpty)
            #expect(try await harness.readyCount(harness.topology.lettaQueueName) == 0)
            #expect(
                try await harness.letta.listAgents(tags: ["bloodbank-workflow:\(workflow)"], matchAllTags: true)
                    .isEmpty)
        }
    }
}

extension EventEnvelope {
    /// The workflow id of a handoff request envelope.
    var workflowIDOfHandoff: UUID? {
        guard case .string(let text)? = payload["workflow_id"] else { return nil }
        return BloodbankUUID.parse(text)
    }
}
