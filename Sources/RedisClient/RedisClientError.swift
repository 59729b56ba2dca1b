/// The one error type thrown by this module.
///
/// Callers branch on ``code`` (an extensible struct rather than an enum, so new codes are not source-breaking) and
/// log ``description``. Errors from Redis itself carry the server's text in ``serverMessage``.
public struct RedisClientError: Error, Sendable, CustomStringConvertible {
    /// What kind of failure happened; compare with `==` against the static members.
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        private enum Base: String, Sendable, Hashable {
            case connectionFailed
            case connectionClosed
            case timeout
            case serverError
            case protocolError
            case unexpectedResponse
            case invalidConfiguration
            case clientShutdown
        }

        private let base: Base

        private init(_ base: Base) {
            self.base = base
        }

        /// Connecting, authenticating or selecting the database failed; the client is not usable right now.
        public static let connectionFailed = Code(.connectionFailed)
        /// The connection closed (or was already closed) before a reply arrived; the command may or may not have run.
        public static let connectionClosed = Code(.connectionClosed)
        /// No reply within the configured timeout; the connection is closed because reply order is no longer known.
        public static let timeout = Code(.timeout)
        /// Redis answered with an error reply; ``RedisClientError/serverMessage`` holds its text.
        public static let serverError = Code(.serverError)
        /// The server sent bytes that are not valid RESP or exceed the decoder's limits; the connection is closed.
        public static let protocolError = Code(.protocolError)
        /// A well-formed reply of the wrong shape for a typed helper (for example a string where an integer belongs).
        public static let unexpectedResponse = Code(.unexpectedResponse)
        /// The URL or configuration cannot work (bad scheme, port or database number).
        public static let invalidConfiguration = Code(.invalidConfiguration)
        /// The client service has shut down and accepts no more commands.
        public static let clientShutdown = Code(.clientShutdown)

        /// The code's name, as used in logs.
        public var description: String {
            self.base.rawValue
        }
    }

    /// The kind of failure.
    public var code: Code
    /// A human sentence describing what went wrong, for logs.
    public var message: String
    /// The error text sent by Redis (for example `WRONGTYPE Operation against a key ...`), if Redis sent one.
    public var serverMessage: String?
    /// The lower-level error (socket, DNS, decoder) that caused this one, if any.
    public var underlying: (any Error)?

    /// Creates an error; mostly used inside the module, public so fakes and tests can produce the same errors.
    public init(code: Code, message: String, serverMessage: String? = nil, underlying: (any Error)? = nil) {
        self.code = code
        self.message = message
        self.serverMessage = serverMessage
        self.underlying = underlying
    }

    /// The error prefix Redis puts first in its message (`ERR`, `WRONGTYPE`, `NOAUTH`, ...), for branching on it.
    public var serverErrorPrefix: Substring? {
        guard let serverMessage else { return nil }
        return serverMessage.split(separator: " ", maxSplits: 1).first
    }

    /// The code, message, server message and underlying error on one line.
    public var description: String {
        var text = "RedisClientError(\(self.code)): \(self.message)"
        if let serverMessage {
            text += " [server: \(serverMessage)]"
        }
        if let underlying {
            text += " [underlying: \(underlying)]"
        }
        return text
    }
}

extension RedisClientError {
    static func serverError(_ message: String) -> RedisClientError {
        RedisClientError(code: .serverError, message: "Redis replied with an error", serverMessage: message)
    }

    static func connectionClosed(_ message: String = "The connection to Redis is closed") -> RedisClientError {
        RedisClientError(code: .connectionClosed, message: message)
    }

    static func protocolError(_ message: String) -> RedisClientError {
        RedisClientError(code: .protocolError, message: message)
    }

    static func unexpectedResponse(_ value: RESPValue, expected: String) -> RedisClientError {
        RedisClientError(code: .unexpectedResponse, message: "Expected \(expected), got \(value)")
    }
}
