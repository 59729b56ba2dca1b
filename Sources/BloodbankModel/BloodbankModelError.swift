/// The single error type of the BloodbankModel module.
///
/// Its `code` is a short stable token that the ingest path copies verbatim into the AMQP dead-letter header
/// `x-candystore-error`, and `reason` is the human sentence that goes into `x-candystore-reason`; both are
/// therefore part of the wire contract and must stay stable.
public struct BloodbankModelError: Error, Sendable, CustomStringConvertible {
    /// Extensible error category, modelled as a struct (not an enum) so new codes do not break switches.
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        /// The wire token, used verbatim as the `x-candystore-error` header value.
        public let rawValue: String

        /// Creates a code from its wire token.
        public init(_ rawValue: String) {
            self.rawValue = rawValue
        }

        /// The bytes are not valid JSON (syntax, encoding, nesting depth, or an unstorable character).
        public static let invalidJSON = Code("invalid_json")
        /// The JSON is well formed but the envelope is not (missing `event_type`, bad `event_id`, ...).
        public static let invalidEnvelope = Code("invalid_envelope")
        /// The envelope is fine but the payload of a catalogued event type does not match its schema.
        public static let invalidPayload = Code("invalid_payload")
        /// The message body is larger than the configured limit (``MessageLimits/maximumEventBytes``).
        public static let tooLarge = Code("too_large")

        /// The wire token.
        public var description: String { rawValue }
    }

    /// The category of the failure.
    public var code: Code
    /// A human sentence naming the field path when there is one, e.g.
    /// `payload.workflow_id: expected a UUID string, got number`.
    public var reason: String
    /// The dotted field path the failure refers to (`payload.workflow_id`), when it concerns one field.
    public var fieldPath: String?
    /// The zero-based byte offset of a JSON syntax error in the input.
    public var byteOffset: Int?
    /// A lower-level error that caused this one, if any.
    public var underlying: (any Error & Sendable)?

    /// Creates an error; prefer the static factories, which keep the reason format uniform.
    public init(
        code: Code,
        reason: String,
        fieldPath: String? = nil,
        byteOffset: Int? = nil,
        underlying: (any Error & Sendable)? = nil
    ) {
        self.code = code
        self.reason = reason
        self.fieldPath = fieldPath
        self.byteOffset = byteOffset
        self.underlying = underlying
    }

    /// `code: reason`, the form used in logs.
    public var description: String {
        "\(code.rawValue): \(reason)"
    }

    static func json(_ message: String, at offset: Int) -> BloodbankModelError {
        BloodbankModelError(
            code: .invalidJSON,
            reason: "invalid JSON at byte \(offset): \(message)",
            byteOffset: offset
        )
    }

    static func envelope(_ path: String, _ message: String) -> BloodbankModelError {
        BloodbankModelError(code: .invalidEnvelope, reason: "\(path): \(message)", fieldPath: path)
    }

    static func payload(_ path: String, _ message: String) -> BloodbankModelError {
        BloodbankModelError(code: .invalidPayload, reason: "\(path): \(message)", fieldPath: path)
    }

    /// Returns the same error with its code replaced, used when a shared check (UUID, timestamp) is reused
    /// for envelope and payload fields.
    func withCode(_ code: Code) -> BloodbankModelError {
        var copy = self
        copy.code = code
        return copy
    }
}
