import BloodbankModel
import EventStoreQueries
import Foundation
import Hummingbird

/// One query or path parameter: what the handler parses and validates, and what the OpenAPI document and the
/// `/docs` page say about it. The constraints live here once; the parsers read them from the descriptor.
///
/// Parameters that `EventQuery`, `WorkflowQuery` and `EventStreamFilter` parse (in EventStoreQueries) take
/// their limits from those types' constants, and `CandystoreAPITests` checks that the names agree.
struct APIParameter: Sendable, Hashable {
    /// Where the parameter travels.
    enum Location: String, Sendable, Hashable {
        /// In the query string.
        case query
        /// A `{name}` segment of the path template (always required).
        case path
    }

    /// The value's type and constraints.
    enum Kind: Sendable, Hashable {
        /// A hyphenated UUID.
        case uuid
        /// Free text: 1 to 255 characters, no control characters (`QueryParsing.validText`).
        case text
        /// Comma-separated event type patterns (`EventTypePattern.list`).
        case eventTypes
        /// An ISO 8601 timestamp.
        case timestamp
        /// An integer in `range`, with the value used when the parameter is absent.
        case integer(ClosedRange<Int>, default: Int?)
        /// A stream position, 0 … 2⁶³−1.
        case position
        /// One of `values`, exactly.
        case choice([String], default: String?)
        /// Exactly `true` or `false`.
        case boolean(default: Bool?)
        /// Any string.
        case string
    }

    /// The parameter's name.
    let name: String
    /// Query or path.
    let location: Location
    /// Type and constraints.
    let kind: Kind
    /// One sentence for the document and the docs page.
    let description: String
    /// An example value (path parameters: ids of the sample workflow in `db/seed.sql`).
    var example: String? = nil

    /// A query parameter.
    static func query(_ name: String, _ kind: Kind, _ description: String) -> APIParameter {
        APIParameter(name: name, location: .query, kind: kind, description: description)
    }

    /// A path parameter with its example.
    static func path(_ name: String, _ kind: Kind, _ description: String, example: String) -> APIParameter {
        APIParameter(name: name, location: .path, kind: kind, description: description, example: example)
    }

    // MARK: Parsing (the handlers call these, so the documented constraints are the enforced ones)

    /// The integer value, validated against the descriptor's range; its default when absent.
    func integer(_ parameters: [String: String]) throws -> Int? {
        guard case .integer(let range, let defaultValue) = kind else {
            preconditionFailure("\(name) is not an integer")
        }
        return try QueryParsing.integer(parameters, name, range: range) ?? defaultValue
    }

    /// The position value (≥ 0), or `nil` when absent.
    func position(_ parameters: [String: String]) throws -> Int64? {
        guard case .position = kind else { preconditionFailure("\(name) is not a position") }
        return try QueryParsing.position(parameters, name)
    }

    /// The chosen value, validated against the descriptor's values; its default when absent.
    func choice(_ parameters: [String: String]) throws -> String? {
        guard case .choice(let values, let defaultValue) = kind else { preconditionFailure("\(name) is not a choice") }
        guard let value = parameters[name] else { return defaultValue }
        guard values.contains(value) else {
            throw APIError.invalidParameter(name, "expected \(Self.alternatives(values)), got \"\(value)\"")
        }
        return value
    }

    /// The path parameter's value, validated by kind (a UUID, or free text for a session id).
    func pathValue(_ context: some RequestContext) throws -> String {
        let raw = context.parameters.get(name)
        switch kind {
        case .uuid: return BloodbankUUID.format(try parseUUID(raw, name: name))
        case .text:
            guard let raw else { throw APIError.invalidParameter(name, "missing") }
            return try QueryParsing.validText(raw.removingPercentEncoding ?? raw, name)
        default: preconditionFailure("\(name) is not a path parameter kind")
        }
    }

    /// The path parameter as a UUID.
    func uuid(_ context: some RequestContext) throws -> UUID {
        try parseUUID(context.parameters.get(name), name: name)
    }

    /// `a, b or c`.
    static func alternatives(_ values: [String]) -> String {
        guard values.count > 1 else { return values.first ?? "" }
        return values.dropLast().joined(separator: ", ") + " or " + values[values.count - 1]
    }

    /// The constraints in words, for the docs page (`1–1000, default 100`).
    var constraintSummary: String {
        switch kind {
        case .uuid: return "UUID"
        case .text: return "1–255 characters, no control characters"
        case .eventTypes:
            return "comma-separated patterns of a-z 0-9 . _ - * #, at most \(EventTypePattern.maximumCount)"
        case .timestamp: return "ISO 8601 timestamp"
        case .integer(let range, let defaultValue):
            return "\(range.lowerBound)–\(range.upperBound)" + (defaultValue.map { ", default \($0)" } ?? "")
        case .position: return "position, 0–2⁶³−1"
        case .choice(let values, let defaultValue):
            return values.joined(separator: " | ") + (defaultValue.map { ", default \($0)" } ?? "")
        case .boolean(let defaultValue):
            return "true | false" + (defaultValue.map { ", default \($0)" } ?? "")
        case .string: return "string"
        }
    }
}

