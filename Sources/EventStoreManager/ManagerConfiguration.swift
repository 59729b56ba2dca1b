public import Bloodbank
public import Retry

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
    /// Backoff between retries of a failed database write or dead-letter publish (100 ms doubling to 5 s).
    public var retry: RetryPolicy

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
        retry: RetryPolicy = RetryPolicy(initialDelay: .milliseconds(100), maximumDelay: .seconds(5))
    ) {
        self.queue = queue
        self.deadLetterExchange = deadLetterExchange
        self.deadLetterRoutingKey = deadLetterRoutingKey
        self.prefetch = prefetch
        self.batchSize = batchSize
        self.batchMaxWait = batchMaxWait
        self.streamChannel = streamChannel
        self.retry = retry
    }
}
