public import NIOCore

/// A message the broker handed back with `basic.return` (mandatory publish that no queue accepted).
public struct AMQPReturnedMessage: Sendable, Hashable {
    /// Why it came back, typically `312 NO_ROUTE`.
    public var replyCode: UInt16
    /// The broker's explanation, e.g. `NO_ROUTE`.
    public var replyText: String
    /// The exchange it was published to.
    public var exchange: String
    /// The routing key it was published with.
    public var routingKey: String
    /// Its properties, as published.
    public var properties: AMQPProperties
    /// Its body, as published.
    public var body: ByteBuffer

    /// Creates a returned message.
    public init(
        replyCode: UInt16,
        replyText: String,
        exchange: String,
        routingKey: String,
        properties: AMQPProperties,
        body: ByteBuffer
    ) {
        self.replyCode = replyCode
        self.replyText = replyText
        self.exchange = exchange
        self.routingKey = routingKey
        self.properties = properties
        self.body = body
    }
}

/// The broker's verdict on one publish.
public enum AMQPPublishConfirm: Sendable, Hashable {
    /// The broker took responsibility for the message (persisted to disk for persistent messages on
    /// durable queues, or routed nowhere when not mandatory).
    case ack
    /// The broker could not take the message (e.g. `x-overflow=reject-publish` on a full queue, internal
    /// error). Republishing may or may not help.
    case nack
    /// A mandatory message could not be routed; the broker returned it (and then acked the return).
    case returned(AMQPReturnedMessage)
    /// The channel is not in confirm mode: the message was handed to the socket and nothing more is known.
    case unconfirmed
}

/// What `queue.declare` answered.
public struct AMQPQueueDeclareOk: Sendable, Hashable {
    /// The queue's name (server-generated when declared with an empty name).
    public var queue: String
    /// Messages ready in the queue.
    public var messageCount: UInt32
    /// Consumers attached to the queue.
    public var consumerCount: UInt32

    /// Creates a declare-ok value.
    public init(queue: String, messageCount: UInt32, consumerCount: UInt32) {
        self.queue = queue
        self.messageCount = messageCount
        self.consumerCount = consumerCount
    }
}

/// Exchange types RabbitMQ ships with.
public struct AMQPExchangeType: Sendable, Hashable, ExpressibleByStringLiteral, CustomStringConvertible {
    /// The type name sent in exchange.declare.
    public var name: String

    /// Creates a type from its name (plugins add more, e.g. `x-delayed-message`).
    public init(_ name: String) { self.name = name }

    /// Creates a type from a literal.
    public init(stringLiteral value: String) { self.name = value }

    /// Routes on exact routing-key match.
    public static let direct = AMQPExchangeType("direct")
    /// Routes to every bound queue.
    public static let fanout = AMQPExchangeType("fanout")
    /// Routes on dotted-pattern match (`*` one word, `#` zero or more).
    public static let topic = AMQPExchangeType("topic")
    /// Routes on header values.
    public static let headers = AMQPExchangeType("headers")

    /// The type name.
    public var description: String { self.name }
}

/// A message fetched from a queue, before it is wrapped with its channel for acknowledgement.
struct AMQPIncomingMessage: Sendable {
    var deliveryTag: UInt64
    var redelivered: Bool
    var exchange: String
    var routingKey: String
    var properties: AMQPProperties
    var body: ByteBuffer
}
