import NIOConcurrencyHelpers
public import NIOCore

/// An AMQP channel: a lightweight session on a connection (spec §2.2.5). Method names mirror the spec.
///
/// Synchronous methods (declare, bind, qos, consume, …) queue on the channel and run one at a time, as the
/// protocol requires; publishes and acks are asynchronous and pipeline freely. A channel error
/// (e.g. `406 PRECONDITION_FAILED`) closes only this channel: every later call throws that error.
public final class AMQPChannel: Sendable {
    /// The channel number on its connection.
    public let id: UInt16
    /// The connection carrying this channel.
    public let connection: AMQPConnection
    private let closedError = NIOLockedValueBox<AMQPError?>(nil)

    init(id: UInt16, connection: AMQPConnection) {
        self.id = id
        self.connection = connection
    }

    /// Whether the channel is still open (neither side closed it and the connection is alive).
    public var isOpen: Bool { self.closedError.withLockedValue { $0 == nil } }

    /// Why the channel closed, once it has.
    public var closeReason: AMQPError? { self.closedError.withLockedValue { $0 } }

    func markClosed(_ error: AMQPError) {
        self.closedError.withLockedValue { if $0 == nil { $0 = error } }
    }

    // MARK: exchange

    /// Declares an exchange (exchange.declare). Re-declaring with different properties fails with a
    /// `406 PRECONDITION_FAILED` channel error; `passive` only checks existence (404 if missing).
    public func exchangeDeclare(
        _ exchange: String,
        type: AMQPExchangeType = .direct,
        passive: Bool = false,
        durable: Bool = true,
        autoDelete: Bool = false,
        internal: Bool = false,
        arguments: AMQPTable = [:]
    ) async throws {
        _ = try await self.rpc(
            .exchangeDeclare(
                .init(
                    exchange: exchange,
                    type: type.name,
                    passive: passive,
                    durable: durable,
                    autoDelete: autoDelete,
                    internal: `internal`,
                    noWait: false,
                    arguments: arguments
                )
            )
        )
    }

    /// Deletes an exchange (exchange.delete).
    public func exchangeDelete(_ exchange: String, ifUnused: Bool = false) async throws {
        _ = try await self.rpc(.exchangeDelete(exchange: exchange, ifUnused: ifUnused, noWait: false))
    }

    /// Binds exchange `destination` to `source` (RabbitMQ exchange-to-exchange bindings).
    public func exchangeBind(
        destination: String,
        source: String,
        routingKey: String,
        arguments: AMQPTable = [:]
    ) async throws {
        _ = try await self.rpc(
            .exchangeBind(
                .init(
                    destination: destination, source: source, routingKey: routingKey, noWait: false,
                    arguments: arguments)
            )
        )
    }

    /// Removes an exchange-to-exchange binding.
    public func exchangeUnbind(
        destination: String,
        source: String,
        routingKey: String,
        arguments: AMQPTable = [:]
    ) async throws {
        _ = try await self.rpc(
            .exchangeUnbind(
                .init(
                    destination: destination, source: source, routingKey: routingKey, noWait: false,
                    arguments: arguments)
            )
        )
    }

    // MARK: queue

    /// Declares a queue (queue.declare). An empty name asks the broker to generate one. Arguments carry
    /// RabbitMQ extensions such as `x-queue-type`, `x-max-length`, `x-overflow`, `x-dead-letter-exchange`,
    /// `x-dead-letter-routing-key` and `x-message-ttl`; a mismatch with an existing queue is a 406.
    @discardableResult
    public func queueDeclare(
        _ queue: String = "",
        passive: Bool = false,
        durable: Bool = true,
        exclusive: Bool = false,
        autoDelete: Bool = false,
        arguments: AMQPTable = [:]
    ) async throws -> AMQPQueueDeclareOk {
        let response = try await self.rpc(
            .queueDeclare(
                .init(
                    queue: queue,
                    passive: passive,
                    durable: durable,
                    exclusive: exclusive,
                    autoDelete: autoDelete,
                    noWait: false,
                    arguments: arguments
                )
            )
        )
        guard case .queueDeclareOk(let name, let messages, let consumers) = response.method else {
            throw AMQPError(code: .protocolViolation, message: "queue.declare answered with \(response.method.id)")
        }
        return AMQPQueueDeclareOk(queue: name, messageCount: messages, consumerCount: consumers)
    }

    /// Binds a queue to an exchange (queue.bind).
    public func queueBind(queue: String, exchange: String, routingKey: String = "", arguments: AMQPTable = [:])
        async throws
    {
        _ = try await self.rpc(
            .queueBind(
                .init(destination: queue, source: exchange, routingKey: routingKey, noWait: false, arguments: arguments)
            )
        )
    }

