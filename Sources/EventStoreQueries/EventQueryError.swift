/// The one error type of the EventStoreQueries module: a stable code, a message, and the parameter at fault.
///
/// The API layer maps codes to HTTP statuses (`invalidParameter` → 400, `notFound` → 404,
/// `databaseUnavailable` → 503), so a bad query string never surfaces as a 500.
public struct EventQueryError: Error, CustomStringConvertible, Sendable {
    /// A stable error category; new codes may be added, so switch with a `default`.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private let raw: String
        private init(_ raw: String) { self.raw = raw }

        /// A query parameter is malformed or out of range (``EventQueryError/parameter`` names it).
        public static let invalidParameter = Code("invalid_parameter")
        /// Parameters are well-formed but contradict each other (e.g. `end_time` before `start_time`).
        public static let invalidRange = Code("invalid_range")
        /// The requested event, workflow or session does not exist.
        public static let notFound = Code("not_found")
        /// The database could not be reached or a query failed for a transient reason.
        public static let databaseUnavailable = Code("database_unavailable")
        /// A stored row could not be turned into an event (data written outside the manager).
        public static let corruptRow = Code("corrupt_row")

        /// The code as a short snake_case string (also the API's `error.code`).
        public var description: String { raw }
    }

    /// What went wrong, as a category.
    public var code: Code
    /// A sentence for humans; for `invalidParameter` it starts with the parameter name.
    public var message: String
    /// The query parameter at fault, for `invalidParameter`.
    public var parameter: String?
    /// The error that caused this one, if any.
    public var underlying: (any Error)?

    /// Creates an error with a code, message and optional parameter and cause.
    public init(_ code: Code, _ message: String, parameter: String? = nil, underlying: (any Error)? = nil) {
        self.code = code
        self.message = message
        self.parameter = parameter
        self.underlying = underlying
    }

    /// An `invalidParameter` error whose message names the parameter.
    public static func invalid(_ parameter: String, _ reason: String) -> EventQueryError {
        EventQueryError(.invalidParameter, "\(parameter): \(reason)", parameter: parameter)
    }

    /// `code: message`.
    public var description: String { "\(code): \(message)" }
}
