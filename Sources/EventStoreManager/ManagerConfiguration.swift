import Bloodbank

/// Settings of the Event Store Manager (see `.env.example`: `MANAGER_*`).
public struct ManagerConfiguration: Sendable {
    /// Queue to consume (brief §3: bound `#` on the Bloodbank exchange).
    public var queue: String
    /// Exchange dead-lettered messages are published to.
    public var deadLetterExchange: String
    /// Routing key of dead-lettered messages (the DLQ's binding key).
    public var deadLetterRoutingKey: String
    /// Unacknowledged deliveries the broker may push ahead (`basic.qos`); bounds memory and in-flight work.
    public var prefetch: UInt16
    /// A batch is written when it holds this many messages…
    public var batchSize: Int
    /// …or when this much time has passed, whichever comes first.
    public var batchMaxWait: Duration
    /// Redis pub/sub channel that receives every stored event after commit.
    public var streamChannel: String
    /// First delay before retrying a failed database write or broker publish.
    public var retryInitialDelay: Duration
    /// Longest delay between retries.
    public var retryMaximumDelay: Duration

    /// A configuration for `topology`'s manager queue, DLX and DLQ routing key, with default tuning.
    public init(topology: BloodbankTopology) {
        self.init(
            queue: topology.managerQueueName, deadLetterExchange: topology.deadLetterExchange,
            deadLetterRoutingKey: topology.managerDeadLetterQueueName)
    }

    /// Creates a configuration; defaults are the brief's topology and the local stack's tuning.
    public init(
        queue: String = BloodbankTopology.managerQueue,
        deadLetterExchange: String = "bloodbank.dlx",
        deadLetterRoutingKey: String = BloodbankTopology.managerDeadLetterQueue,
        prefetch: UInt16 = 1000,
        batchSize: Int = 500,
        batchMaxWait: Duration = .milliseconds(20),
        streamChannel: String = "events:stream",
        retryInitialDelay: Duration = .milliseconds(100),
        retryMaximumDelay: Duration = .seconds(5)
    ) {
        self.queue = queue
        self.deadLetterExchange = deadLetterExchange
        self.deadLetterRoutingKey = deadLetterRoutingKey
        self.prefetch = prefetch
        self.batchSize = batchSize
        self.batchMaxWait = batchMaxWait
        self.streamChannel = streamChannel
        self.retryInitialDelay = retryInitialDelay
        self.retryMaximumDelay = retryMaximumDelay
    }

    /// The delay before retry number `attempt` (0-based): exponential, capped, with ±20 % jitter.
    public func retryDelay(attempt: Int, random: Double = Double.random(in: 0..<1)) -> Duration {
        let base = retryInitialDelay * Int(pow2(min(attempt, 20)))
        let capped = min(base, retryMaximumDelay)
        return capped * (0.8 + 0.4 * random)
    }

    private func pow2(_ exponent: Int) -> Double {
        var value = 1.0
        for _ in 0..<max(0, exponent) { value *= 2 }
        return value
    }
}
