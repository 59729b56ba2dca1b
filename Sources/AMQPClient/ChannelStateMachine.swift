import NIOCore

/// One channel's protocol (spec §2.2.5 channel class, §2.3.5 content framing) as a pure value.
///
/// - RPC queue: only one synchronous method may be outstanding per channel, so requests queue here and the
///   next is released when the previous response arrives.
/// - Content assembly: basic.deliver / basic.return / basic.get-ok are followed by a header frame and
///   body frames until `bodySize` bytes arrived; anything else interleaved on the channel is a 505.
/// - Confirm tracking: once confirm.select is written, every publish gets the next delivery tag.
struct ChannelStateMachine {
    typealias RPCPromise = EventLoopPromise<RPCResponse>

    /// A synchronous reply; `message` carries the content of a basic.get-ok.
    struct RPCResponse: Sendable {
        var method: AMQPMethod
        var message: AMQPIncomingMessage?
    }
    typealias ConfirmPromise = EventLoopPromise<AMQPPublishConfirm>

    enum State {
        case opening
        case open
        /// We sent channel.close; waiting for close-ok.
        case closing
        case closed(AMQPError)
    }

    struct RPC {
        var method: AMQPMethod
        var promise: RPCPromise
    }

    enum ContentMethod: Sendable {
        case deliver(consumerTag: String, deliveryTag: UInt64, redelivered: Bool, exchange: String, routingKey: String)
        case returned(replyCode: UInt16, replyText: String, exchange: String, routingKey: String)
        case getOk(deliveryTag: UInt64, redelivered: Bool, exchange: String, routingKey: String)
    }

    enum ContentState {
        case idle
        case awaitingHeader(ContentMethod)
        case awaitingBody(ContentMethod, AMQPContentHeader, ByteBuffer?)
    }

    enum Action {
        case none
        case send(AMQPMethod)
        /// The request cannot be sent (channel closed or closing).
        case fail(RPCPromise, AMQPError)
        case succeed(RPCPromise, AMQPMethod, thenSend: AMQPMethod?)
        case deliver(consumerTag: String, AMQPIncomingMessage)
        case getOk(RPCPromise, AMQPIncomingMessage?, thenSend: AMQPMethod?)
        /// A basic.return that matched no confirm-tracked publish.
        case unmatchedReturn(AMQPReturnedMessage)
        case confirms([(ConfirmPromise, ConfirmTracker<ConfirmPromise>.Outcome)])
        case consumerCancelledByBroker(consumerTag: String, sendCancelOk: Bool)
        case sendFlowOk(active: Bool)
        /// The channel is closed; fail these waiters, and answer close-ok when the broker initiated it.
        case closed(AMQPError, rpcs: [RPCPromise], confirms: [ConfirmPromise], sendCloseOk: Bool)
        /// The peer broke the protocol on this channel: close the connection with this error.
        case connectionError(AMQPError)
    }

    let channelID: UInt16
    private(set) var state: State = .opening
    private var rpcs = CircularBuffer<RPC>(initialCapacity: 4)
    /// Whether `rpcs.first` has been written and awaits its response.
    private var inFlight = false
    private var content: ContentState = .idle
    private(set) var confirms: ConfirmTracker<ConfirmPromise>?
    private var closePromise: RPCPromise?

    init(channelID: UInt16) {
        self.channelID = channelID
    }

    var isOpen: Bool {
        if case .open = self.state { return true }
        return false
    }

    var closedError: AMQPError? {
        if case .closed(let error) = self.state { return error }
        return nil
    }

    // MARK: outbound events

    /// Queue a synchronous request; it is sent now if nothing is in flight.
    mutating func sendRPC(_ method: AMQPMethod, promise: RPCPromise) -> Action {
        switch self.state {
        case .closed(let error):
            return .fail(promise, error)
        case .closing:
            return .fail(promise, AMQPError(code: .channelClosed, message: "channel \(self.channelID) is closing"))
        case .opening, .open:
            self.rpcs.append(RPC(method: method, promise: promise))
            guard !self.inFlight else { return .none }
            self.inFlight = true
            self.willSend(method)
            return .send(method)
        }
    }

    /// Takes the confirm-mode publishes still unconfirmed that were registered before `cutoff`.
    mutating func expireConfirms(registeredBefore cutoff: NIODeadline) -> [ConfirmPromise] {
        guard self.confirms != nil else { return [] }
        return self.confirms!.expire(registeredBefore: cutoff)
    }

    /// Start the close handshake (reply 200). Queued RPCs fail when close-ok arrives.
    mutating func closeRequested(promise: RPCPromise) -> Action {
        switch self.state {
        case .closed:
            return .succeed(promise, .channelCloseOk, thenSend: nil)
        case .closing:
            if let existing = self.closePromise {
                existing.futureResult.cascade(to: promise)
            } else {
                self.closePromise = promise
            }
            return .none
        case .opening, .open:
            self.state = .closing
            self.closePromise = promise
            return .send(
                .channelClose(
                    .init(replyCode: AMQPReplyCode.replySuccess, replyText: "Goodbye", classID: 0, methodID: 0)
                )
            )
        }
    }

