import Bloodbank
import BloodbankModel
import Foundation
import LettaBridge
import LettaClient
import Retry
import Testing

/// Pure parts of the Letta bridge: deterministic event ids and its configuration.
@Suite struct LettaBridgeUnitTests {
    /// Issue 14: a 1 MiB task made Letta answer 422 echoing it, and the echo (in a dead-letter header) broke the
    /// broker connection. The bridge now refuses what a memory block cannot hold before calling Letta.
    @Test func aTaskOrContextBeyondItsMemoryBlockIsRefusedWithTheSizes() {
        let workflow = UUID()
        let fits = HandoffRequestedPayload(
            workflowID: workflow, fromAgent: "pm", toAgent: "dev",
            task: String(repeating: "t", count: LettaBridge.blockLimit))
        #expect(LettaBridge.oversizedBlock(of: fits) == nil)
        let tooLong = HandoffRequestedPayload(
            workflowID: workflow, fromAgent: "pm", toAgent: "dev", task: String(repeating: "t", count: 1 << 20))
        let reason = LettaBridge.oversizedBlock(of: tooLong)
        #expect(
            reason?.hasPrefix("the handoff's task is 1048576 characters; its agent memory block holds 20000") == true)
        let bigContext = HandoffRequestedPayload(
            workflowID: workflow, fromAgent: "pm", toAgent: "dev", task: "small",
            context: ["notes": .string(String(repeating: "c", count: 200_000))])
        #expect(LettaBridge.oversizedBlock(of: bigContext)?.hasPrefix("the handoff's context is ") == true)
    }

    @Test func derivedIDsAreDeterministicDistinctAndVersion8() {
        let handoff = UUID()
        #expect(DerivedEventID.acceptance(of: handoff) == DerivedEventID.acceptance(of: handoff))
        #expect(DerivedEventID.outcome(of: handoff) == DerivedEventID.outcome(of: handoff))
        #expect(DerivedEventID.acceptance(of: handoff) != DerivedEventID.outcome(of: handoff))
        #expect(DerivedEventID.acceptance(of: handoff) != handoff)
        #expect(DerivedEventID.acceptance(of: handoff) != DerivedEventID.acceptance(of: UUID()))
        let text = BloodbankUUID.format(DerivedEventID.acceptance(of: handoff))
        #expect(Array(text)[14] == "8")
        #expect(["8", "9", "a", "b"].contains(Array(text)[19]))
    }

    @Test func configurationUsesTheTopologysQueuesAndTheDocumentedBackoff() {
        let configuration = LettaBridgeConfiguration(topology: .init())
        #expect(configuration.queue == "letta_handoff_queue")
        #expect(configuration.deadLetterRoutingKey == "letta_handoff_dlq")
        #expect(configuration.retry.initialDelay == .milliseconds(500))
        #expect(configuration.retry.maximumDelay == .seconds(15))
        #expect(configuration.retry.delay(attempt: 1, random: 0.5) == .seconds(1))
        #expect(configuration.retry.delay(attempt: 20, random: 0) == .seconds(12))
    }

    @Test func eventIDsOfOtherPurposesAreDistinctPerPurposeAndStable() {
        let handoff = UUID()
        let purposes = [
            "checkpoint-initial", "checkpoint-final", "checkpoint-progress-message-1",
            "checkpoint-progress-message-2", "recovery-1-message-1", "recovery-2-message-1",
        ]
        let ids = purposes.map { DerivedEventID.event(of: handoff, purpose: $0) }
        #expect(Set(ids).count == purposes.count)
        #expect(ids == purposes.map { DerivedEventID.event(of: handoff, purpose: $0) })
        #expect(!ids.contains(DerivedEventID.acceptance(of: handoff)))
        #expect(!ids.contains(DerivedEventID.outcome(of: handoff)))
        #expect(DerivedEventID.event(of: UUID(), purpose: "checkpoint-initial") != ids[0])
        let text = BloodbankUUID.format(ids[0])
        #expect(Array(text)[14] == "8")
    }

    @Test func faultPointsParseStageAndOccurrence() {
        #expect(LettaBridgeConfiguration.FaultPoint(parsing: "during-turn")?.occurrence == 1)
        #expect(
            LettaBridgeConfiguration.FaultPoint(parsing: "after-outcome:3")
                == .init(stage: .afterOutcome, occurrence: 3))
        #expect(LettaBridgeConfiguration.FaultPoint(parsing: "before-accept:0") == nil)
        #expect(LettaBridgeConfiguration.FaultPoint(parsing: "nowhere") == nil)
        #expect(LettaBridgeConfiguration(topology: .init()).faultPoint == nil)
        #expect(LettaBridgeConfiguration(topology: .init()).agentMode == .perHandoff)
        #expect(LettaBridgeConfiguration(topology: .init()).stallTimeout == .seconds(600))
    }

    /// Letta messages as `GET /v1/agents/{id}/messages` returns them (oldest first).
    static func messages(_ items: [(id: String, type: String, text: String)]) throws -> [LettaMessage] {
        let objects: [[String: String]] = items.map { ["id": $0.id, "message_type": $0.type, "content": $0.text] }
        return try JSONDecoder().decode([LettaMessage].self, from: JSONSerialization.data(withJSONObject: objects))
    }

    @Test func theTranscriptFindsTheTasksReplyAndTheCursors() throws {
        let marker = "[handoff 1111]"
        let answered = try Self.messages([
            ("message-0", "system_message", "You are an agent"),
            ("message-1", "user_message", "\(marker) Task: build it"),
            ("message-2", "reasoning_message", "thinking"),
            ("message-2", "assistant_message", "built it"),
            ("message-3", "tool_return_message", "None"),
        ])
        let found = LettaBridge.transcript(of: answered, marker: marker)
        #expect(found.reply?.text == "built it")
        #expect(found.reply?.cursor == "message-3")
        #expect(found.cursorBeforeTask == "message-0")
        #expect(found.messageCount == 5)

        // The task not in the conversation yet (Letta stores a turn when it ends): no reply, cursor = newest.
        let pending = LettaBridge.transcript(of: Array(answered.prefix(1)), marker: marker)
        #expect(pending.reply == nil)
        #expect(pending.cursorBeforeTask == "message-0")

        // A shared (per-name) conversation: another task's turn after ours does not count as our reply.
        let shared = try Self.messages([
            ("message-1", "user_message", "\(marker) Task: build it"),
            ("message-5", "user_message", "[handoff 2222] Task: other"),
            ("message-6", "assistant_message", "other done"),
        ])
        #expect(LettaBridge.transcript(of: shared, marker: marker).reply == nil)
    }
}
