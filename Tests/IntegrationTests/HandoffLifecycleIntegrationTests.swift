import AMQPClient
import Bloodbank
import BloodbankModel
import CandystoreOps
import Foundation
import LettaBridge
import LettaClient
import NIOCore
import Testing

/// Issue 13 on the real RabbitMQ and Letta (bridge in-process, `BridgeHarness`): checkpoints in order and a
/// recovery that resumes from the last one, stall detection, `bb dlq` re-drive, and per-name agents.
@Suite(.serialized) struct HandoffLifecycleIntegrationTests {
    static let accepted = HandoffAcceptedPayload.eventType
    static let completed = TaskCompletedPayload.eventType
    static let blocked = TaskBlockedPayload.eventType
    static let checkpoint = CheckpointSavedPayload.eventType
    static let recovery = SessionRecoveryStartedPayload.eventType
    static let resumed = TaskResumedPayload.eventType

    static let repository = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// The events about `handoff` (caused by it or by its acceptance, or naming it as their task), in arrival order.
    static func lifecycle(_ events: [ValidatedEvent], of handoff: UUID) -> [ValidatedEvent] {
        let task = BloodbankUUID.format(handoff)
        return events.filter { event in
            event.envelope.eventType.hasPrefix("agent.")
                && (event.envelope.correlationIDs.contains(handoff)
                    || event.envelope.correlationIDs.contains(DerivedEventID.acceptance(of: handoff))
                    || event.envelope.payload["task_id"]?.stringValue == task)
        }
    }

    static func checkpoints(_ events: [ValidatedEvent]) -> [CheckpointSavedPayload] {
        events.compactMap { event in
            guard case .checkpointSaved(let payload) = event.typedPayload else { return nil }
            return payload
        }
    }

