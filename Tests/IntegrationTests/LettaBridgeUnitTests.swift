import BloodbankModel
import Foundation
import LettaBridge
import Testing

/// Pure parts of the Letta bridge: deterministic event ids and retry delays.
@Suite struct LettaBridgeUnitTests {
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

    @Test func retryDelaysGrowAndAreCapped() {
        let configuration = LettaBridgeConfiguration(
            topology: .init(), retryInitialDelay: .milliseconds(100), retryMaximumDelay: .seconds(1))
        #expect(configuration.retryDelay(attempt: 0, random: 0.5) == .milliseconds(100))
        #expect(configuration.retryDelay(attempt: 2, random: 0.5) == .milliseconds(400))
        #expect(configuration.retryDelay(attempt: 20, random: 0.5) == .seconds(1))
        #expect(configuration.retryDelay(attempt: 20, random: 0) == .milliseconds(800))
        #expect(configuration.queue == "letta_handoff_queue")
        #expect(configuration.deadLetterRoutingKey == "letta_handoff_dlq")
    }
}
