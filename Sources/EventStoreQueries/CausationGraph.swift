public import BloodbankModel
public import EventStore
public import Foundation
import PostgresNIO

/// The events reachable from one event along `correlation_ids`, breadth first, and the response shapes
/// built from them (`format=tree|flat|graph`, brief §5).
public struct CausationGraph: Sendable {
    /// Which way the walk went.
    public enum Direction: String, Sendable {
        /// Children: events that list the visited event as a parent.
        case descendants
        /// Parents: the events a visited event lists in `correlation_ids`.
        case ancestors
    }

    /// One reached event (the root excluded).
    public struct Node: Sendable {
        /// The event.
        public var event: StoredEvent
        /// Steps from the root (1 = direct child or parent); the shortest when reachable several ways.
        public var depth: Int
        /// The neighbour it was reached from along the shortest walk (parent for descendants, child for ancestors).
        public var via: UUID
        /// Event ids from the root to this event, both included.
        public var path: [UUID]
    }

    /// One causation link, always parent → child.
    public struct Edge: Sendable, Hashable {
        /// The parent (cause).
        public var from: UUID
        /// The child (effect).
        public var to: UUID
    }

    /// One row of the recursive walk, as the database returns it.
    struct WalkRow: Sendable {
        var eventID: UUID
        var via: UUID
        var depth: Int
        var path: [UUID]
    }

    /// The event the walk started from.
    public var root: StoredEvent
    /// Walk direction.
    public var direction: Direction
    /// Reached events, each once, ordered by depth, then timestamp, then position.
    public var nodes: [Node]
    /// Every link found between the root and reached events.
    public var edges: [Edge]
    /// Whether the node cap stopped the walk early.
    public var truncated: Bool

    /// Builds the graph from walk rows (possibly with repeats: a diamond reaches an event twice) and the
    /// fetched events; rows naming events that are not stored (dangling parent ids) are dropped.
    init(
        root: StoredEvent, direction: Direction, rows: [WalkRow], events: [UUID: StoredEvent], nodeLimit: Int,
        truncated: Bool
    ) {
        self.root = root
        self.direction = direction
        var best: [UUID: WalkRow] = [:]
        for row in rows where row.eventID != root.envelope.eventID && events[row.eventID] != nil {
            if let existing = best[row.eventID] {
                let viaPosition = events[row.via]?.position ?? root.position
                let existingViaPosition = events[existing.via]?.position ?? root.position
                if row.depth < existing.depth || (row.depth == existing.depth && viaPosition < existingViaPosition) {
                    best[row.eventID] = row
                }
            } else {
                best[row.eventID] = row
            }
        }
        var nodes = best.values.compactMap { row -> Node? in
            guard let event = events[row.eventID] else { return nil }
            return Node(event: event, depth: row.depth, via: row.via, path: row.path)
        }
        nodes.sort { lhs, rhs in
            if lhs.depth != rhs.depth { return lhs.depth < rhs.depth }
            if lhs.event.envelope.timestamp != rhs.event.envelope.timestamp {
                return lhs.event.envelope.timestamp < rhs.event.envelope.timestamp
            }
            return lhs.event.position < rhs.event.position
        }
        var capped = truncated
        if nodes.count > nodeLimit {
            nodes.removeLast(nodes.count - nodeLimit)
            capped = true
        }
        self.nodes = nodes
        self.truncated = capped
        let included = Set(nodes.map(\.event.envelope.eventID)).union([root.envelope.eventID])
        var seen = Set<Edge>()
        var edges: [Edge] = []
        for row in rows where included.contains(row.eventID) && included.contains(row.via) {
            let edge =
                direction == .descendants ? Edge(from: row.via, to: row.eventID) : Edge(from: row.eventID, to: row.via)
            if seen.insert(edge).inserted { edges.append(edge) }
        }
        self.edges = edges
    }

    private var childKey: String { direction == .descendants ? "children" : "parents" }

    /// `{"event": root, "depth": 0, "children": [...], "truncated": …}` (`parents` for ancestors); an event
    /// reached several ways appears once, under the neighbour of its shortest walk.
    public var treeJSON: JSONValue {
        var children: [UUID: [Node]] = [:]
        for node in nodes { children[node.via, default: []].append(node) }
        func build(_ event: StoredEvent, depth: Int) -> JSONObject {
            var object: JSONObject = ["event": event.jsonValue, "depth": .number(JSONNumber(depth))]
            let kids = (children[event.envelope.eventID] ?? []).sorted { lhs, rhs in
                if lhs.event.envelope.timestamp != rhs.event.envelope.timestamp {
                    return lhs.event.envelope.timestamp < rhs.event.envelope.timestamp
                }
                return lhs.event.position < rhs.event.position
            }
            object.append(childKey, .array(kids.map { .object(build($0.event, depth: $0.depth)) }))
            return object
        }
        var tree = build(root, depth: 0)
        tree.append("truncated", .bool(truncated))
        return .object(tree)
    }

    /// `{root_event, descendants: [{event, depth, path}], total_descendants, truncated}` (or `ancestors`).
    public var flatJSON: JSONValue {
        let key = direction.rawValue
        let items: [JSONValue] = nodes.map { node in
            .object([
                "event": node.event.jsonValue,
                "depth": .number(JSONNumber(node.depth)),
                "path": .array(node.path.map { .string(BloodbankUUID.format($0)) }),
            ])
        }
        return .object([
            "root_event": root.jsonValue,
            key: .array(items),
            "total_\(key)": .number(JSONNumber(nodes.count)),
            "truncated": .bool(truncated),
        ])
    }

    /// `{root_event_id, nodes: [{id, depth, event}], edges: [{from, to}], truncated}`; edges point from
    /// cause to effect whichever way the walk went.
    public var graphJSON: JSONValue {
        var nodeValues: [JSONValue] = [
            .object([
                "id": .string(BloodbankUUID.format(root.envelope.eventID)), "depth": 0, "event": root.jsonValue,
            ])
        ]
        for node in nodes {
            nodeValues.append(
                .object([
                    "id": .string(BloodbankUUID.format(node.event.envelope.eventID)),
                    "depth": .number(JSONNumber(node.depth)),
                    "event": node.event.jsonValue,
                ]))
        }
        return .object([
            "root_event_id": .string(BloodbankUUID.format(root.envelope.eventID)),
            "nodes": .array(nodeValues),
            "edges": .array(
                edges.map {
                    .object([
                        "from": .string(BloodbankUUID.format($0.from)), "to": .string(BloodbankUUID.format($0.to)),
                    ])
                }),
            "truncated": .bool(truncated),
        ])
    }
}

extension EventStoreReader {
    /// The deepest walk the API allows (`max_depth` above it is a 400).
    public static let maximumDepth = 100

    /// Events caused by `id`, directly or transitively, up to `maxDepth` steps and `nodeLimit` events;
    /// `nil` when `id` is not stored.
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
        if maxDepth > 0 {
            // Repeats (diamonds) also consume rows, so allow some slack before calling the walk truncated.
            let rowLimit = nodeLimit * 4 + 1
            var bindings = PostgresBindings()
            bindings.append(id)
            bindings.append(Int32(maxDepth))
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