    @Test func checkpointsComeInOrderAndARecoveryResumesFromTheLastOne() async throws {
        try await BridgeHarness.with { harness in
            // The model holds its answer 4 s: the first bridge dies while the agent's turn runs.
            let handoff = harness.handoff(task: "Remember the word PAPAYA \(harness.id) DELAY_MODEL=4")
            try await harness.publish(handoff)
            var configuration = harness.bridgeConfiguration()
            configuration.resumeGrace = .seconds(60)
            configuration.pollInterval = .milliseconds(500)
            try await harness.runningBridge(configuration: configuration, ending: .kill) {
                try await harness.waitUntil("the initial checkpoint") {
                    Self.checkpoints(try await harness.captured(Self.checkpoint)).contains {
                        $0.checkpointType == .initial
                    }
                }
                // The task is sent once Letta has the sent tag; then its turn runs (4 s).
                try await harness.waitUntil("the sent tag") {
                    try await harness.agents(of: handoff.eventID).first?.tags.contains(
                        LettaBridge.sentTag(handoff.eventID)) == true
                }
                try await Task.sleep(for: .milliseconds(500))
            }
            let beforeKill = try await harness.capture()
            #expect(beforeKill.filter { $0.envelope.eventType == Self.completed }.isEmpty)
            let initial = try #require(Self.checkpoints(beforeKill).first)
            #expect(initial.checkpointType == .initial)
            #expect(initial.checkpointID.hasPrefix("message-"), "a Letta message cursor: \(initial.checkpointID)")
            // Letta remembers that the task was sent.
            let agent = try #require(try await harness.agents(of: handoff.eventID).first)
            #expect(agent.tags.contains(LettaBridge.sentTag(handoff.eventID)))

            // A new bridge gets the redelivery and recovers.
            try await harness.runningBridge(configuration: configuration) {
                try await harness.waitUntil(timeout: .seconds(120), "the outcome after recovery") {
                    try await !harness.captured(Self.completed).isEmpty
                }
                // Then Letta remembers it as done (the memory that survives bridge restarts).
                try await harness.waitUntil("the done tag") {
                    try await harness.agents(of: handoff.eventID).first?.tags.contains(
                        LettaBridge.doneTag(handoff.eventID)) == true
                }
            }
            let events = Self.lifecycle(try await harness.capture(), of: handoff.eventID)
            let types = events.map(\.envelope.eventType)
            // Order: acceptance, initial checkpoint, (kill) acceptance again (same id), recovery.started, context
            // restored, task.resumed, progress and final checkpoints, then the one outcome.
            let firstRecovery = try #require(types.firstIndex(of: Self.recovery))
            let resumedAt = try #require(types.firstIndex(of: Self.resumed))
            let outcomeAt = try #require(types.firstIndex(of: Self.completed))
            #expect(firstRecovery < resumedAt && resumedAt < outcomeAt, "\(types)")
            #expect(types.filter { $0 == Self.completed || $0 == Self.blocked }.count == 1)
            #expect(Set(events.filter { $0.envelope.eventType == Self.accepted }.map(\.envelope.eventID)).count == 1)
            let checkpoints = Self.checkpoints(events)
            #expect(checkpoints.map(\.checkpointType) == [.initial, .progress, .final])
            let recovery = try #require(events[firstRecovery].typedPayload)
            guard case .recoveryStarted(let started) = recovery else {
                Issue.record("not a recovery event")
                return
            }
            guard case .taskResumed(let resumption) = events[resumedAt].typedPayload else {
                Issue.record("not a task.resumed event")
                return
            }
            // The recovery resumes from the last checkpoint: the initial one published before the crash — or, when
            // Letta had already stored the agent's reply (a loaded machine), the cursor after it, which is the
            // progress checkpoint that follows (same Letta message id).
            if resumption.resumption == .storedReply {
                #expect(started.checkpointID == checkpoints.dropFirst().first?.checkpointID)
            } else {
                #expect(started.checkpointID == initial.checkpointID)
            }
            #expect(events[firstRecovery].envelope.correlationIDs == [DerivedEventID.acceptance(of: handoff.eventID)])
            #expect(events[resumedAt].envelope.correlationIDs == [DerivedEventID.acceptance(of: handoff.eventID)])
            #expect(resumption.checkpointID == started.checkpointID)
            guard case .taskCompleted(let outcome) = events[outcomeAt].typedPayload else {
                Issue.record("not an outcome")
                return
            }
            #expect(outcome.finalCheckpointID == checkpoints.last?.checkpointID)
            #expect(outcome.summary?.contains("PAPAYA") == true, "\(outcome.summary ?? "")")
            // The agent's memory holds what the first turn left: its task in the conversation and the memory block.
            let history = try await harness.letta.messages(agentID: agent.id, limit: 100)
            #expect(history.contains { $0.messageType == "user_message" && ($0.text ?? "").contains("PAPAYA") })
            let blocks = try await harness.letta.memoryBlocks(agentID: agent.id)
            #expect(blocks.first { $0.label == "task" }?.value.contains("PAPAYA") == true)
            // Finished: Letta remembers it (the memory survives bridge restarts); one agent.
            let after = try await harness.agents(of: handoff.eventID)
            #expect(after.count == 1)
            #expect(after.first?.tags.contains(LettaBridge.doneTag(handoff.eventID)) == true)
            #expect(try await harness.readyCount(harness.topology.lettaQueueName) == 0)
        }
    }

