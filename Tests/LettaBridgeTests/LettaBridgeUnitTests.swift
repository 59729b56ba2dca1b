import Bloodbank
import BloodbankModel
import Foundation
import LettaBridge
import Retry
import Testing

/// Pure parts of the Letta bridge: deterministic event ids and its configuration.
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
