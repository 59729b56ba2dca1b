/// The connection-level protocol (spec §2.2.4 connection class and §4.2.7 heartbeats) as a pure value:
/// events in, one `Action` out. The NIO handler performs the actions; nothing here touches a socket or a clock,
/// so the handshake, negotiation, close handshake and heartbeat policy are unit-testable frame by frame.
struct ConnectionStateMachine {
    struct Parameters: Sendable, Hashable {
        var username: String
        var password: String
        var virtualHost: String
        var clientProperties: AMQPTable
        /// 0 means "no preference": accept the server's value.
        var channelMax: UInt16
        var frameMax: UInt32
        /// Requested heartbeat in seconds; 0 disables heartbeats.
        var heartbeat: UInt16
    }

    /// Values both sides agreed on in tune/tune-ok.
    struct Tuning: Sendable, Hashable {
        var channelMax: UInt16
        var frameMax: UInt32
        var heartbeat: UInt16
    }

    enum State: Sendable {
        case initialized
        case awaitingStart
        case awaitingTune
        case awaitingOpenOk(Tuning)
        case open(Tuning)
        /// We sent connection.close and wait for close-ok.
        case closing(AMQPError?)
        case closed
    }

    enum Action: Sendable {
        case sendProtocolHeader
        case sendStartOk(AMQPMethod)
        /// Send tune-ok then connection.open in one write; the decoder must switch to `tuning.frameMax`.
        case sendTuneOkAndOpen(tuneOk: AMQPMethod, open: AMQPMethod, Tuning)
        case established(Tuning)
        /// The broker closed: answer close-ok, then close the socket and fail everything with the error.
        case sendCloseOkAndClose(AMQPError)
        /// Start our close handshake.
        case sendClose(AMQPMethod)
        /// Close the socket now (close-ok received, or a fatal error), failing outstanding work with the error.
        case closeSocket(AMQPError?)
        case sendHeartbeat
        case blocked(String)
        case unblocked
        case none
    }

    private(set) var state: State = .initialized
    let parameters: Parameters
    /// Heartbeat ticks (at half the interval) seen without any inbound frame.
    private var silentTicks = 0

    init(parameters: Parameters) {
        self.parameters = parameters
    }

    mutating func connected() -> Action {
        guard case .initialized = self.state else { return .none }
        self.state = .awaitingStart
        return .sendProtocolHeader
    }

    /// A method arrived on channel 0.
    mutating func methodReceived(_ method: AMQPMethod) -> Action {
        switch (self.state, method) {
        case (.awaitingStart, .connectionStart(let major, let minor, _, let mechanisms, _)):
            guard major == 0, minor == 9 else {
                return self.fail(
                    .init(code: .handshakeFailed, message: "unsupported protocol version \(major)-\(minor)"))
            }
            guard mechanisms.split(separator: " ").contains("PLAIN") else {
                return self.fail(
                    .init(
                        code: .unsupported,
                        message: "broker does not offer PLAIN authentication (offers: \(mechanisms))")
                )
            }
            self.state = .awaitingTune
            // SASL PLAIN (RFC 4616): authzid NUL authcid NUL password.
            let response = "\u{0}\(self.parameters.username)\u{0}\(self.parameters.password)"
            return .sendStartOk(
                .connectionStartOk(
                    clientProperties: self.parameters.clientProperties,
                    mechanism: "PLAIN",
                    response: response,
                    locale: "en_US"
                )
            )
        case (.awaitingTune, .connectionSecure):
            return self.fail(
                .init(code: .unsupported, message: "SASL challenges (connection.secure) are not supported"))
        case (.awaitingTune, .connectionTune(let channelMax, let frameMax, let heartbeat)):
            let tuning = Tuning(
                channelMax: Self.negotiate(self.parameters.channelMax, channelMax),
                frameMax: Self.negotiate(self.parameters.frameMax, frameMax),
                heartbeat: self.parameters.heartbeat == 0 ? 0 : Self.negotiate(self.parameters.heartbeat, heartbeat)
            )
            guard tuning.frameMax == 0 || tuning.frameMax >= AMQPFrame.minimumFrameMax else {
                return self.fail(
                    .init(code: .handshakeFailed, message: "negotiated frame_max \(tuning.frameMax) < 4096"))
            }
            self.state = .awaitingOpenOk(tuning)
            return .sendTuneOkAndOpen(
                tuneOk: .connectionTuneOk(
                    channelMax: tuning.channelMax,
                    frameMax: tuning.frameMax,
                    heartbeat: tuning.heartbeat
                ),
                open: .connectionOpen(virtualHost: self.parameters.virtualHost),
                tuning
            )
        case (.awaitingOpenOk(let tuning), .connectionOpenOk):
            self.state = .open(tuning)
            return .established(tuning)
        case (.closing(let error), .connectionCloseOk):
            self.state = .closed
            return .closeSocket(error)
        case (.closing, .connectionClose):
            // Both sides closed at once (spec §2.2.4): answer and finish.
            self.state = .closed
            return .sendCloseOkAndClose(Self.brokerCloseError(method))
        case (.closed, _), (.closing, _):
            // After close, everything but close/close-ok is discarded (spec §2.2.4).
            return .none
        case (_, .connectionClose):
            var error = Self.brokerCloseError(method)
            if case .awaitingTune = self.state, error.replyCode == AMQPReplyCode.accessRefused {
                // RabbitMQ answers bad credentials with 403 right after start-ok (capability
                // authentication_failure_close).
                error.code = .authenticationFailed
            }
            self.state = .closed
            return .sendCloseOkAndClose(error)
        case (.open, .connectionBlocked(let reason)):
            return .blocked(reason)
        case (.open, .connectionUnblocked):
            return .unblocked
        default:
            return self.protocolError("unexpected \(method.id) in connection state \(self.state)")
        }
    }