    /// Checks a publish may be written and, in confirm mode, registers it. Returns the error to fail it with.
    mutating func publish(
        promise: ConfirmPromise,
        mandatory: ConfirmTracker<ConfirmPromise>.MandatoryKey?,
        at now: NIODeadline = .now()
    ) -> AMQPError? {
        switch self.state {
        case .open:
            if self.confirms != nil {
                _ = self.confirms!.register(promise, mandatory: mandatory, at: now)
            }
            return nil
        case .closed(let error):
            return error
        case .opening, .closing:
            return AMQPError(code: .channelClosed, message: "channel \(self.channelID) is not open")
        }
    }

    /// The connection died: everything outstanding fails with `error` (publishes with `publishUnconfirmed`).
    mutating func connectionClosed(_ error: AMQPError) -> Action {
        if case .closed = self.state { return .none }
        return self.close(with: error, sendCloseOk: false)
    }

    // MARK: inbound events

    mutating func methodReceived(_ method: AMQPMethod) -> Action {
        if case .idle = self.content {
        } else {
            return .connectionError(self.unexpected("method \(method.id) during content"))
        }
        if case .closing = self.state {
            // Spec §2.2.5: after sending close, discard everything except close and close-ok.
            switch method {
            case .channelCloseOk:
                return self.finishClose()
            case .channelClose(let reason):
                return self.close(with: Self.brokerCloseError(reason, channelID: self.channelID), sendCloseOk: true)
            default:
                return .none
            }
        }
        if case .closed = self.state { return .none }

        switch method {
        case .basicDeliver(let consumerTag, let deliveryTag, let redelivered, let exchange, let routingKey):
            self.content = .awaitingHeader(
                .deliver(
                    consumerTag: consumerTag,
                    deliveryTag: deliveryTag,
                    redelivered: redelivered,
                    exchange: exchange,
                    routingKey: routingKey
                )
            )
            return .none
        case .basicReturn(let replyCode, let replyText, let exchange, let routingKey):
            self.content = .awaitingHeader(
                .returned(replyCode: replyCode, replyText: replyText, exchange: exchange, routingKey: routingKey)
            )
            return .none
        case .basicGetOk(let deliveryTag, let redelivered, let exchange, let routingKey, _):
            guard self.inFlightMatches(method) else { return .connectionError(self.unexpected("basic.get-ok")) }
            self.content = .awaitingHeader(
                .getOk(deliveryTag: deliveryTag, redelivered: redelivered, exchange: exchange, routingKey: routingKey)
            )
            return .none
        case .basicGetEmpty:
            guard self.inFlightMatches(method) else { return .connectionError(self.unexpected("basic.get-empty")) }
            let rpc = self.rpcs.removeFirst()
            return .getOk(rpc.promise, nil, thenSend: self.releaseNext())
        case .basicAck(let tag, let multiple), .basicNack(let tag, let multiple, _):
            guard self.confirms != nil else {
                return .connectionError(self.unexpected("basic.ack/nack without confirm.select"))
            }
            var isAck = false
            if case .basicAck = method { isAck = true }
            let resolved = self.confirms!.resolve(deliveryTag: tag, multiple: multiple, ack: isAck)
            return resolved.isEmpty ? .none : .confirms(resolved)
        case .basicCancel(let consumerTag, let noWait):
            return .consumerCancelledByBroker(consumerTag: consumerTag, sendCancelOk: !noWait)
        case .channelFlow(let active):
            return .sendFlowOk(active: active)
        case .channelClose(let reason):
            return self.close(with: Self.brokerCloseError(reason, channelID: self.channelID), sendCloseOk: true)
        default:
            guard self.inFlightMatches(method) else {
                return .connectionError(self.unexpected("\(method.id) with no matching request"))
            }
            let rpc = self.rpcs.removeFirst()
            if case .channelOpenOk = method { self.state = .open }
            return .succeed(rpc.promise, method, thenSend: self.releaseNext())
        }
    }

    mutating func headerReceived(_ header: AMQPContentHeader) -> Action {
        guard case .awaitingHeader(let method) = self.content else {
            return .connectionError(self.unexpected("content header"))
        }
        if header.bodySize == 0 {
            self.content = .idle
            return self.complete(method, header, body: ByteBuffer())
        }
        self.content = .awaitingBody(method, header, nil)
        return .none
    }

    mutating func bodyReceived(_ body: ByteBuffer) -> Action {
        guard case .awaitingBody(let method, let header, let partial) = self.content else {
            return .connectionError(self.unexpected("content body"))
        }
        var accumulated: ByteBuffer
        if var partial {
            partial.writeImmutableBuffer(body)
            accumulated = partial
        } else {
            accumulated = body
        }
        let received = UInt64(accumulated.readableBytes)
        if received < header.bodySize {
            if partial == nil {
                // First of several body frames: copy once into a buffer sized for the whole body.
                var whole = ByteBufferAllocator().buffer(capacity: Int(header.bodySize))
                whole.writeImmutableBuffer(accumulated)
                accumulated = whole
            }
            self.content = .awaitingBody(method, header, accumulated)
            return .none
        }
        guard received == header.bodySize else {
            return .connectionError(
                AMQPError(
                    code: .frameError,
                    message: "content body \(received) bytes exceeds declared \(header.bodySize)",
                    replyCode: AMQPReplyCode.frameError
                )
            )
        }
        self.content = .idle
        return self.complete(method, header, body: accumulated)
    }