    @Test func aStalledHandoffEndsBlockedWithTheStalledReasonAndGoesToTheDLQ() async throws {
        try await BridgeHarness.with { harness in
            let handoff = harness.handoff(task: "Take forever \(harness.id) DELAY_MODEL=30")
            try await harness.publish(handoff)
            var configuration = harness.bridgeConfiguration()
            configuration.stallTimeout = .seconds(3)
            let dead = try await harness.runningBridge(configuration: configuration) {
                var dead: [AMQPDelivery] = []
                try await harness.waitUntil(timeout: .seconds(90), "the stalled handoff in the DLQ") {
                    dead += try await harness.drain(harness.topology.lettaDeadLetterQueueName)
                    return !dead.isEmpty
                }
                return dead
            }
            let blocked = try #require(try await harness.captured(Self.blocked).first)
            guard case .taskBlocked(let payload) = blocked.typedPayload else {
                Issue.record("not a blocked event")
                return
            }
            #expect(payload.reason.hasPrefix("stalled: no progress from the agent for 3 s"), "\(payload.reason)")
            #expect(payload.retryable == true)
            #expect(blocked.envelope.correlationIDs == [DerivedEventID.acceptance(of: handoff.eventID)])
            let failed = try #require(try await harness.captured(SessionFailedPayload.eventType).first)
            guard case .sessionFailed(let session) = failed.typedPayload else {
                Issue.record("not a session.failed event")
                return
            }
            #expect(session.failure == .stalled)
            #expect(try await harness.captured(Self.completed).isEmpty)
            #expect(dead.count == 1)
            #expect(dead.first?.header(DeadLetter.errorHeader) == "stalled")
        }
    }

    /// `bb` with the harness's exchanges and queue prefix.
    static func bb(_ harness: BridgeHarness, _ arguments: [String]) async throws -> (
        status: Int32, output: String, errors: String
    ) {
        var environment = ProcessInfo.processInfo.environment
        environment["BLOODBANK_EXCHANGE"] = harness.topology.exchange
        environment["BLOODBANK_DLX"] = harness.topology.deadLetterExchange
        environment["BLOODBANK_QUEUE_PREFIX"] = harness.topology.queuePrefix
        let run = try await ChildProcess.output(
            repository.appendingPathComponent(".build/debug/bb").path, arguments, environment: environment,
            currentDirectory: repository.path)
        let status: Int32 =
            switch run.termination {
            case .exited(let code): code
            case .signalled(let signal): 128 + signal
            }
        return (status, run.output, run.errors)
    }

