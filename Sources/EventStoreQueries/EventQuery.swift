public import BloodbankModel
public import Foundation

/// Row order of a paginated listing.
public enum SortOrder: String, Sendable, Hashable {
    /// Oldest first (by `position`).
    case ascending = "asc"
    /// Newest first.
    case descending = "desc"
}

/// The filters and pagination of `GET /api/v1/events`, parsed and validated from query parameters.
///
/// Parsing lives here, not in the HTTP layer, so every rule (limits, aliases, error messages naming the
/// parameter) is unit-testable without a server.
public struct EventQuery: Sendable, Hashable {
    /// Events whose `workflow_id` column matches (payload or inherited from parents).
    public var workflowID: UUID?
    /// Events that name this event id as a parent in `correlation_ids`.
    public var correlationID: UUID?
    /// `event_type` patterns; an event matches when any pattern matches (empty = all).
    public var eventTypes: [EventTypePattern] = []
    /// Inclusive lower bound on the event's `timestamp`.
    public var startTime: EventTimestamp?
    /// Exclusive upper bound on the event's `timestamp`.
    public var endTime: EventTimestamp?
    /// `agent_context.name` or `agent_context.instance_id`.
    public var agent: String?
    /// Page size, 1 … ``maximumLimit``.
    public var limit: Int = EventQuery.defaultLimit
    /// Rows to skip after the cursor.
    public var offset: Int = 0
    /// Cursor: only events with a position after (ascending) or before (descending) this one.
    public var after: Int64?
    /// Sort order by position.
    public var order: SortOrder = .ascending
    /// Whether to compute the total number of matching events (`X-Total-Count`).
    public var includeTotalCount = false

    /// The page size when `limit` is absent.
    public static let defaultLimit = 100
    /// The largest accepted `limit`; above it the request is rejected, not clamped.
    public static let maximumLimit = 1000
    /// Parameter names this query understands (others are ignored).
    public static let parameterNames = [
        "workflow_id", "correlation_id", "event_type", "start_time", "since", "end_time", "until", "agent",
        "limit", "offset", "after", "order", "count",
    ]

    /// An unfiltered first page.
    public init() {}

    /// Parses query parameters (first value of each name); throws `invalidParameter` naming the parameter.
    public init(parameters: [String: String]) throws(EventQueryError) {
        workflowID = try QueryParsing.uuid(parameters, "workflow_id")
        correlationID = try QueryParsing.uuid(parameters, "correlation_id")
        // EventTypePattern.list enforces the cap of patterns (the same for REST and the stream).
        if let text = parameters["event_type"] { eventTypes = try EventTypePattern.list(text) }
        startTime = try QueryParsing.timestamp(parameters, "start_time", alias: "since")
        endTime = try QueryParsing.timestamp(parameters, "end_time", alias: "until")
        if let startTime, let endTime, startTime > endTime {
            throw EventQueryError(
                .invalidRange, "end_time: must not be before start_time", parameter: "end_time")
        }
        agent = try QueryParsing.text(parameters, "agent")
        limit = try QueryParsing.limit(parameters, default: Self.defaultLimit, maximum: Self.maximumLimit)
        offset = try QueryParsing.integer(parameters, "offset", range: 0...1_000_000_000) ?? 0
        after = try QueryParsing.position(parameters, "after")
        order = try QueryParsing.order(parameters)
        includeTotalCount = try QueryParsing.bool(parameters, "count") ?? false
    }

    /// Whether any row filter (not pagination) is set.
    public var hasFilters: Bool {
        workflowID != nil || correlationID != nil || !eventTypes.isEmpty || startTime != nil || endTime != nil
            || agent != nil
    }
}

/// Shared query-string parsing with messages that name the parameter.
public enum QueryParsing {
    /// A hyphenated UUID in any case.
    public static func uuid(_ parameters: [String: String], _ name: String) throws(EventQueryError) -> UUID? {
        guard let text = parameters[name] else { return nil }
        guard let uuid = BloodbankUUID.parse(text) else {
            throw .invalid(name, "expected a UUID such as 3f2c1a9e-8b7d-4c6e-9f01-2a3b4c5d6e7f, got \"\(text)\"")
        }
        return uuid
    }

