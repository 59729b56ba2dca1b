public import BloodbankModel
public import EventStoreQueries
public import Foundation
import PostgresNIO

extension EventStoreReader {
    /// One page of events matching `query` (`GET /api/v1/events`).
    ///
    /// Filters are ANDed; each maps to an index: `workflow_id` → `(workflow_id, position)`, `correlation_id`
    /// → GIN on `correlation_ids`, exact `event_type` / literal-prefix patterns → `(event_type
    /// varchar_pattern_ops, position)`, times → `("timestamp")`, `agent` → the 0003 expression indexes, and
    /// the cursor/order → `position`.
    public func events(matching query: EventQuery) async throws -> EventPage {
        let (sql, bindings) = Self.listSQL(query, sortMatches: try await isNarrowTimeRange(query))
        let rows = try await rows(sql, bindings)
        let events = try rows.map(EventSQL.row)
        var total: Int64?
        if query.includeTotalCount { total = try await count(matching: query) }
        let nextAfter = events.count == query.limit ? events.last?.position : nil
        return EventPage(events: events, totalCount: total, nextAfter: nextAfter)
    }

    /// The number of events matching the filters of `query`, ignoring pagination (`limit`, `offset` and the
    /// `after` cursor), as `X-Total-Count` conventionally means.
    public func count(matching query: EventQuery) async throws -> Int64 {
        if !query.hasFilters {
            // Positions are gapless and events are never deleted, so the count is max(position).
            return try await maxPosition()
        }
        var filters = query
        filters.after = nil
        var builder = SQLBuilder()
        Self.addFilters(filters, to: &builder)
        let rows = try await rows("SELECT count(*)::int8 FROM events" + builder.whereClause, builder.bindings)
        return try decode(rows.first, as: Int64.self) ?? 0
    }

    /// One event by id, or `nil`.
    public func event(id: UUID) async throws -> StoredEvent? {
        var builder = SQLBuilder()
        let placeholder = builder.bind(id)
        let rows = try await rows(
            "SELECT \(EventSQL.columns()) FROM events WHERE event_id = \(placeholder)", builder.bindings)
        return try rows.first.map(EventSQL.row)
    }

    /// Events with `from ≤ position ≤ through` that match `filter`, oldest first, at most `limit` (the
    /// stream's catch-up and gap repair; page by calling again from the last position + 1).
    public func events(
        positions from: Int64, through: Int64, filter: EventStreamFilter, limit: Int = 500
    ) async throws -> [StoredEvent] {
        guard from <= through else { return [] }
        var builder = SQLBuilder()
        builder.conditions.append("position >= \(builder.bind(from))")
        builder.conditions.append("position <= \(builder.bind(through))")
        if let workflowID = filter.workflowID {
            builder.conditions.append("workflow_id = \(builder.bind(workflowID))")
        }
        Self.addEventTypes(filter.eventTypes, to: &builder)
        let sql =
            "SELECT \(EventSQL.columns()) FROM events\(builder.whereClause) ORDER BY position LIMIT \(builder.bind(Int64(limit)))"
        return try await rows(sql, builder.bindings).map(EventSQL.row)
    }

    /// Matching rows up to which a time-range page is read through the timestamp index and sorted.
    static let narrowTimeRangeRows = 50_000

    /// Whether `query` has a time range that matches fewer than ``narrowTimeRangeRows`` events (a bounded
    /// count on the best index, a few milliseconds at most).
    ///
    /// Why: for `timestamp` ranges with `ORDER BY position LIMIT n`, PostgreSQL assumes the matches are spread
    /// evenly over positions and walks the position index, filtering. But timestamps follow positions, so the
    /// matches sit together, possibly a million positions in: on 1,000,000 events a one-hour window took
    /// 0.5–1 s that way (bench/api). A narrow range is therefore read through the timestamp index and sorted.
    func isNarrowTimeRange(_ query: EventQuery) async throws -> Bool {
        guard query.startTime != nil || query.endTime != nil else { return false }
        var builder = SQLBuilder()
        Self.addFilters(query, to: &builder)
        let cap = builder.bind(Int64(Self.narrowTimeRangeRows))
        let rows = try await rows(
            "SELECT count(*)::int8 FROM (SELECT 1 FROM events\(builder.whereClause) LIMIT \(cap)) AS matches",
            builder.bindings)
        return try decode(rows.first, as: Int64.self) ?? 0 < Self.narrowTimeRangeRows
    }

