public import Bloodbank
import Foundation
public import Retry

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
    /// Backoff between attempts (Letta calls, publishes, dead-letters): 0.5 s doubling to 15 s, ±20 % jitter.
    public var retry: RetryPolicy
    /// Whether to send the task to the agent after accepting it (and report completed/blocked).
    public var startsWork: Bool

    /// A configuration for `topology`'s Letta queue and DLQ, with default tuning.
    public init(
        topology: BloodbankTopology,
        concurrency: Int = 4,
        maxAttempts: Int = 8,
        retry: RetryPolicy = RetryPolicy(initialDelay: .milliseconds(500), maximumDelay: .seconds(15)),
        startsWork: Bool = true
    ) {
        self.queue = topology.lettaQueueName
        self.deadLetterExchange = topology.deadLetterExchange
        self.deadLetterRoutingKey = topology.lettaDeadLetterQueueName
        self.concurrency = concurrency
        self.maxAttempts = maxAttempts
        self.retry = retry
        self.startsWork = startsWork
    }
}