    /// The application asked to close (reply 200) or the client hit a connection-level error to report.
    mutating func closeRequested(replyCode: UInt16, replyText: String, error: AMQPError?) -> Action {
        switch self.state {
        case .open, .awaitingOpenOk, .awaitingTune:
            self.state = .closing(error)
            return .sendClose(
                .connectionClose(.init(replyCode: replyCode, replyText: replyText, classID: 0, methodID: 0))
            )
        case .initialized, .awaitingStart:
            self.state = .closed
            return .closeSocket(error)
        case .closing, .closed:
            return .none
        }
    }

    /// A frame violated the protocol (decode error, unknown channel, unexpected frame): close with its code.
    mutating func protocolError(_ error: AMQPError) -> Action {
        switch self.state {
        case .open, .awaitingOpenOk:
            self.state = .closing(error)
            return .sendClose(
                .connectionClose(
                    .init(
                        replyCode: error.replyCode ?? AMQPReplyCode.internalError,
                        replyText: String(error.message.prefix(200)),
                        classID: error.classID ?? 0,
                        methodID: error.methodID ?? 0
                    )
                )
            )
        case .closed:
            return .none
        default:
            self.state = .closed
            return .closeSocket(error)
        }
    }

    /// The socket went away.
    mutating func channelInactive() -> Action {
        switch self.state {
        case .closed:
            return .none
        case .closing(let error):
            self.state = .closed
            return .closeSocket(error)
        case .initialized, .awaitingStart, .awaitingTune, .awaitingOpenOk:
            self.state = .closed
            return .closeSocket(.init(code: .handshakeFailed, message: "connection closed during the handshake"))
        case .open:
            self.state = .closed
            return .closeSocket(.init(code: .connectionClosed, message: "connection lost"))
        }
    }

    /// Called every half heartbeat interval. Any inbound frame counts as a heartbeat (spec §4.2.7); after two
    /// full intervals of silence the peer is presumed dead. We send a heartbeat when we wrote nothing.
    mutating func heartbeatTick(receivedSinceLastTick: Bool, sentSinceLastTick: Bool) -> Action {
        guard case .open = self.state else { return .none }
        if receivedSinceLastTick {
            self.silentTicks = 0
        } else {
            self.silentTicks += 1
            if self.silentTicks >= 4 {
                self.state = .closed
                return .closeSocket(
                    .init(code: .heartbeatTimeout, message: "no frames from the broker for two heartbeat intervals")
                )
            }
        }
        return sentSinceLastTick ? .none : .sendHeartbeat
    }

    var isOpen: Bool {
        if case .open = self.state { return true }
        return false
    }

    // MARK: helpers

    /// 0 means "no limit" on either side (spec §1.4.2.6); otherwise the lower value wins.
    static func negotiate<T: FixedWidthInteger>(_ client: T, _ server: T) -> T {
        if client == 0 || server == 0 { return max(client, server) }
        return min(client, server)
    }

    static func brokerCloseError(_ method: AMQPMethod) -> AMQPError {
        guard case .connectionClose(let reason) = method else {
            return .init(code: .connectionClosedByBroker, message: "connection closed")
        }
        return AMQPError(
            code: .connectionClosedByBroker,
            message: "broker closed the connection: \(reason.replyCode) \(reason.replyText)",
            replyCode: reason.replyCode,
            replyText: reason.replyText,
            classID: reason.classID,
            methodID: reason.methodID
        )
    }

    private mutating func fail(_ error: AMQPError) -> Action {
        self.state = .closed
        return .closeSocket(error)
    }

    private mutating func protocolError(_ message: String) -> Action {
        self.protocolError(
            AMQPError(code: .protocolViolation, message: message, replyCode: AMQPReplyCode.commandInvalid)
        )
    }
}