    /// The SQL for a page; `internal` so tests can EXPLAIN exactly what runs.
    ///
    /// - `sortMatches`: order by `position + 0`, which the position index cannot provide, so the planner reads
    ///   the matches through the filters' own indexes and sorts them (see ``isNarrowTimeRange(_:)``).
    /// - An `agent` filter is a `UNION` of two branches, one per expression index (`agent_context ->> 'name'`,
    ///   `->> 'instance_id'`, each with `position`), each already in position order with its own `LIMIT`: an
    ///   `OR` made the planner walk the position index expecting frequent matches, which for an instance id
    ///   (a handful of events) meant reading all 1,000,000 rows (0.6 s, bench/api).
    static func listSQL(_ query: EventQuery, sortMatches: Bool = false) -> (String, PostgresBindings) {
        var builder = SQLBuilder()
        let direction = query.order == .ascending ? "ASC" : "DESC"
        let orderKey = sortMatches ? "position + 0" : "position"
        if let agent = query.agent {
            var others = query
            others.agent = nil
            addFilters(others, to: &builder)
            let placeholder = builder.bind(agent)
            let rest = builder.conditions.map { " AND " + $0 }.joined()
            let window = builder.bind(Int64(query.limit + query.offset))
            let branches = ["name", "instance_id"].map { key in
                "(SELECT position FROM events WHERE agent_context IS NOT NULL AND (agent_context ->> '\(key)') = "
                    + "\(placeholder)\(rest) ORDER BY \(orderKey) \(direction) LIMIT \(window))"
            }
            var page = "SELECT position FROM (\(branches.joined(separator: " UNION "))) AS matches"
            page += " ORDER BY position \(direction) LIMIT \(builder.bind(Int64(query.limit)))"
            if query.offset > 0 { page += " OFFSET \(builder.bind(Int64(query.offset)))" }
            let sql =
                "SELECT \(EventSQL.columns()) FROM events WHERE position = ANY(ARRAY(\(page))) ORDER BY position \(direction)"
            return (sql, builder.bindings)
        }
        addFilters(query, to: &builder)
        var sql = "SELECT \(EventSQL.columns()) FROM events\(builder.whereClause) ORDER BY \(orderKey) \(direction)"
        sql += " LIMIT \(builder.bind(Int64(query.limit)))"
        if query.offset > 0 { sql += " OFFSET \(builder.bind(Int64(query.offset)))" }
        return (sql, builder.bindings)
    }

    static func addFilters(_ query: EventQuery, to builder: inout SQLBuilder) {
        if let workflowID = query.workflowID {
            builder.conditions.append("workflow_id = \(builder.bind(workflowID))")
        }
        if let correlationID = query.correlationID {
            builder.conditions.append("correlation_ids @> ARRAY[\(builder.bind(correlationID))]::uuid[]")
        }
        addEventTypes(query.eventTypes, to: &builder)
        if let startTime = query.startTime {
            builder.conditions.append("\"timestamp\" >= \(builder.bind(startTime.description))::timestamptz")
        }
        if let endTime = query.endTime {
            builder.conditions.append("\"timestamp\" < \(builder.bind(endTime.description))::timestamptz")
        }
        if let agent = query.agent {
            let placeholder = builder.bind(agent)
            builder.conditions.append(
                "((agent_context ->> 'name') = \(placeholder) OR (agent_context ->> 'instance_id') = \(placeholder))")
        }
        if let after = query.after {
            let comparison = query.order == .ascending ? ">" : "<"
            builder.conditions.append("position \(comparison) \(builder.bind(after))")
        }
    }

    static func addEventTypes(_ patterns: [EventTypePattern], to builder: inout SQLBuilder) {
        guard !patterns.isEmpty else { return }
        let exact = patterns.filter(\.isExact).map(\.text)
        var alternatives: [String] = []
        if !exact.isEmpty {
            alternatives.append(
                exact.count == 1 ? "event_type = \(builder.bind(exact[0]))" : "event_type = ANY(\(builder.bind(exact)))"
            )
        }
        for pattern in patterns where !pattern.isExact {
            if pattern.hasWordWildcard {
                // `#` words: a regular expression decides; a literal prefix lets the type index narrow first.
                let regex = "event_type ~ \(builder.bind(pattern.regularExpression))"
                let prefix = pattern.literalPrefix
                alternatives.append(
                    prefix.isEmpty
                        ? regex
                        : "(event_type LIKE \(builder.bind(Self.escapeLike(prefix) + "%")) AND \(regex))")
            } else {
                alternatives.append("event_type LIKE \(builder.bind(pattern.likePattern))")
            }
        }
        builder.conditions.append(
            alternatives.count == 1 ? alternatives[0] : "(" + alternatives.joined(separator: " OR ") + ")")
    }

    /// `text` with LIKE's `%`, `_` and `\\` escaped.
    static func escapeLike(_ text: String) -> String {
        var result = ""
        for character in text {
            if character == "%" || character == "_" || character == "\\" { result.append("\\") }
            result.append(character)
        }
        return result
    }
}
