import Logging
import NIOCore

/// Receives deliveries for one consumer tag; called on the event loop.
struct AMQPConsumerSink: Sendable {
    /// A complete message for this consumer.
    var onDelivery: @Sendable (AMQPDelivery) -> Void
    /// The consumer ended: nil after our own basic.cancel, an error when the broker cancelled it or the
    /// channel/connection closed.
    var onFinish: @Sendable (AMQPError?) -> Void
}

/// Per-channel state the handler keeps beside the pure state machine.
final class AMQPChannelContext {
    var machine: ChannelStateMachine
    var consumers: [String: AMQPConsumerSink] = [:]
    /// The public handle, so deliveries can ack through it.
    let handle: AMQPChannel

    init(id: UInt16, handle: AMQPChannel) {
        self.machine = ChannelStateMachine(channelID: id)
        self.handle = handle
    }
}

/// The I/O half of a connection. It owns the state machines, feeds them decoded frames and performs the
/// actions they return: writing frames, completing promises, pushing deliveries. All methods run on the
/// channel's event loop.
///
/// Writes are appended to one pending buffer and flushed once per event-loop tick, so a burst of concurrent
/// publishes (method + header + body frames each) leaves as a few large writes instead of many small ones.
final class AMQPConnectionHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private var state: ConnectionStateMachine
    private var decoder: AMQPFrameDecoder
    private var inbound: ByteBuffer?
    private var context: ChannelHandlerContext?
    private var channels: [UInt16: AMQPChannelContext] = [:]
    private var lastChannelID: UInt16 = 0
    private(set) var tuning: ConnectionStateMachine.Tuning?
    private var pending: ByteBuffer
    private var flushScheduled = false
    private var heartbeatTask: RepeatedTask?
    /// How long a confirm-mode publish may wait for the broker's ack/nack; nil waits as long as the connection lives.
    private let confirmTimeout: TimeAmount?
    private var confirmSweepTask: RepeatedTask?
    private var receivedSinceTick = false
    private var sentSinceTick = false
    private var finalised = false
    private var closeError: AMQPError?
    private(set) var isBlocked = false
    private var clientRequestedClose = false
    let logger: Logger

    /// Completes when the handshake finished (connection.open-ok) or fails when it did not.
    let startupPromise: EventLoopPromise<ConnectionStateMachine.Tuning>
    /// Completes once the connection is fully closed: nil for a client-initiated clean close, else the cause.
    let closedPromise: EventLoopPromise<AMQPError?>
    weak var connection: AMQPConnection?

    init(
        parameters: ConnectionStateMachine.Parameters,
        eventLoop: any EventLoop,
        logger: Logger,
        confirmTimeout: TimeAmount? = nil
    ) {
        self.confirmTimeout = confirmTimeout
        self.state = ConnectionStateMachine(parameters: parameters)
        self.decoder = AMQPFrameDecoder(frameMax: parameters.frameMax == 0 ? 131_072 : parameters.frameMax)
        self.logger = logger
        self.startupPromise = eventLoop.makePromise()
        self.closedPromise = eventLoop.makePromise()
        self.pending = ByteBufferAllocator().buffer(capacity: 0)
    }

    // MARK: channel events

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        self.pending = context.channel.allocator.buffer(capacity: 16 * 1024)
        if context.channel.isActive { self.channelActive(context: context) }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        // Reached without channelInactive when the TCP connect itself failed: complete the promises anyway.
        self.finalise(
            self.closeError ?? AMQPError(code: .connectionFailed, message: "connection was never established"))
        self.context = nil
    }

    func channelActive(context: ChannelHandlerContext) {
        let action = self.state.connected()
        self.perform(action)
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        self.perform(self.state.channelInactive())
        if self.closeError == nil && self.clientRequestedClose {
            self.finalise(nil)
        } else {
            self.finalise(self.closeError ?? AMQPError(code: .connectionClosed, message: "connection lost"))
        }
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        let amqpError =
            (error as? AMQPError)
            ?? AMQPError(code: .connectionClosed, message: "I/O error", underlying: error)
        self.logger.debug("AMQP connection error", metadata: ["error": "\(amqpError)"])
        if self.closeError == nil { self.closeError = amqpError }
        context.close(promise: nil)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        self.receivedSinceTick = true
        let buffer = self.unwrapInboundIn(data)
        if self.inbound == nil || self.inbound!.readableBytes == 0 {
            self.inbound = buffer
        } else {
            var buffer = buffer
            self.inbound!.writeBuffer(&buffer)
        }
        do {
            while let frame = try self.decoder.decode(buffer: &self.inbound!) {
                self.handleFrame(frame)
                if self.finalised { return }
            }
            if self.inbound!.readableBytes == 0 {
                self.inbound = nil
            } else if self.inbound!.readerIndex > 65_536 {
                self.inbound!.discardReadBytes()
            }
        } catch {
            self.inbound = nil
            let amqpError =
                (error as? AMQPError) ?? AMQPError(code: .frameError, message: "\(error)", replyCode: 501)
            self.logger.error("AMQP frame error", metadata: ["error": "\(amqpError)"])
            self.closeError = amqpError
            // After a framing error the stream is unusable; close the socket (spec §4.2.3: 501 + close).
            self.perform(self.state.protocolError(amqpError))
            self.context?.close(promise: nil)
        }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        self.flushIfNeeded()
        context.fireChannelReadComplete()
    }

    // MARK: frames

    private func handleFrame(_ frame: AMQPFrame) {
        switch frame {
        case .heartbeat:
            return
        case .method(0, let method):
            self.perform(self.state.methodReceived(method))
        case .method(let id, let method):
            guard let channel = self.channels[id] else { return self.unknownChannel(id) }
            self.perform(channel.machine.methodReceived(method), on: channel)
        case .header(let id, let header):
            guard let channel = self.channels[id] else { return self.unknownChannel(id) }
            self.perform(channel.machine.headerReceived(header), on: channel)
        case .body(let id, let body):
            guard let channel = self.channels[id] else { return self.unknownChannel(id) }
            self.perform(channel.machine.bodyReceived(body), on: channel)
        }
    }

    private func unknownChannel(_ id: UInt16) {
        // Frames for a channel we already forgot (closed locally) are dropped; the broker discards ours too.
        self.logger.trace("frame for unknown channel \(id) dropped")
    }

    // MARK: connection actions

    private func perform(_ action: ConnectionStateMachine.Action) {
        switch action {
        case .none:
            break
        case .sendProtocolHeader:
            self.pending.writeBytes(AMQPFrame.protocolHeader)
            self.flushNow()
        case .sendStartOk(let method):
            self.write(channel: 0, method)
            self.flushNow()
        case .sendTuneOkAndOpen(let tuneOk, let open, let tuning):
            self.write(channel: 0, tuneOk)
            self.write(channel: 0, open)
            self.flushNow()
            self.tuning = tuning
            self.decoder.frameMax = tuning.frameMax == 0 ? UInt32.max : tuning.frameMax
        case .established(let tuning):
            self.tuning = tuning
            self.startHeartbeats(tuning.heartbeat)
            self.startConfirmSweeps()
            self.startupPromise.succeed(tuning)
        case .sendCloseOkAndClose(let error):
            self.closeError = error
            self.write(channel: 0, .connectionCloseOk)
            self.flushNow()
            self.logger.info("broker closed the connection", metadata: ["error": "\(error)"])
            self.context?.close(promise: nil)
        case .sendClose(let method):
            self.write(channel: 0, method)
            self.flushNow()
        case .closeSocket(let error):
            if let error, self.closeError == nil { self.closeError = error }
            self.context?.close(promise: nil)
        case .sendHeartbeat:
            self.pending.writeHeartbeatFrame()
            self.flushNow()
        case .blocked(let reason):
            self.isBlocked = true
            self.logger.warning("broker blocked the connection", metadata: ["reason": "\(reason)"])
        case .unblocked:
            self.isBlocked = false
            self.logger.info("broker unblocked the connection")
        }
    }

    private func perform(_ action: ChannelStateMachine.Action, on channel: AMQPChannelContext) {
        let id = channel.machine.channelID
        switch action {
        case .none:
            break
        case .send(let method):
            self.write(channel: id, method)
            self.scheduleFlush()
        case .fail(let promise, let error):
            promise.fail(error)
        case .succeed(let promise, let method, let next):
            if let next {
                self.write(channel: id, next)
                self.scheduleFlush()
            }
            if case .basicCancelOk(let tag) = method, let sink = channel.consumers.removeValue(forKey: tag) {
                sink.onFinish(nil)
            }
            promise.succeed(.init(method: method))
        case .getOk(let promise, let message, let next):
            if let next {
                self.write(channel: id, next)
                self.scheduleFlush()
            }
            promise.succeed(
                .init(
                    method: message == nil
                        ? .basicGetEmpty
                        : .basicGetOk(
                            deliveryTag: 0, redelivered: false, exchange: "", routingKey: "", messageCount: 0),
                    message: message))
        case .deliver(let consumerTag, let message):
            if let sink = channel.consumers[consumerTag] {
                sink.onDelivery(AMQPDelivery(message: message, consumerTag: consumerTag, channel: channel.handle))
            } else {
                self.logger.warning("delivery for unknown consumer \(consumerTag) on channel \(id)")
            }
        case .unmatchedReturn(let message):
            self.logger.warning(
                "message returned by the broker",
                metadata: [
                    "exchange": "\(message.exchange)", "routing_key": "\(message.routingKey)",
                    "reply": "\(message.replyCode) \(message.replyText)",
                ]
            )
        case .confirms(let resolved):
            for (promise, outcome) in resolved {
                switch outcome {
                case .ack: promise.succeed(.ack)
                case .nack: promise.succeed(.nack)
                case .returned(let message): promise.succeed(.returned(message))
                }
            }
        case .consumerCancelledByBroker(let consumerTag, let sendCancelOk):
            if sendCancelOk {
                self.write(channel: id, .basicCancelOk(consumerTag: consumerTag))
                self.scheduleFlush()
            }
            if let sink = channel.consumers.removeValue(forKey: consumerTag) {
                sink.onFinish(
                    AMQPError(
                        code: .consumerCancelled,
                        message: "the broker cancelled consumer \(consumerTag) (queue deleted or failed over)"
                    )
                )
            }
        case .sendFlowOk(let active):
            self.write(channel: id, .channelFlowOk(active: active))
            self.scheduleFlush()
        case .closed(let error, let rpcs, let confirms, let sendCloseOk):
            if sendCloseOk {
                self.write(channel: id, .channelCloseOk)
                self.scheduleFlush()
                self.logger.debug("broker closed channel", metadata: ["error": "\(error)"])
            }
            self.channels[id] = nil
            channel.handle.markClosed(error)
            for promise in rpcs { promise.fail(error) }
            let publishError =
                error.isConnectionError
                ? AMQPError(
                    code: .publishUnconfirmed,
                    message: "connection lost before the broker confirmed the publish; republish it",
                    underlying: error
                ) : error
            for promise in confirms { promise.fail(publishError) }
            let consumers = channel.consumers
            channel.consumers.removeAll()
            for sink in consumers.values { sink.onFinish(error) }
        case .connectionError(let error):
            self.closeError = error
            self.perform(self.state.protocolError(error))
        }
    }

    // MARK: operations called by AMQPConnection / AMQPChannel (on the event loop)

    func openChannel(handleFactory: (UInt16) -> AMQPChannel, promise: EventLoopPromise<AMQPChannel>) {
        guard self.state.isOpen, let tuning = self.tuning else {
            return promise.fail(self.closeError ?? AMQPError(code: .connectionClosed, message: "connection is closed"))
        }
        let limit = tuning.channelMax == 0 ? UInt16.max : tuning.channelMax
        var candidate = self.lastChannelID
        var found: UInt16?
        for _ in 0..<Int(limit) {
            candidate = candidate >= limit ? 1 : candidate + 1
            if self.channels[candidate] == nil {
                found = candidate
                break
            }
        }
        guard let id = found else {
            return promise.fail(AMQPError(code: .unsupported, message: "all \(limit) channels are in use"))
        }
        self.lastChannelID = id
        let handle = handleFactory(id)
        let channel = AMQPChannelContext(id: id, handle: handle)
        self.channels[id] = channel
        let rpc = self.eventLoop.makePromise(of: ChannelStateMachine.RPCResponse.self)
        self.perform(channel.machine.sendRPC(.channelOpen, promise: rpc), on: channel)
        rpc.futureResult.map { _ in handle }.cascade(to: promise)
    }

    func rpc(channelID: UInt16, _ method: AMQPMethod, promise: EventLoopPromise<ChannelStateMachine.RPCResponse>) {
        guard let channel = self.channels[channelID] else {
            return promise.fail(self.channelGoneError(channelID))
        }
        // Validate encodability up front so a bad argument fails this call, not the connection.
        var scratch = self.pending
        scratch.clear()
        do {
            try scratch.writeMethodPayload(method)
        } catch {
            return promise.fail(error)
        }
        self.perform(channel.machine.sendRPC(method, promise: promise), on: channel)
    }

    func consume(
        channelID: UInt16,
        _ method: AMQPMethod.BasicConsume,
        sink: AMQPConsumerSink,
        promise: EventLoopPromise<ChannelStateMachine.RPCResponse>
    ) {
        guard let channel = self.channels[channelID] else {
            return promise.fail(self.channelGoneError(channelID))
        }
        // Register before consume-ok: deliveries may follow it in the same read.
        channel.consumers[method.consumerTag] = sink
        promise.futureResult.assumeIsolated().whenFailure { [weak channel] _ in
            channel?.consumers[method.consumerTag] = nil
        }
        self.rpc(channelID: channelID, .basicConsume(method), promise: promise)
    }

    func closeChannel(channelID: UInt16, promise: EventLoopPromise<ChannelStateMachine.RPCResponse>) {
        guard let channel = self.channels[channelID] else {
            return promise.succeed(.init(method: .channelCloseOk))
        }
        self.perform(channel.machine.closeRequested(promise: promise), on: channel)
    }

    /// Fire-and-forget methods (ack, nack, reject): no response exists.
    func send(channelID: UInt16, _ method: AMQPMethod) {
        guard let channel = self.channels[channelID], channel.machine.isOpen else { return }
        self.write(channel: channelID, method)
        self.scheduleFlush()
    }

    func publish(
        channelID: UInt16,
        exchange: String,
        routingKey: String,
        mandatory: Bool,
        properties: AMQPProperties,
        body: ByteBuffer,
        promise: EventLoopPromise<AMQPPublishConfirm>
    ) {
        guard let channel = self.channels[channelID] else {
            return promise.fail(self.channelGoneError(channelID))
        }
        let frameMax = self.tuning.map { $0.frameMax == 0 ? UInt32(1 << 20) : $0.frameMax } ?? 131_072
        let start = self.pending.writerIndex
        do {
            try self.pending.writeMethodFrame(
                channel: channelID,
                .basicPublish(exchange: exchange, routingKey: routingKey, mandatory: mandatory, immediate: false)
            )
            let headerStart = self.pending.writerIndex
            try self.pending.writeHeaderFrame(
                channel: channelID,
                bodySize: UInt64(body.readableBytes),
                properties: properties
            )
            // A content header cannot be split: one over frame_max makes the broker close the whole
            // connection (and with it every unacknowledged delivery). Refuse it here instead.
            let headerSize = self.pending.writerIndex - headerStart
            if headerSize > Int(frameMax) {
                throw AMQPError(
                    code: .frameTooLarge,
                    message:
                        "the message's properties (content header frame of \(headerSize) bytes) exceed frame_max "
                        + "(\(frameMax) bytes); shorten its headers")
            }
            self.pending.writeBodyFrames(channel: channelID, body: body, frameMax: frameMax)
        } catch {
            self.pending.moveWriterIndex(to: start)
            return promise.fail(error)
        }
        let key: ConfirmTracker<EventLoopPromise<AMQPPublishConfirm>>.MandatoryKey? =
            mandatory ? .init(exchange: exchange, routingKey: routingKey, bodyHash: body.hashValue) : nil
        if let error = channel.machine.publish(promise: promise, mandatory: key, at: self.eventLoop.now) {
            self.pending.moveWriterIndex(to: start)
            return promise.fail(error)
        }
        self.scheduleFlush()
        if channel.machine.confirms == nil {
            promise.succeed(.unconfirmed)
        }
    }

    func close(promise: EventLoopPromise<Void>) {
        self.closedPromise.futureResult.map { _ in () }.cascade(to: promise)
        if !self.finalised { self.clientRequestedClose = true }
        self.perform(
            self.state.closeRequested(replyCode: AMQPReplyCode.replySuccess, replyText: "Goodbye", error: nil)
        )
    }

    // MARK: writing

    private var eventLoop: any EventLoop { self.closedPromise.futureResult.eventLoop }

    private func write(channel: UInt16, _ method: AMQPMethod) {
        let start = self.pending.writerIndex
        do {
            try self.pending.writeMethodFrame(channel: channel, method)
        } catch {
            self.pending.moveWriterIndex(to: start)
            self.logger.error("could not encode \(method.id): \(error)")
        }
    }

    private func scheduleFlush() {
        guard !self.flushScheduled else { return }
        self.flushScheduled = true
        self.eventLoop.assumeIsolated().execute {
            self.flushScheduled = false
            self.flushNow()
        }
    }

    private func flushIfNeeded() {
        if self.pending.readableBytes > 0 { self.flushNow() }
    }

    private func flushNow() {
        guard let context = self.context, self.pending.readableBytes > 0 else { return }
        self.sentSinceTick = true
        let buffer = self.pending
        // Start a fresh buffer rather than clearing: the written one is still owned by the socket. Size it
        // like the last batch so bursts do not regrow it step by step and single acks stay small.
        self.pending = context.channel.allocator.buffer(capacity: min(max(512, buffer.readableBytes), 256 * 1024))
        context.writeAndFlush(self.wrapOutboundOut(buffer), promise: nil)
    }

    // MARK: heartbeats

    private func startHeartbeats(_ seconds: UInt16) {
        guard seconds > 0 else { return }
        let half = TimeAmount.milliseconds(Int64(seconds) * 500)
        let bound = NIOLoopBound(self, eventLoop: self.eventLoop)
        self.heartbeatTask = self.eventLoop.scheduleRepeatedTask(initialDelay: half, delay: half) { _ in
            bound.value.heartbeatTick()
        }
    }

    private func heartbeatTick() {
        let received = self.receivedSinceTick
        let sent = self.sentSinceTick
        self.receivedSinceTick = false
        self.sentSinceTick = false
        let action = self.state.heartbeatTick(receivedSinceLastTick: received, sentSinceLastTick: sent)
        if case .closeSocket(let error) = action {
            self.logger.warning("heartbeat timeout; closing connection")
            self.closeError = error
        }
        self.perform(action)
    }

    // MARK: confirm timeout

    /// Checks for overdue confirms four times per timeout (at most every second, at least every 10 ms).
    private func startConfirmSweeps() {
        guard let timeout = self.confirmTimeout, timeout > .zero else { return }
        let period = TimeAmount.nanoseconds(min(max(timeout.nanoseconds / 4, 10_000_000), 1_000_000_000))
        let bound = NIOLoopBound(self, eventLoop: self.eventLoop)
        self.confirmSweepTask = self.eventLoop.scheduleRepeatedTask(initialDelay: period, delay: period) { _ in
            bound.value.sweepConfirms(timeout: timeout)
        }
    }

    /// Fails the publishes whose confirm is overdue with `.publishUnconfirmed`, so no caller waits forever on a
    /// broker that accepted the publish but never answers (seen around broker restarts and resource alarms).
    private func sweepConfirms(timeout: TimeAmount) {
        let cutoff = self.eventLoop.now - timeout
        for channel in self.channels.values where channel.machine.confirms?.outstandingCount ?? 0 > 0 {
            let overdue = channel.machine.expireConfirms(registeredBefore: cutoff)
            guard !overdue.isEmpty else { continue }
            self.logger.warning(
                "publishes not confirmed in time; failing them so they can be republished",
                metadata: ["channel": "\(channel.machine.channelID)", "count": "\(overdue.count)"]
            )
            let error = AMQPError(
                code: .publishUnconfirmed,
                message:
                    "the broker did not confirm the publish within \(timeout.nanoseconds / 1_000_000) ms; republish it"
            )
            for promise in overdue { promise.fail(error) }
        }
    }

    // MARK: teardown

    private func channelGoneError(_ id: UInt16) -> AMQPError {
        if let closeError = self.closeError {
            return AMQPError(code: .channelClosed, message: "channel \(id) is closed", underlying: closeError)
        }
        return AMQPError(code: .channelClosed, message: "channel \(id) is closed")
    }

    /// Fails everything still outstanding and resolves `closedPromise` (nil = clean client close).
    private func finalise(_ error: AMQPError?) {
        guard !self.finalised else { return }
        self.finalised = true
        self.heartbeatTask?.cancel()
        self.heartbeatTask = nil
        self.confirmSweepTask?.cancel()
        self.confirmSweepTask = nil
        let channelError =
            error ?? AMQPError(code: .connectionClosed, message: "connection closed by the client")
        for channel in self.channels.values {
            self.perform(channel.machine.connectionClosed(channelError), on: channel)
        }
        self.channels.removeAll()
        self.startupPromise.fail(channelError)
        self.closedPromise.succeed(error)
    }
}
