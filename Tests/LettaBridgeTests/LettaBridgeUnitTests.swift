import Bloodbank
import BloodbankModel
import Foundation
import LettaBridge
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
}