    /// Removes a queue binding (queue.unbind).
    public func queueUnbind(queue: String, exchange: String, routingKey: String = "", arguments: AMQPTable = [:])
        async throws
    {
        _ = try await self.rpc(
            .queueUnbind(
                .init(destination: queue, source: exchange, routingKey: routingKey, noWait: false, arguments: arguments)
            )
        )
    }

    /// Removes all ready messages from a queue; returns how many were purged.
    @discardableResult
    public func queuePurge(_ queue: String) async throws -> UInt32 {
        let response = try await self.rpc(.queuePurge(queue: queue, noWait: false))
        guard case .queuePurgeOk(let count) = response.method else { return 0 }
        return count
    }

    /// Deletes a queue; returns how many messages it held. Its consumers receive a broker-sent basic.cancel.
    @discardableResult
    public func queueDelete(_ queue: String, ifUnused: Bool = false, ifEmpty: Bool = false) async throws -> UInt32 {
        let response = try await self.rpc(
            .queueDelete(queue: queue, ifUnused: ifUnused, ifEmpty: ifEmpty, noWait: false))
        guard case .queueDeleteOk(let count) = response.method else { return 0 }
        return count
    }

    // MARK: basic

    /// Limits unacknowledged deliveries (basic.qos). RabbitMQ applies `prefetchCount` per consumer unless
    /// `global` is true; `prefetchSize` must be 0 for RabbitMQ.
    public func basicQos(prefetchCount: UInt16, prefetchSize: UInt32 = 0, global: Bool = false) async throws {
        _ = try await self.rpc(.basicQos(prefetchSize: prefetchSize, prefetchCount: prefetchCount, global: global))
    }

    /// Puts the channel in publisher-confirm mode (confirm.select). From then on every `basicPublish`
    /// returns only when the broker acked or nacked it.
    public func confirmSelect() async throws {
        _ = try await self.rpc(.confirmSelect(noWait: false))
    }

    /// Publishes a message (basic.publish + content header + body frames).
    ///
    /// In confirm mode this returns when the broker confirmed: `.ack`, `.nack`, or `.returned` for a
    /// `mandatory` message no queue accepted. Concurrent callers are pipelined: publishes are written
    /// without waiting for earlier confirms. If the connection is lost first, it throws
    /// `.publishUnconfirmed` (recoverable): the broker may or may not have the message, republish it.
    /// Without confirm mode it returns `.unconfirmed` once the frames are queued for the socket.
    @discardableResult
    public func basicPublish(
        exchange: String = "",
        routingKey: String,
        body: ByteBuffer,
        properties: AMQPProperties = AMQPProperties(),
        mandatory: Bool = false
    ) async throws -> AMQPPublishConfirm {
        if let reason = self.closeReason { throw reason }
        let promise = self.connection.eventLoop.makePromise(of: AMQPPublishConfirm.self)
        let id = self.id
        self.connection.onLoop { handler in
            handler.publish(
                channelID: id,
                exchange: exchange,
                routingKey: routingKey,
                mandatory: mandatory,
                properties: properties,
                body: body,
                promise: promise
            )
        }
        return try await promise.futureResult.get()
    }

    /// Publishes bytes; see `basicPublish(exchange:routingKey:body:properties:mandatory:)` for semantics.
    @discardableResult
    public func basicPublish(
        exchange: String = "",
        routingKey: String,
        body: some Collection<UInt8>,
        properties: AMQPProperties = AMQPProperties(),
        mandatory: Bool = false
    ) async throws -> AMQPPublishConfirm {
        try await self.basicPublish(
            exchange: exchange,
            routingKey: routingKey,
            body: ByteBuffer(bytes: body),
            properties: properties,
            mandatory: mandatory
        )
    }

    /// Starts a consumer (basic.consume) and returns its delivery sequence. Prefer `withConsumer`, which
    /// cancels the consumer when the body exits.
    public func basicConsume(
        queue: String,
        consumerTag: String = "",
        noAck: Bool = false,
        exclusive: Bool = false,
        arguments: AMQPTable = [:]
    ) async throws -> AMQPConsumer {
        let tag = consumerTag.isEmpty ? Self.makeConsumerTag() : consumerTag
        let (consumer, sink) = AMQPConsumer.makeStream(consumerTag: tag)
        try await self.basicConsume(
            queue: queue,
            consumerTag: tag,
            noAck: noAck,
            exclusive: exclusive,
            arguments: arguments,
            sink: sink
        )
        return consumer
    }

