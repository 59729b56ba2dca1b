import Bloodbank
import Testing

/// The pure decisions of the shared bus-consumer pipeline.
@Suite struct BusConsumerDecisionTests {
    @Test func oneMultipleAckPerChannelAtItsHighestTag() {
        // Channel "b" appeared after a reconnect: its tags start again at 1.
        let highest = BusConsumer.highestTags([("a", 1), ("a", 3), ("a", 2), ("b", 1), ("b", 2), ("a", 4)])
        #expect(highest == ["a": 4, "b": 2])
        #expect(BusConsumer.highestTags([(String, UInt64)]()).isEmpty)
    }

    @Test func retriesUntilTheBrokerIsBackUnlessShuttingDownOrCancelled() {
        // Running: never give up.
        #expect(!BusConsumer.givesUp(afterAttempts: 1, shuttingDown: false, cancelled: false))
        #expect(!BusConsumer.givesUp(afterAttempts: 10_000, shuttingDown: false, cancelled: false))
        // Shutting down: a few retries, then the delivery stays unacknowledged (redelivered).
        let limit = BusConsumer.retriesAtShutdown
        #expect(limit == 3)
        #expect(!BusConsumer.givesUp(afterAttempts: limit, shuttingDown: true, cancelled: false))
        #expect(BusConsumer.givesUp(afterAttempts: limit + 1, shuttingDown: true, cancelled: false))
        // Cancelled (the bridge at shutdown, or a killed process): at once.
        #expect(BusConsumer.givesUp(afterAttempts: 1, shuttingDown: false, cancelled: true))
    }
}