    /// Free text of 1 to 255 characters (Unicode scalars, as JSON Schema's `maxLength` and PostgreSQL's
    /// `varchar(255)` count them) without control characters (PostgreSQL rejects U+0000, and such a value is
    /// never a real agent, project or session name).
    public static func text(_ parameters: [String: String], _ name: String) throws(EventQueryError) -> String? {
        guard let text = parameters[name] else { return nil }
        return try validText(text, name)
    }

    /// Validates free text from a query or path parameter (see ``text(_:_:)``).
    public static func validText(_ text: String, _ name: String) throws(EventQueryError) -> String {
        let length = text.unicodeScalars.count
        guard (1...255).contains(length) else {
            throw .invalid(name, "expected 1 to 255 characters, got \(length)")
        }
        guard !text.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) else {
            throw .invalid(name, "must not contain control characters")
        }
        return text
    }

    /// An ISO 8601 timestamp (the envelope parser's rules; naive means UTC), under `name` or `alias`. Both are
    /// validated when both are given; `name` wins.
    public static func timestamp(
        _ parameters: [String: String], _ name: String, alias: String? = nil
    ) throws(EventQueryError) -> EventTimestamp? {
        let aliased = try alias.flatMap { alias throws(EventQueryError) in try timestamp(parameters, alias) }
        guard let text = parameters[name] else { return aliased }
        switch EventTimestamp.parse(text) {
        case .success(let timestamp): return timestamp
        case .failure(let error):
            // `+02:00` typed into a URL unencoded arrives as ` 02:00` (form decoding turns `+` into a space).
            if let repaired = repairedOffset(text), case .success(let timestamp) = EventTimestamp.parse(repaired) {
                return timestamp
            }
            throw .invalid(name, "expected an ISO 8601 timestamp such as 2026-01-11T14:30:00Z (\(error.reason))")
        }
    }

    /// `…T14:30:00 02:00` → `…T14:30:00+02:00`: the one place a space can stand for an unencoded `+`.
    static func repairedOffset(_ text: String) -> String? {
        let bytes = Array(text.utf8)
        guard bytes.count > 6, bytes.filter({ $0 == UInt8(ascii: " ") }).count == 1,
            bytes[bytes.count - 6] == UInt8(ascii: " "), bytes[bytes.count - 3] == UInt8(ascii: ":")
        else { return nil }
        var repaired = bytes
        repaired[bytes.count - 6] = UInt8(ascii: "+")
        return String(decoding: repaired, as: UTF8.self)
    }

    /// An integer within `range`.
    public static func integer(
        _ parameters: [String: String], _ name: String, range: ClosedRange<Int>
    ) throws(EventQueryError) -> Int? {
        guard let text = parameters[name] else { return nil }
        guard let value = Int(text) else { throw .invalid(name, "expected an integer, got \"\(text)\"") }
        guard range.contains(value) else {
            throw .invalid(name, "must be between \(range.lowerBound) and \(range.upperBound), got \(value)")
        }
        return value
    }

    /// `limit`: 1 … maximum (above maximum is an error, never clamped).
    public static func limit(
        _ parameters: [String: String], default defaultValue: Int, maximum: Int
    ) throws(EventQueryError) -> Int {
        try integer(parameters, "limit", range: 1...maximum) ?? defaultValue
    }

    /// A stream position (≥ 0).
    public static func position(_ parameters: [String: String], _ name: String) throws(EventQueryError) -> Int64? {
        guard let text = parameters[name] else { return nil }
        guard let value = Int64(text), value >= 0 else {
            throw .invalid(name, "expected a non-negative integer position, got \"\(text)\"")
        }
        return value
    }

    /// `order=asc|desc` (lowercase, as documented).
    public static func order(_ parameters: [String: String]) throws(EventQueryError) -> SortOrder {
        guard let text = parameters["order"] else { return .ascending }
        guard let order = SortOrder(rawValue: text) else {
            throw .invalid("order", "expected asc or desc, got \"\(text)\"")
        }
        return order
    }

    /// `true|false`, exactly (the documented JSON Schema boolean; `1`, `yes` or `True` are errors, so a
    /// client never gets a different answer than the one it asked for).
    public static func bool(_ parameters: [String: String], _ name: String) throws(EventQueryError) -> Bool? {
        guard let text = parameters[name] else { return nil }
        switch text {
        case "true": return true
        case "false": return false
        default: throw .invalid(name, "expected true or false, got \"\(text)\"")
        }
    }
}