    func basicConsume(
        queue: String,
        consumerTag: String,
        noAck: Bool,
        exclusive: Bool,
        arguments: AMQPTable,
        sink: AMQPConsumerSink
    ) async throws {
        let promise = self.connection.eventLoop.makePromise(of: ChannelStateMachine.RPCResponse.self)
        let id = self.id
        let method = AMQPMethod.BasicConsume(
            queue: queue,
            consumerTag: consumerTag,
            noLocal: false,
            noAck: noAck,
            exclusive: exclusive,
            noWait: false,
            arguments: arguments
        )
        self.connection.onLoop { $0.consume(channelID: id, method, sink: sink, promise: promise) }
        _ = try await promise.futureResult.get()
    }

    /// Runs `body` with a consumer's deliveries and cancels the consumer (basic.cancel) when `body` returns
    /// or throws. Unacknowledged deliveries are requeued by the broker when the channel closes.
    public func withConsumer<Result>(
        isolation: isolated (any Actor)? = #isolation,
        queue: String,
        consumerTag: String = "",
        noAck: Bool = false,
        exclusive: Bool = false,
        arguments: AMQPTable = [:],
        _ body: (AMQPConsumer) async throws -> Result
    ) async throws -> Result {
        let consumer = try await self.basicConsume(
            queue: queue,
            consumerTag: consumerTag,
            noAck: noAck,
            exclusive: exclusive,
            arguments: arguments
        )
        do {
            let result = try await body(consumer)
            try? await self.basicCancel(consumer.consumerTag)
            return result
        } catch {
            try? await self.basicCancel(consumer.consumerTag)
            throw error
        }
    }

    /// Cancels a consumer (basic.cancel); its delivery sequence then finishes.
    public func basicCancel(_ consumerTag: String) async throws {
        guard self.isOpen else { return }
        _ = try await self.rpc(.basicCancel(consumerTag: consumerTag, noWait: false))
    }

    /// Fetches one message synchronously (basic.get); nil when the queue is empty.
    public func basicGet(queue: String, noAck: Bool = false) async throws -> AMQPDelivery? {
        let response = try await self.rpc(.basicGet(queue: queue, noAck: noAck))
        guard let message = response.message else { return nil }
        return AMQPDelivery(message: message, consumerTag: "", channel: self)
    }

    /// Acknowledges a delivery (basic.ack); `multiple` covers every earlier unacknowledged tag too.
    /// Throws `.staleDelivery` when this channel has closed: the tag means nothing on any other channel.
    public func basicAck(deliveryTag: UInt64, multiple: Bool = false) throws {
        try self.sendAcknowledgement(.basicAck(deliveryTag: deliveryTag, multiple: multiple), tag: deliveryTag)
    }

    /// Negatively acknowledges deliveries (basic.nack, a RabbitMQ extension).
    public func basicNack(deliveryTag: UInt64, multiple: Bool = false, requeue: Bool = true) throws {
        try self.sendAcknowledgement(
            .basicNack(deliveryTag: deliveryTag, multiple: multiple, requeue: requeue),
            tag: deliveryTag
        )
    }

    /// Rejects one delivery (basic.reject).
    public func basicReject(deliveryTag: UInt64, requeue: Bool = true) throws {
        try self.sendAcknowledgement(.basicReject(deliveryTag: deliveryTag, requeue: requeue), tag: deliveryTag)
    }

    /// Asks the broker to redeliver this channel's unacknowledged messages (basic.recover).
    public func basicRecover(requeue: Bool = true) async throws {
        _ = try await self.rpc(.basicRecover(requeue: requeue))
    }

    /// Closes the channel (channel.close 200). Consumers on it finish; unacked deliveries are requeued.
    public func close() async throws {
        let promise = self.connection.eventLoop.makePromise(of: ChannelStateMachine.RPCResponse.self)
        let id = self.id
        self.connection.onLoop { $0.closeChannel(channelID: id, promise: promise) }
        _ = try await promise.futureResult.get()
    }

    // MARK: internals

    func rpc(_ method: AMQPMethod) async throws -> ChannelStateMachine.RPCResponse {
        if let reason = self.closeReason { throw reason }
        let promise = self.connection.eventLoop.makePromise(of: ChannelStateMachine.RPCResponse.self)
        let id = self.id
        self.connection.onLoop { $0.rpc(channelID: id, method, promise: promise) }
        return try await promise.futureResult.get()
    }

    private func sendAcknowledgement(_ method: AMQPMethod, tag: UInt64) throws {
        if let reason = self.closeReason {
            throw AMQPError(
                code: .staleDelivery,
                message:
                    "delivery tag \(tag) belongs to channel \(self.id), which has closed; tags are per channel, so "
                    + "it cannot be acknowledged elsewhere and the broker will redeliver the message",
                underlying: reason
            )
        }
        let id = self.id
        self.connection.onLoop { $0.send(channelID: id, method) }
    }

    static func makeConsumerTag() -> String {
        "amqp-swift-\(UInt64.random(in: 0...UInt64.max))"
    }
}