    @Test func redrivingADeadLetteredHandoffPublishesANewCausedHandoffWithOneOutcome() async throws {
        try await BridgeHarness.with { harness in
            // Letta unreachable: the handoff is blocked and dead-lettered.
            var unreachable = try BridgeHarness.lettaConfiguration()
            unreachable.baseURL = "http://127.0.0.1:9"
            unreachable.requestTimeout = .milliseconds(500)
            let original = harness.handoff()
            try await harness.publish(original)
            try await harness.runningBridge(
                configuration: harness.bridgeConfiguration(
                    maxAttempts: 2, initialDelay: .milliseconds(50), maximumDelay: .milliseconds(100)),
                letta: unreachable
            ) {
                try await harness.waitUntil("the blocked event") { try await !harness.captured(Self.blocked).isEmpty }
                try await harness.waitUntil("the handoff in the DLQ") {
                    try await harness.management.queue(named: harness.topology.lettaDeadLetterQueueName)?.messages == 1
                }
            }
            let id = BloodbankUUID.format(original.eventID)

            // bb dlq list and show: the message with its reason headers (and list leaves it there).
            let list = try await Self.bb(harness, ["dlq", "list", "--json"])
            try #require(list.status == 0, "bb dlq list: \(list.errors)")
            let listed = try JSONValue(parsing: Array(list.output.utf8)).arrayValue ?? []
            #expect(listed.count == 1)
            #expect(listed.first?["event_id"]?.stringValue == id)
            #expect(listed.first?["queue"]?.stringValue == harness.topology.lettaDeadLetterQueueName)
            #expect(listed.first?["error"]?.stringValue == "letta_unavailable")
            #expect(listed.first?["reason"]?.stringValue?.hasPrefix("Letta unavailable after 2 attempts") == true)
            let show = try await Self.bb(harness, ["dlq", "show", id])
            #expect(show.status == 0, "bb dlq show: \(show.errors)")
            #expect(show.output.contains("\"original_routing_key\": \"bmad.workflow.handoff.requested\""))
            let missing = try await Self.bb(harness, ["dlq", "show", BloodbankUUID.format(UUID())])
            #expect(missing.status == 1)
            #expect(missing.errors.contains("no dead-lettered message with id"), "\(missing.errors)")

            // Re-drive with a working bridge: a new handoff caused by the original, one outcome, the DLQ empty.
            try await harness.runningBridge {
                let redrive = try await Self.bb(harness, ["dlq", "redrive", id])
                try #require(redrive.status == 0, "bb dlq redrive: \(redrive.errors)")
                let newID = try #require(
                    BloodbankUUID.parse(redrive.output.trimmingCharacters(in: .whitespacesAndNewlines)))
                #expect(newID != original.eventID)
                try await harness.waitUntil(timeout: .seconds(90), "the re-driven handoff's outcome") {
                    try await harness.captured(Self.completed).contains {
                        $0.envelope.correlationIDs == [DerivedEventID.acceptance(of: newID)]
                    }
                }
                let requests = try await harness.captured(HandoffRequestedPayload.eventType)
                let copy = try #require(requests.first { $0.envelope.eventID == newID })
                #expect(copy.envelope.correlationIDs == [original.eventID])
                #expect(copy.envelope.payload == original.payload)
                let outcomes = try await harness.capture().filter {
                    [Self.completed, Self.blocked].contains($0.envelope.eventType)
                        && $0.envelope.eventID == DerivedEventID.outcome(of: newID)
                }
                #expect(Set(outcomes.map(\.envelope.eventID)).count == 1)
                #expect(try await harness.agents(of: newID).count == 1)
            }
            #expect(try await harness.readyCount(harness.topology.lettaDeadLetterQueueName) == 0)
            let empty = try await Self.bb(harness, ["dlq", "list"])
            #expect(empty.status == 0)
            #expect(empty.output.contains("no dead-lettered messages"))
        }
    }

    @Test func perNameModeKeepsOneAgentPerNameWithABlockPerTask() async throws {
        try await BridgeHarness.with { harness in
            let name = "letta-named-\(harness.id)"
            let first = harness.handoff(task: "First task KIWI \(harness.id)", toAgent: name)
            let second = harness.handoff(task: "Second task MANGO \(harness.id)", toAgent: name)
            var configuration = harness.bridgeConfiguration()
            configuration.agentMode = .perName
            try await harness.publish(first)
            try await harness.publish(second)
            try await harness.runningBridge(configuration: configuration) {
                try await harness.waitUntil(timeout: .seconds(120), "both outcomes") {
                    try await harness.captured(Self.completed).count >= 2
                }
            }
            let agents = try await harness.letta.listAgents(tags: [LettaBridge.nameTag(name)], matchAllTags: true)
            defer { Task { for agent in agents { try? await harness.letta.deleteAgent(id: agent.id) } } }
            #expect(agents.count == 1, "\(agents.map(\.id))")
            let agent = try #require(agents.first)
            #expect(agent.name == name)
            #expect(try await harness.agents(of: first.eventID).map(\.id) == [agent.id])
            #expect(try await harness.agents(of: second.eventID).map(\.id) == [agent.id])
            let labels = try await harness.letta.memoryBlocks(agentID: agent.id).map(\.label)
            for handoff in [first, second] {
                #expect(labels.contains("task_\(BloodbankUUID.format(handoff.eventID).prefix(8))"), "\(labels)")
            }
            let outcomes = try await harness.captured(Self.completed)
            #expect(
                Set(outcomes.map(\.envelope.eventID)) == [
                    DerivedEventID.outcome(of: first.eventID), DerivedEventID.outcome(of: second.eventID),
                ])
            // Its memory is kept across tasks: the conversation holds both tasks.
            let history = try await harness.letta.messages(agentID: agent.id, limit: 100)
            #expect(history.contains { ($0.text ?? "").contains("KIWI") })
            #expect(history.contains { ($0.text ?? "").contains("MANGO") })
        }
    }
}
