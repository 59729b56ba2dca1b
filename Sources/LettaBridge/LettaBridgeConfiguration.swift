import Bloodbank
import Foundation

/// Settings of the Letta bridge (see `.env.example`: `LETTA_BRIDGE_*`, `LETTA_*`).
public struct LettaBridgeConfiguration: Sendable {
    /// Queue with the handoff requests (brief §3: `letta_handoff_queue`, bound `bmad.workflow.handoff.#`).
    public var queue: String
    /// Exchange for dead-lettered handoffs.
    public var deadLetterExchange: String
    /// Routing key (and DLQ name) for dead-lettered handoffs: `letta_handoff_dlq`.
    public var deadLetterRoutingKey: String
    /// Handoffs processed at once (also the consumer prefetch).
    public var concurrency: Int
    /// Attempts to reach Letta for one handoff before it is reported blocked and dead-lettered.
    public var maxAttempts: Int
    /// First delay between attempts (doubles each time, with jitter).
    public var retryInitialDelay: Duration
    /// Longest delay between attempts.
    public var retryMaximumDelay: Duration
    /// Whether to send the task to the agent after accepting it (and report completed/blocked).
    public var startsWork: Bool

    /// A configuration for `topology`'s Letta queue and DLQ, with default tuning.
    public init(
        topology: BloodbankTopology,
        concurrency: Int = 4,
        maxAttempts: Int = 8,
        retryInitialDelay: Duration = .milliseconds(500),
        retryMaximumDelay: Duration = .seconds(15),
        startsWork: Bool = true
    ) {
        self.queue = topology.lettaQueueName
        self.deadLetterExchange = topology.deadLetterExchange
        self.deadLetterRoutingKey = topology.lettaDeadLetterQueueName
        self.concurrency = concurrency
        self.maxAttempts = maxAttempts
        self.retryInitialDelay = retryInitialDelay
        self.retryMaximumDelay = retryMaximumDelay
        self.startsWork = startsWork
    }

    /// The delay before attempt number `attempt + 1` (0-based): exponential, capped, ±20 % jitter.
    public func retryDelay(attempt: Int, random: Double = Double.random(in: 0..<1)) -> Duration {
        var delay = retryInitialDelay
        for _ in 0..<min(attempt, 30) {
            delay = delay * 2
            if delay >= retryMaximumDelay { break }
        }
        return min(delay, retryMaximumDelay) * (0.8 + 0.4 * random)
    }
}
