import BloodbankModel
public import EventStoreQueries
public import Foundation
import PostgresNIO

extension EventStoreReader {
    /// The deepest walk the API allows (`max_depth` above it is a 400).
    public static let maximumDepth = CausationGraph.maximumDepth

    /// Events caused by `id`, directly or transitively, up to `maxDepth` steps and `nodeLimit` events;
    /// `nil` when `id` is not stored. `truncated` is true when either limit left events out (the walk looks one
    /// level beyond `maxDepth` to know).
    ///
    /// A recursive CTE probes the GIN index (`correlation_ids @> ARRAY[parent]`) once per reached event.
    /// Each walk carries its path and never continues from an id already on it, so cycles in bad data
    /// terminate (the closing edge is still reported in `edges`); the
    /// `LIMIT` stops the (lazily evaluated, breadth-first) recursion once the cap is exceeded.
    public func descendants(of id: UUID, maxDepth: Int, nodeLimit: Int) async throws -> CausationGraph? {
        try await walk(.descendants, from: id, maxDepth: maxDepth, nodeLimit: nodeLimit)
    }

    /// Events that caused `id` (its parents, their parents, …), the reverse walk of ``descendants(of:maxDepth:nodeLimit:)``.
    public func ancestors(of id: UUID, maxDepth: Int, nodeLimit: Int) async throws -> CausationGraph? {
        try await walk(.ancestors, from: id, maxDepth: maxDepth, nodeLimit: nodeLimit)
    }

    static func walkSQL(_ direction: CausationGraph.Direction) -> String {
        switch direction {
        case .descendants:
            // A row that re-enters an id on its own path is kept (it is a real edge of the bad data) but
            // flagged, and the recursion never continues from it: that is what makes cycles terminate.
            return """
                WITH RECURSIVE walk(event_id, via, depth, path, cycle) AS (
                    SELECT e.event_id, $1::uuid, 1, ARRAY[$1::uuid, e.event_id], e.event_id = $1::uuid
                    FROM events e WHERE e.correlation_ids @> ARRAY[$1::uuid]
                    UNION ALL
                    SELECT e.event_id, w.event_id, w.depth + 1, w.path || e.event_id, e.event_id = ANY (w.path)
                    FROM walk w JOIN events e ON e.correlation_ids @> ARRAY[w.event_id]
                    WHERE w.depth < $2 AND NOT w.cycle
                )
                SELECT event_id, via, depth, path FROM walk LIMIT $3
                """
        case .ancestors:
            return """
                WITH RECURSIVE walk(event_id, via, depth, path, cycle) AS (
                    SELECT p.id, r.event_id, 1, ARRAY[r.event_id, p.id], p.id = r.event_id
                    FROM events r CROSS JOIN LATERAL unnest(r.correlation_ids) AS p(id)
                    WHERE r.event_id = $1::uuid
                    UNION ALL
                    SELECT p.id, w.event_id, w.depth + 1, w.path || p.id, p.id = ANY (w.path)
                    FROM walk w JOIN events e ON e.event_id = w.event_id
                    CROSS JOIN LATERAL unnest(e.correlation_ids) AS p(id)
                    WHERE w.depth < $2 AND NOT w.cycle
                )
                SELECT event_id, via, depth, path FROM walk LIMIT $3
                """
        }
    }

    private func walk(
        _ direction: CausationGraph.Direction, from id: UUID, maxDepth: Int, nodeLimit: Int
    ) async throws -> CausationGraph? {
        guard let root = try await event(id: id) else { return nil }
        var rows: [CausationGraph.WalkRow] = []
        var truncated = false
        // Repeats (diamonds) also consume rows, so allow some slack before calling the walk truncated.
        let rowLimit = nodeLimit * 4 + 1
        var bindings = PostgresBindings()
        bindings.append(id)
        // One level deeper than asked: a row there means `max_depth` cut the walk, which the answer must say
        // (`truncated: true`); those rows are dropped below.
        bindings.append(Int32(maxDepth + 1))
        bindings.append(Int64(rowLimit))
        for row in try await self.rows(Self.walkSQL(direction), bindings) {
            do {
                let (eventID, via, depth, path) = try row.decode((UUID, UUID, Int32, [UUID]).self)
                rows.append(.init(eventID: eventID, via: via, depth: Int(depth), path: path))
            } catch {
                throw EventQueryError(.corruptRow, "unexpected walk row: \(error)", underlying: error)
            }
        }
        truncated = rows.count >= rowLimit
        if rows.contains(where: { $0.depth > maxDepth }) {
            // Only an event not reached within the depth counts (a cycle's closing edge back into it does not).
            let within = Set(rows.filter { $0.depth <= maxDepth }.map(\.eventID)).union([id])
            if rows.contains(where: { $0.depth > maxDepth && !within.contains($0.eventID) }) { truncated = true }
            rows.removeAll { $0.depth > maxDepth }
        }
        var events: [UUID: StoredEvent] = [:]
        let ids = Array(Set(rows.map(\.eventID)))
        if !ids.isEmpty {
            var bindings = PostgresBindings()
            bindings.append(ids)
            for row in try await self.rows(
                "SELECT \(EventSQL.columns()) FROM events WHERE event_id = ANY($1)", bindings)
            {
                let event = try EventSQL.row(row)
                events[event.envelope.eventID] = event
            }
        }
        events[root.envelope.eventID] = root
        return CausationGraph(
            root: root, direction: direction, rows: rows, events: events, nodeLimit: nodeLimit, truncated: truncated)
    }
}
