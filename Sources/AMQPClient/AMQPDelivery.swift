public import NIOCore

/// A message delivered to a consumer (basic.deliver) or fetched with basic.get.
///
/// Acknowledge it with `ack()`, `nack(requeue:)` or `reject(requeue:)` unless the consumer used `noAck`.
/// Delivery tags are scoped to the channel that received the message (spec §1.8.2.7): once that channel or
/// its connection is gone, acknowledging throws `.staleDelivery` and the broker redelivers the message.
public struct AMQPDelivery: Sendable {
    /// The channel-scoped delivery tag.
    public var deliveryTag: UInt64
    /// Whether the broker delivered this message before (to this or another consumer) without an ack.
    public var redelivered: Bool
    /// The exchange the message was published to.
    public var exchange: String
    /// The routing key it was published with.
    public var routingKey: String
    /// The consumer that received it (empty for basic.get).
    public var consumerTag: String
    /// Its content properties.
    public var properties: AMQPProperties
    /// Its body.
    public var body: ByteBuffer
    /// The channel that received it; acknowledgements go back through it.
    public let channel: AMQPChannel

    init(message: AMQPIncomingMessage, consumerTag: String, channel: AMQPChannel) {
        self.deliveryTag = message.deliveryTag
        self.redelivered = message.redelivered
        self.exchange = message.exchange
        self.routingKey = message.routingKey
        self.consumerTag = consumerTag
        self.properties = message.properties
        self.body = message.body
        self.channel = channel
    }

    /// Acknowledges this delivery; with `multiple`, also every earlier unacknowledged one on the channel.
    public func ack(multiple: Bool = false) async throws {
        try self.channel.basicAck(deliveryTag: self.deliveryTag, multiple: multiple)
    }

    /// Negatively acknowledges (RabbitMQ's basic.nack); `requeue: false` dead-letters or drops it.
    public func nack(multiple: Bool = false, requeue: Bool = true) async throws {
        try self.channel.basicNack(deliveryTag: self.deliveryTag, multiple: multiple, requeue: requeue)
    }

    /// Rejects this delivery (basic.reject); `requeue: false` dead-letters or drops it.
    public func reject(requeue: Bool = true) async throws {
        try self.channel.basicReject(deliveryTag: self.deliveryTag, requeue: requeue)
    }
}

/// The deliveries of one consumer, in order. Iteration ends normally when the consumer is cancelled by the
/// client and throws when the broker cancels it (`.consumerCancelled`) or the channel or connection closes.
public struct AMQPConsumer: AsyncSequence, Sendable {
    /// The element type.
    public typealias Element = AMQPDelivery

    /// The consumer tag the broker knows this consumer by.
    public let consumerTag: String
    let stream: AsyncThrowingStream<AMQPDelivery, any Error>

    /// Creates an iterator; a consumer should be iterated once.
    public func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(base: self.stream.makeAsyncIterator())
    }

    /// Iterates deliveries.
    public struct AsyncIterator: AsyncIteratorProtocol {
        var base: AsyncThrowingStream<AMQPDelivery, any Error>.AsyncIterator

        /// The next delivery, or nil when the consumer ended.
        public mutating func next() async throws -> AMQPDelivery? {
            try await self.base.next()
        }
    }

    /// Creates the consumer's stream and the sink the connection handler feeds.
    static func makeStream(consumerTag: String) -> (AMQPConsumer, AMQPConsumerSink) {
        let (stream, continuation) = AsyncThrowingStream<AMQPDelivery, any Error>.makeStream()
        let sink = AMQPConsumerSink(
            onDelivery: { continuation.yield($0) },
            onFinish: { error in
                if let error {
                    continuation.finish(throwing: error)
                } else {
                    continuation.finish()
                }
            }
        )
        return (AMQPConsumer(consumerTag: consumerTag, stream: stream), sink)
    }
}