    // MARK: internals

    private mutating func complete(_ method: ContentMethod, _ header: AMQPContentHeader, body: ByteBuffer) -> Action {
        switch method {
        case .deliver(let consumerTag, let deliveryTag, let redelivered, let exchange, let routingKey):
            return .deliver(
                consumerTag: consumerTag,
                AMQPIncomingMessage(
                    deliveryTag: deliveryTag,
                    redelivered: redelivered,
                    exchange: exchange,
                    routingKey: routingKey,
                    properties: header.properties,
                    body: body
                )
            )
        case .returned(let replyCode, let replyText, let exchange, let routingKey):
            let message = AMQPReturnedMessage(
                replyCode: replyCode,
                replyText: replyText,
                exchange: exchange,
                routingKey: routingKey,
                properties: header.properties,
                body: body
            )
            if self.confirms?.matchReturn(message) == true { return .none }
            return .unmatchedReturn(message)
        case .getOk(let deliveryTag, let redelivered, let exchange, let routingKey):
            let rpc = self.rpcs.removeFirst()
            let message = AMQPIncomingMessage(
                deliveryTag: deliveryTag,
                redelivered: redelivered,
                exchange: exchange,
                routingKey: routingKey,
                properties: header.properties,
                body: body
            )
            return .getOk(rpc.promise, message, thenSend: self.releaseNext())
        }
    }

    private mutating func releaseNext() -> AMQPMethod? {
        guard let next = self.rpcs.first else {
            self.inFlight = false
            return nil
        }
        self.willSend(next.method)
        return next.method
    }

    private mutating func willSend(_ method: AMQPMethod) {
        // Publishes written after confirm.select are numbered from 1 (RabbitMQ confirms extension).
        if case .confirmSelect = method, self.confirms == nil {
            self.confirms = ConfirmTracker()
        }
    }

    private func inFlightMatches(_ response: AMQPMethod) -> Bool {
        guard self.inFlight, let request = self.rpcs.first?.method else { return false }
        return Self.isResponse(response, to: request)
    }

    static func isResponse(_ response: AMQPMethod, to request: AMQPMethod) -> Bool {
        switch (request, response) {
        case (.channelOpen, .channelOpenOk), (.exchangeDeclare, .exchangeDeclareOk),
            (.exchangeDelete, .exchangeDeleteOk), (.exchangeBind, .exchangeBindOk),
            (.exchangeUnbind, .exchangeUnbindOk), (.queueDeclare, .queueDeclareOk), (.queueBind, .queueBindOk),
            (.queueUnbind, .queueUnbindOk), (.queuePurge, .queuePurgeOk), (.queueDelete, .queueDeleteOk),
            (.basicQos, .basicQosOk), (.basicConsume, .basicConsumeOk), (.basicCancel, .basicCancelOk),
            (.basicGet, .basicGetOk), (.basicGet, .basicGetEmpty), (.basicRecover, .basicRecoverOk),
            (.confirmSelect, .confirmSelectOk), (.channelFlow, .channelFlowOk):
            return true
        default:
            return false
        }
    }

    private mutating func finishClose() -> Action {
        let action = self.close(
            with: AMQPError(code: .channelClosed, message: "channel \(self.channelID) was closed by the client"),
            sendCloseOk: false
        )
        return action
    }

    private mutating func close(with error: AMQPError, sendCloseOk: Bool) -> Action {
        self.state = .closed(error)
        self.content = .idle
        self.inFlight = false
        let rpcPromises = self.rpcs.map(\.promise)
        self.rpcs.removeAll()
        if let closePromise = self.closePromise {
            self.closePromise = nil
            // Our own close completed (possibly crossed by the broker's): report success to the closer.
            closePromise.succeed(.init(method: .channelCloseOk))
        }
        let confirmWaiters = self.confirms?.failAll() ?? []
        return .closed(error, rpcs: rpcPromises, confirms: confirmWaiters, sendCloseOk: sendCloseOk)
    }

    private func unexpected(_ what: String) -> AMQPError {
        AMQPError(
            code: .protocolViolation,
            message: "unexpected \(what) on channel \(self.channelID)",
            replyCode: AMQPReplyCode.unexpectedFrame
        )
    }

    static func brokerCloseError(_ reason: AMQPMethod.CloseReason, channelID: UInt16) -> AMQPError {
        AMQPError(
            code: .channelClosedByBroker,
            message: "broker closed channel \(channelID): \(reason.replyCode) \(reason.replyText)",
            replyCode: reason.replyCode,
            replyText: reason.replyText,
            classID: reason.classID,
            methodID: reason.methodID
        )
    }
}
