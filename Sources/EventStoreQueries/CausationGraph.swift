public import BloodbankModel
public import Foundation

/// The events reachable from one event along `correlation_ids`, breadth first, and the response shapes
/// built from them (`format=tree|flat|graph`, brief §5).
public struct CausationGraph: Sendable {
    /// The deepest walk a query may ask for (`max_depth`; deeper is a 400).
    public static let maximumDepth = 100

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
    package struct WalkRow: Sendable {
        package var eventID: UUID
        package var via: UUID
        package var depth: Int
        package var path: [UUID]

        package init(eventID: UUID, via: UUID, depth: Int, path: [UUID]) {
            self.eventID = eventID
            self.via = via
            self.depth = depth
            self.path = path
        }
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
    package init(
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