/// The parameters of the API, each declared once and shared by the operations that take it.
enum Parameters {
    // MARK: Path
    /// `{event_id}`.
    static let eventID = APIParameter.path(
        "event_id", .uuid, "Event id (UUID).", example: "5eed0000-0000-4000-8000-000000000001")
    /// `{workflow_id}`.
    static let workflowIDPath = APIParameter.path(
        "workflow_id", .uuid, "Workflow id (UUID).", example: "5eed0000-0000-4000-8000-00000000f001")
    /// `{session_id}`.
    static let sessionID = APIParameter.path(
        "session_id", .text,
        "Letta agent id `agent-<uuid>`, the bare UUID, or another Letta id (1 to 255 characters, no control characters).",
        example: "agent-5eed0000-0000-4000-8000-00000000a001")

    // MARK: Shared query parameters
    static let eventTypeDescription =
        "Comma-separated patterns (at most 50, no spaces): lowercase letters, digits, `.`, `_`, `-`, and `*` matching any run of characters (`bmad.workflow.*`). Empty = no filter."
    /// `event_type` (events and the stream).
    static let eventType = APIParameter.query("event_type", .eventTypes, eventTypeDescription)
    /// `limit` of a page of events or workflows.
    static let limit = APIParameter.query(
        "limit", .integer(1...EventQuery.maximumLimit, default: EventQuery.defaultLimit),
        "Page size (default \(EventQuery.defaultLimit), max \(EventQuery.maximumLimit); above \(EventQuery.maximumLimit) is a 400)."
    )
    /// `offset`.
    static let offset = APIParameter.query("offset", .integer(0...1_000_000_000, default: 0), "Rows to skip.")
    /// `count`.
    static let count = APIParameter.query(
        "count", .boolean(default: false),
        "When true, the response carries `X-Total-Count`: every item matching the filters, ignoring limit, offset and after."
    )

    // MARK: Events
    /// The query parameters of `GET /api/v1/events` (parsed by `EventQuery`).
    static let listEvents: [APIParameter] = [
        .query(
            "workflow_id", .uuid, "Events of this workflow (payload workflow_id or inherited from a parent)."),
        .query("correlation_id", .uuid, "Events that name this event id as a parent."),
        eventType,
        .query(
            "start_time", .timestamp, "Inclusive lower bound on timestamp (ISO 8601; naive = UTC). Alias: since."),
        .query("since", .timestamp, "Alias of start_time."),
        .query("end_time", .timestamp, "Exclusive upper bound on timestamp. Alias: until."),
        .query("until", .timestamp, "Alias of end_time."),
        .query("agent", .text, "agent_context.name or agent_context.instance_id."),
        limit, offset,
        .query("after", .position, "Cursor: events after this position (before it with order=desc)."),
        .query("order", .choice(["asc", "desc"], default: "asc"), "Order by position."),
        count,
    ]

    /// `format` of a causation walk.
    static let format = APIParameter.query(
        "format", .choice(["tree", "flat", "graph"], default: "tree"), "Response shape.")
    /// `max_depth` of a causation walk.
    static let maxDepth = APIParameter.query(
        "max_depth", .integer(0...CausationGraph.maximumDepth, default: CausationGraph.maximumDepth),
        "Steps to follow (0-\(CausationGraph.maximumDepth); above \(CausationGraph.maximumDepth) is a 400).")

    // MARK: Workflows and sessions
    /// The query parameters of `GET /api/v1/workflows` (parsed by `WorkflowQuery`).
    static let listWorkflows: [APIParameter] = [
        .query("project", .text, "Project name (alias project_name)."),
        .query("project_name", .text, "Alias of project."),
        .query(
            "phase", .choice(["analysis", "planning", "solutioning", "implementation"], default: nil), "Current phase."),
        .query("status", .choice(["active", "completed", "failed", "cancelled"], default: nil), "Status."),
        .query("active", .boolean(default: nil), "true = status active; false = any finished status."),
        limit, offset, count,
    ]
    /// `limit` of a timeline.
    static let timelineLimit = APIParameter.query(
        "limit", .integer(1...10_000, default: EventQuery.maximumLimit), "Most entries (default 1000, max 10000).")
    /// `after` of session events.
    static let sessionAfter = APIParameter.query("after", .position, "Only events after this position.")

    // MARK: Stream
    /// The query parameters of the stream (parsed by `EventStreamFilter`, `after` here).
    static let streamAfter = APIParameter.query("after", .position, "Resume after this position.")
    /// `workflow_id` of the stream.
    static let streamWorkflowID = APIParameter.query("workflow_id", .uuid, "Only this workflow's events.")
    /// `access_token` (browsers cannot set WebSocket headers).
    static let accessToken = APIParameter.query(
        "access_token", .string, "API token (alternative to the Authorization header for browsers).")
}
