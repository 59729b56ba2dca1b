public import Bloodbank
import Foundation
public import Retry

/// Settings of the Letta bridge (see `.env.example`: `LETTA_BRIDGE_*`, `LETTA_*`).
public struct LettaBridgeConfiguration: Sendable {
    /// How Letta agents are assigned to handoffs (`LETTA_BRIDGE_AGENT_MODE`).
    public enum AgentMode: String, Sendable, CaseIterable {
        /// A new agent for every handoff, tagged with the handoff's id (the default).
        case perHandoff = "per-handoff"
        /// One long-lived agent per `to_agent` (tagged `bloodbank-agent:<name>`), its memory kept across tasks;
        /// each task gets its own memory block.
        case perName = "per-name"
    }

    /// A point in a handoff's life where a test makes the bridge process kill itself (`LETTA_BRIDGE_FAULT_POINT`).
    public struct FaultPoint: Sendable, Hashable {
        /// Where.
        public enum Stage: String, Sendable, CaseIterable {
            /// The agent exists, the acceptance is not published yet.
            case beforeAccept = "before-accept"
            /// The acceptance is confirmed, the task not sent yet.
            case afterAccept = "after-accept"
            /// The agent's turn is running (0.3 s after the task was sent).
            case duringTurn = "during-turn"
            /// The outcome is confirmed, the handoff not acknowledged yet.
            case afterOutcome = "after-outcome"
        }

        /// Where the process dies.
        public var stage: Stage
        /// At the n-th time any handoff reaches the stage (1 = the first).
        public var occurrence: Int

        /// Creates a fault point.
        public init(stage: Stage, occurrence: Int = 1) {
            self.stage = stage
            self.occurrence = max(1, occurrence)
        }

        /// Parses `stage[:n]` (e.g. `during-turn:2`); nil when malformed.
        public init?(parsing text: String) {
            let parts = text.split(separator: ":", maxSplits: 1).map(String.init)
            guard let first = parts.first, let stage = Stage(rawValue: first) else { return nil }
            var occurrence = 1
            if parts.count == 2 {
                guard let number = Int(parts[1]), number >= 1 else { return nil }
                occurrence = number
            }
            self.init(stage: stage, occurrence: occurrence)
        }
    }

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
    /// A turn without progress this long ends the handoff as blocked (stalled) (`LETTA_BRIDGE_STALL_SECONDS`).
    public var stallTimeout: Duration
    /// How long a recovery waits for a turn a previous bridge started before it asks the agent again
    /// (`LETTA_BRIDGE_RESUME_GRACE_SECONDS`).
    public var resumeGrace: Duration
    /// How often a recovery looks for that turn's reply.
    public var pollInterval: Duration
    /// Per handoff or per name (`LETTA_BRIDGE_AGENT_MODE`).
    public var agentMode: AgentMode
    /// Test affordance: kill the process at this point (nil in production).
    public var faultPoint: FaultPoint?

    /// A configuration for `topology`'s Letta queue and DLQ, with default tuning.
    public init(
        topology: BloodbankTopology,
        concurrency: Int = 4,
        maxAttempts: Int = 8,
        retry: RetryPolicy = RetryPolicy(initialDelay: .milliseconds(500), maximumDelay: .seconds(15)),
        startsWork: Bool = true,
        stallTimeout: Duration = .seconds(600),
        resumeGrace: Duration = .seconds(30),
        pollInterval: Duration = .seconds(1),
        agentMode: AgentMode = .perHandoff,
        faultPoint: FaultPoint? = nil
    ) {
        self.queue = topology.lettaQueueName
        self.deadLetterExchange = topology.deadLetterExchange
        self.deadLetterRoutingKey = topology.lettaDeadLetterQueueName
        self.concurrency = concurrency
        self.maxAttempts = maxAttempts
        self.retry = retry
        self.startsWork = startsWork
        self.stallTimeout = stallTimeout
        self.resumeGrace = resumeGrace
        self.pollInterval = pollInterval
        self.agentMode = agentMode
        self.faultPoint = faultPoint
    }
}
