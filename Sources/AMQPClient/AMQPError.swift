/// The one error type this module throws.
///
/// Broker-initiated closes carry the AMQP reply code, text and the class/method that caused them
/// (spec §1.4.2.9 connection.close, §1.5.2.5 channel.close). `isRecoverable` tells a caller whether
/// retrying on a new connection can succeed (a lost socket, `320 CONNECTION_FORCED`) or whether the
/// same request would fail again (`406 PRECONDITION_FAILED`, `403 ACCESS_REFUSED`).
public struct AMQPError: Error, Sendable, CustomStringConvertible {
    /// An extensible error code; compare with the static members.
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        private enum Base: String, Sendable, Hashable {
            case connectionFailed
            case connectionClosed
            case connectionClosedByBroker
            case channelClosedByBroker
            case channelClosed
            case authenticationFailed
            case handshakeFailed
            case heartbeatTimeout
            case frameError
            case protocolViolation
            case publishUnconfirmed
            case consumerCancelled
            case staleDelivery
            case notConnected
            case invalidConfiguration
            case timeout
            case unsupported
            case frameTooLarge
        }

        private let base: Base
        private init(_ base: Base) { self.base = base }

        /// The TCP connection could not be established (refused, DNS, timeout).
        public static let connectionFailed = Code(.connectionFailed)
        /// The socket closed without a protocol-level close (network failure, peer vanished).
        public static let connectionClosed = Code(.connectionClosed)
        /// The broker closed the connection with `connection.close`; see `replyCode`.
        public static let connectionClosedByBroker = Code(.connectionClosedByBroker)
        /// The broker closed the channel with `channel.close`; see `replyCode` (the connection survives).
        public static let channelClosedByBroker = Code(.channelClosedByBroker)
        /// The channel was already closed by this client or by the loss of its connection.
        public static let channelClosed = Code(.channelClosed)
        /// The broker refused the credentials (it closes with 403 during the handshake).
        public static let authenticationFailed = Code(.authenticationFailed)
        /// The opening handshake did not complete (unexpected method, bad protocol header).
        public static let handshakeFailed = Code(.handshakeFailed)
        /// No inbound traffic for two heartbeat intervals; the connection was presumed dead.
        public static let heartbeatTimeout = Code(.heartbeatTimeout)
        /// A malformed or oversized frame was received (spec reply codes 501/502/505).
        public static let frameError = Code(.frameError)
        /// The peer sent something the protocol does not allow at this point.
        public static let protocolViolation = Code(.protocolViolation)
        /// A publish was written but its confirm never arrived because the connection or channel was lost.
        /// The broker may or may not have the message: republish it (at-least-once).
        public static let publishUnconfirmed = Code(.publishUnconfirmed)
        /// The broker cancelled the consumer (`basic.cancel`, e.g. its queue was deleted).
        public static let consumerCancelled = Code(.consumerCancelled)
        /// A delivery was acked on a channel that no longer exists; its tag is meaningless elsewhere and
        /// the broker redelivers the message.
        public static let staleDelivery = Code(.staleDelivery)
        /// The reconnecting client has no connection right now, or it is shutting down.
        public static let notConnected = Code(.notConnected)
        /// A configuration value (URL, limits) is invalid.
        public static let invalidConfiguration = Code(.invalidConfiguration)
        /// An operation did not complete in its time budget.
        public static let timeout = Code(.timeout)
        /// The broker asked for something this client does not implement (e.g. SASL challenges).
        public static let unsupported = Code(.unsupported)
        /// A frame this client was asked to send exceeds the negotiated frame_max (e.g. a content header whose
        /// `headers` table is too large: headers cannot be split over frames). Nothing was sent; the
        /// connection is unaffected, and the same request fails again.
        public static let frameTooLarge = Code(.frameTooLarge)

