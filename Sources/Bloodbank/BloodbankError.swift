/// The one error type of the Bloodbank module: publishing or consuming Bloodbank events failed.
public struct BloodbankError: Error, CustomStringConvertible, Sendable {
    /// A stable error category; new codes may be added, so switch with a `default`.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private let raw: String
        private init(_ raw: String) { self.raw = raw }

        /// The event is not valid (unknown shape, or a known type whose payload does not decode).
        public static let invalidEvent = Code("invalid_event")
        /// The broker refused the message (`basic.nack`, e.g. the queue is full with `reject-publish`).
        public static let rejectedByBroker = Code("rejected_by_broker")
        /// No queue is bound for the routing key (the mandatory message came back).
        public static let unroutable = Code("unroutable")
        /// The broker could not be reached, or the connection dropped before the confirm; safe to retry.
        public static let brokerUnavailable = Code("broker_unavailable")

        /// The code as a short snake_case string.
        public var description: String { raw }
    }

    /// What went wrong, as a category.
    public var code: Code
    /// A sentence for humans.
    public var message: String
    /// The error that caused this one, if any.
    public var underlying: (any Error)?

    /// Creates an error with a code, message and optional cause.
    public init(_ code: Code, _ message: String, underlying: (any Error)? = nil) {
        self.code = code
        self.message = message
        self.underlying = underlying
    }

    /// `code: message`.
    public var description: String { "\(code): \(message)" }
}
