import Foundation

/// The one error type of `LettaClient`: what went wrong (``Code``), Letta's own words, and the HTTP context.
///
/// Letta answers errors as FastAPI does: `{"detail": "..."}` or, for validation errors, `{"detail": [{"loc",
/// "msg", "type"}, ...]}`. Both are flattened into ``details`` (one line per problem) and ``message`` (the lines
/// joined), so a caller can log or publish the reason (e.g. in `agent.letta.task.blocked`) without knowing
/// the shape.
public struct LettaClientError: Error, Sendable, CustomStringConvertible {
    /// The kind of failure; a struct with static members so new kinds can be added without breaking callers.
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        private enum Base: String, Sendable, Hashable {
            case invalidConfiguration
            case connectionFailed
            case timeout
            case unauthorized
            case notFound
            case badRequest
            case serverError
            case unexpectedStatus
            case invalidResponse
            case noReply
        }

        private let base: Base

        private init(_ base: Base) { self.base = base }

        /// The configuration (base URL, timeouts) cannot be used; nothing was sent.
        public static let invalidConfiguration = Code(.invalidConfiguration)
        /// The server could not be reached or the connection broke before an answer.
        public static let connectionFailed = Code(.connectionFailed)
        /// No complete answer within the configured timeout.
        public static let timeout = Code(.timeout)
        /// HTTP 401 or 403: a missing or wrong token/password.
        public static let unauthorized = Code(.unauthorized)
        /// HTTP 404: no such agent (or route).
        public static let notFound = Code(.notFound)
        /// HTTP 400, 409 or 422: Letta rejected the request (validation errors are in ``details``).
        public static let badRequest = Code(.badRequest)
        /// HTTP 5xx: Letta failed, e.g. because its model endpoint failed.
        public static let serverError = Code(.serverError)
        /// Any other non-2xx status.
        public static let unexpectedStatus = Code(.unexpectedStatus)
        /// A 2xx answer whose body is not the JSON this client expects.
        public static let invalidResponse = Code(.invalidResponse)
        /// The agent's turn ended without an assistant message (no `send_message`), so there is no reply.
        public static let noReply = Code(.noReply)

        /// The code's name, e.g. `notFound`.
        public var description: String { base.rawValue }
    }

    /// What kind of failure this is.
    public var code: Code
    /// A one-line human explanation; for HTTP errors, Letta's flattened `detail`.
    public var message: String
    /// The HTTP status Letta answered, when it answered.
    public var httpStatus: Int?
    /// Letta's `detail`, one entry per problem (a validation error reads `body.name: Input should be ...`).
    public var details: [String]
    /// The request's method and path (`GET /v1/agents/agent-…`), for logs.
    public var request: String?
    /// The lower-level error (transport, decoding), when there is one.
    public var underlying: (any Error & Sendable)?

    /// Creates an error; the client builds these, tests and fakes may too.
    public init(
        code: Code,
        message: String,
        httpStatus: Int? = nil,
        details: [String] = [],
        request: String? = nil,
        underlying: (any Error & Sendable)? = nil
    ) {
        self.code = code
        self.message = message
        self.httpStatus = httpStatus
        self.details = details
        self.request = request
        self.underlying = underlying
    }

    /// Whether trying the same call again later may succeed: transport failures, timeouts and 5xx answers.
    ///
    /// The Letta bridge uses it for the `retryable` flag of `agent.letta.task.blocked`.
    public var isRetryable: Bool {
        switch code {
        case .connectionFailed, .timeout, .serverError: true
        default: httpStatus == 429
        }
    }

    /// `LettaClientError(notFound, HTTP 404, GET /v1/agents/x): Agent ... not found`.
    public var description: String {
        var context = [code.description]
        if let httpStatus { context.append("HTTP \(httpStatus)") }
        if let request { context.append(request) }
        var text = "LettaClientError(\(context.joined(separator: ", "))): \(message)"
        if let underlying { text += " (underlying: \(underlying))" }
        return text
    }
}

extension LettaClientError {
    /// The error for a non-2xx answer: the code from the status, the message from Letta's body.
    static func http(status: Int, body: Data, request: String) -> LettaClientError {
        let details = LettaErrorDetail.flatten(body: body)
        let code: Code =
            switch status {
            case 401, 403: .unauthorized
            case 404: .notFound
            case 400, 409, 422: .badRequest
            case 500...599: .serverError
            default: .unexpectedStatus
            }
        let message = details.isEmpty ? "HTTP \(status) with an empty body" : details.joined(separator: "; ")
        return LettaClientError(code: code, message: message, httpStatus: status, details: details, request: request)
    }
}

/// Flattens Letta's (FastAPI's) error bodies into lines of text.
enum LettaErrorDetail {
    /// Characters of a non-JSON body kept in the message (an HTML error page is not worth more).
    static let maxRawCharacters = 500

    /// The lines of an error body: `detail` as a string, a list of validation errors, or an object; else
    /// `message`/`error`; else the raw text.
    static func flatten(body: Data) -> [String] {
        guard let json = try? JSONDecoder().decode(LettaJSON.self, from: body) else {
            let text = String(decoding: body, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            guard !text.isEmpty else { return [] }
            return [text.count > maxRawCharacters ? String(text.prefix(maxRawCharacters)) + "…" : text]
        }
        if case .object(let object) = json {
            for key in ["detail", "message", "error", "errors"] {
                if let value = object[key], value != .null {
                    let lines = flatten(value)
                    if !lines.isEmpty { return lines }
                }
            }
        }
        return flatten(json)
    }

    /// The lines of one JSON value.
    static func flatten(_ value: LettaJSON) -> [String] {
        switch value {
        case .null:
            return []
        case .string(let text):
            return [text]
        case .array(let items):
            return items.flatMap { item -> [String] in
                if case .object(let object) = item { return [validationLine(object)] }
                return flatten(item)
            }
        case .object(let object):
            if object["msg"] != nil || object["loc"] != nil { return [validationLine(object)] }
            for key in ["message", "detail", "error"] {
                if let text = object[key]?.stringValue { return [text] }
            }
            return [compactText(value)]
        case .bool, .integer, .number:
            return [compactText(value)]
        }
    }

    /// `body.memory_blocks.0.label: Field required` from FastAPI's `{"loc": [...], "msg": ...}`.
    static func validationLine(_ object: [String: LettaJSON]) -> String {
        let message = object["msg"]?.stringValue ?? object["message"]?.stringValue ?? compactText(.object(object))
        guard case .array(let location)? = object["loc"], !location.isEmpty else { return message }
        let path = location.map { part -> String in
            switch part {
            case .string(let text): text
            case .integer(let index): String(index)
            default: compactText(part)
            }
        }
        return "\(path.joined(separator: ".")): \(message)"
    }

    private static func compactText(_ value: LettaJSON) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return (try? encoder.encode(value)).map { String(decoding: $0, as: UTF8.self) } ?? "\(value)"
    }
}