        /// The code's name.
        public var description: String { self.base.rawValue }
    }

    /// What went wrong, as a category.
    public var code: Code
    /// A human-readable explanation.
    public var message: String
    /// The AMQP reply code when the broker (or this client) closed a channel or connection.
    public var replyCode: UInt16?
    /// The broker's reply text accompanying `replyCode`.
    public var replyText: String?
    /// The class id of the method that caused the close, 0 when none.
    public var classID: UInt16?
    /// The method id of the method that caused the close, 0 when none.
    public var methodID: UInt16?
    /// The lower-level error that caused this one (e.g. an I/O error).
    public var underlying: (any Error)?

    /// Creates an error.
    public init(
        code: Code,
        message: String,
        replyCode: UInt16? = nil,
        replyText: String? = nil,
        classID: UInt16? = nil,
        methodID: UInt16? = nil,
        underlying: (any Error)? = nil
    ) {
        self.code = code
        self.message = message
        self.replyCode = replyCode
        self.replyText = replyText
        self.classID = classID
        self.methodID = methodID
        self.underlying = underlying
    }

    /// Whether the failed operation can succeed if retried on a fresh connection.
    ///
    /// Transport failures, heartbeat timeouts, unconfirmed publishes and the broker's
    /// `320 CONNECTION_FORCED` (admin close, node shutdown), `506 RESOURCE_ERROR` and
    /// `541 INTERNAL_ERROR` are recoverable. Channel errors such as `406 PRECONDITION_FAILED`,
    /// `404 NOT_FOUND` or `403 ACCESS_REFUSED` are not: the same request fails again.
    public var isRecoverable: Bool {
        switch self.code {
        case .connectionFailed, .connectionClosed, .heartbeatTimeout, .publishUnconfirmed, .notConnected, .timeout,
            .staleDelivery:
            return true
        case .connectionClosedByBroker:
            return [320, 506, 541].contains(self.replyCode ?? 0)
        case .channelClosed:
            return true
        default:
            return false
        }
    }

    /// Whether this is a connection-level failure (the whole connection is gone) rather than a channel one.
    public var isConnectionError: Bool {
        switch self.code {
        case .connectionFailed, .connectionClosed, .connectionClosedByBroker, .heartbeatTimeout, .frameError,
            .handshakeFailed, .authenticationFailed:
            return true
        default:
            return false
        }
    }

    /// A one-line rendering including the reply code and the offending method when known.
    public var description: String {
        var text = "AMQPError(\(self.code)): \(self.message)"
        if let replyCode = self.replyCode {
            text += " [reply \(replyCode)"
            if let replyText = self.replyText { text += " \(replyText)" }
            if let classID = self.classID, let methodID = self.methodID, classID != 0 {
                text += ", caused by \(classID).\(methodID)"
            }
            text += "]"
        }
        if let underlying = self.underlying { text += " (underlying: \(underlying))" }
        return text
    }
}

/// Reply codes from the AMQP 0-9-1 spec (§1.2 constants) that this client produces or inspects.
public enum AMQPReplyCode {
    /// 200: normal close.
    public static let replySuccess: UInt16 = 200
    /// 312: a mandatory message could not be routed.
    public static let noRoute: UInt16 = 312
    /// 320: an operator or node shutdown forced the connection closed.
    public static let connectionForced: UInt16 = 320
    /// 403: access refused (bad credentials, permissions, exclusive queue in use).
    public static let accessRefused: UInt16 = 403
    /// 404: the exchange or queue does not exist.
    public static let notFound: UInt16 = 404
    /// 405: the resource is locked (exclusive queue of another connection).
    public static let resourceLocked: UInt16 = 405
    /// 406: a precondition failed (re-declare with different arguments, unknown delivery tag).
    public static let preconditionFailed: UInt16 = 406
    /// 501: a malformed frame.
    public static let frameError: UInt16 = 501
    /// 502: a frame with invalid field values.
    public static let syntaxError: UInt16 = 502
    /// 503: a method not valid in the current state.
    public static let commandInvalid: UInt16 = 503
    /// 504: a channel-number violation.
    public static let channelError: UInt16 = 504
    /// 505: a frame of an unexpected type.
    public static let unexpectedFrame: UInt16 = 505
    /// 506: the server or client lacks resources.
    public static let resourceError: UInt16 = 506
    /// 530: not allowed.
    public static let notAllowed: UInt16 = 530
    /// 540: not implemented.
    public static let notImplemented: UInt16 = 540
    /// 541: an internal error.
    public static let internalError: UInt16 = 541
}

extension AMQPError {
    static func frame(_ message: String) -> AMQPError {
        AMQPError(code: .frameError, message: message, replyCode: AMQPReplyCode.frameError)
    }

    static func syntax(_ message: String) -> AMQPError {
        AMQPError(code: .frameError, message: message, replyCode: AMQPReplyCode.syntaxError)
    }
}
