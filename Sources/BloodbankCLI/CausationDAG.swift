import BloodbankModel
import Foundation

/// A causation graph as the API serves it (`format=graph`: nodes and cause → effect edges), possibly merged from
/// several roots, with the drawings `bb trace` prints (tree, Graphviz dot, Mermaid).
struct CausationDAG: Sendable {
    /// Events by lowercase id.
    var events: [String: JSONValue] = [:]
    /// Cause → effects (edges of the graph).
    var effects: [String: [String]] = [:]
    /// Effect → causes.
    var causes: [String: [String]] = [:]
    /// Where the walk started (the workflow's first events for a workflow id).
    var roots: [String] = []
    /// Whether the API cut the walk (node cap or depth).
    var truncated = false
    /// The walk direction: descendants (roots at the top, effects below) or ancestors (causes below).
    var upward = false

    /// Adds the nodes and edges of one `format=graph` answer.
    mutating func merge(graph: JSONValue) {
        if let root = graph["root_event_id"]?.stringValue?.lowercased(), !roots.contains(root) { roots.append(root) }
        for node in graph["nodes"]?.arrayValue ?? [] {
            guard let id = node["id"]?.stringValue?.lowercased(), let event = node["event"] else { continue }
            events[id] = event
        }
        for edge in graph["edges"]?.arrayValue ?? [] {
            guard let from = edge["from"]?.stringValue?.lowercased(), let to = edge["to"]?.stringValue?.lowercased()
            else { continue }
            addEdge(from: from, to: to)
        }
        if graph["truncated"]?.boolValue == true { truncated = true }
    }

    /// Adds an edge once.
    mutating func addEdge(from: String, to: String) {
        if !(effects[from] ?? []).contains(to) { effects[from, default: []].append(to) }
        if !(causes[to] ?? []).contains(from) { causes[to, default: []].append(from) }
    }

    /// Adds a live event whose parents are already in the graph (`--follow`); true when it is new and linked.
    mutating func addLive(_ event: JSONValue) -> Bool {
        guard let id = event["event_id"]?.stringValue?.lowercased(), events[id] == nil else { return false }
        let parents = (event["correlation_ids"]?.arrayValue ?? []).compactMap { $0.stringValue?.lowercased() }
            .filter { events[$0] != nil }
        guard !parents.isEmpty else { return false }
        events[id] = event
        for parent in parents { addEdge(from: parent, to: id) }
        return true
    }

    func position(_ id: String) -> Int64 { events[id]?["position"]?.numberValue?.int64Value ?? Int64.max }

    /// Tree children of a node: effects when walking down, causes when walking up.
    func next(_ id: String) -> [String] { (upward ? causes[id] : effects[id]) ?? [] }
    /// The other direction.
    func previous(_ id: String) -> [String] { (upward ? effects[id] : causes[id]) ?? [] }

    /// Breadth-first distance of every reachable node from the roots.
    var depths: [String: Int] {
        var depth: [String: Int] = [:]
        var queue: [String] = []
        for root in roots where events[root] != nil {
            depth[root] = 0
            queue.append(root)
        }
        var index = 0
        while index < queue.count {
            let id = queue[index]
            index += 1
            for child in next(id).sorted(by: { position($0) < position($1) }) where depth[child] == nil {
                depth[child] = (depth[id] ?? 0) + 1
                queue.append(child)
            }
        }
        return depth
    }

    /// The node each event is drawn under: among its neighbours towards the roots, the nearest to a root, ties to
    /// the earliest position (the API's `format=tree` rule). Roots have none.
    func placements() -> [String: String] {
        let depth = depths
        var placement: [String: String] = [:]
        for id in events.keys where !roots.contains(id) {
            let candidates = previous(id).filter { depth[$0] != nil && (depth[$0] ?? 0) < (depth[id] ?? Int.max) }
            if let best = candidates.min(by: { (depth[$0] ?? 0, position($0)) < (depth[$1] ?? 0, position($1)) }) {
                placement[id] = best
            }
        }
        return placement
    }

    /// Outcome of the traced work: completed, blocked, or still open.
    enum Status: Sendable, Equatable {
        case completed, blocked, open
    }

    /// Blocked when any task is blocked; completed when the workflow completed or every handoff has a completed
    /// outcome; otherwise open.
    var status: Status {
        let types = events.values.compactMap { $0["event_type"]?.stringValue }
        if types.contains(TaskBlockedPayload.eventType) { return .blocked }
        if types.contains(WorkflowCompletedPayload.eventType) { return .completed }
        let handoffs = events.filter { $0.value["event_type"]?.stringValue == HandoffRequestedPayload.eventType }
        guard !handoffs.isEmpty else { return .open }
        return handoffs.keys.allSatisfy { badgeKind($0) == .completed } ? .completed : .open
    }

    /// What a node's badge shows.
    enum Badge: Sendable {
        case completed, blocked, accepted, pending, started, other
    }

    /// The badge of a node: outcomes by type; a handoff request by the outcome found below it.
    func badgeKind(_ id: String) -> Badge {
        let type = events[id]?["event_type"]?.stringValue ?? ""
        if type.hasSuffix(".blocked") || type.hasSuffix(".failed") { return .blocked }
        if type.hasSuffix(".completed") { return .completed }
        if type == HandoffAcceptedPayload.eventType { return .accepted }
        if type.hasSuffix(".started") { return .started }
        if type == HandoffRequestedPayload.eventType {
            // The acceptance and outcome are effects of the handoff (or of its acceptance).
            var outcome: Badge = .pending
            var frontier = effects[id] ?? []
            var seen = Set<String>()
            while let next = frontier.popLast() {
                guard seen.insert(next).inserted, seen.count < 64 else { continue }
                switch events[next]?["event_type"]?.stringValue {
                case TaskBlockedPayload.eventType: return .blocked
                case TaskCompletedPayload.eventType: outcome = .completed
                case HandoffAcceptedPayload.eventType:
                    if outcome == .pending { outcome = .accepted }
                    frontier += effects[next] ?? []
                default: break
                }
            }
            return outcome
        }
        return .other
    }

    func badge(_ id: String, style: Style) -> String {
        switch badgeKind(id) {
        case .completed: style.green("✔")
        case .blocked: style.red("✖")
        case .accepted: style.yellow("◐")
        case .pending: style.yellow("○")
        case .started: style.blue("▶")
        case .other: style.dim("•")
        }
    }

    /// `badge type  agent  +Δ  short-id  #position` for one node (`+Δ` since the node it is drawn under).
    func line(_ id: String, under parent: String?, style: Style) -> String {
        guard let event = events[id] else { return id }
        let type = event["event_type"]?.stringValue ?? "?"
        var parts = [badge(id, style: style) + " " + style.eventType(type), style.bold(EventText.agent(event))]
        if let parent {
            // Walking up, the node drawn below is the cause: the time runs the other way.
            let delta =
                upward
                ? EventText.delta(from: event, to: events[parent] ?? .null)
                : EventText.delta(
                    from: events[parent], to: event)
            if !delta.isEmpty { parts.append(upward ? style.dim("-" + delta.dropFirst()) : style.dim(delta)) }
        }
        parts.append(style.dim(EventText.short(id)))
        parts.append(style.dim("#\(position(id))"))
        return parts.joined(separator: "  ")
    }

    /// The tree drawing: each event once, under its placement; other neighbours as "also caused by" (down) or
    /// "also led to" (up) lines; at most `maxNodes` events, then a truncation line.
    func treeLines(style: Style, maxNodes: Int?, depthLimit: Int?) -> [String] {
        var lines: [String] = []
        let placement = placements()
        var children: [String: [String]] = [:]
        for (child, parent) in placement { children[parent, default: []].append(child) }
        var printed = Set<String>()
        var shown = 0
        var hidden = 0
        func visit(_ id: String, prefix: String, connector: String, continuation: String) {
            guard printed.insert(id).inserted else { return }
            if let maxNodes, shown >= maxNodes {
                hidden += 1
                for child in children[id] ?? [] { visit(child, prefix: "", connector: "", continuation: "") }
                return
            }
            shown += 1
            lines.append(prefix + connector + line(id, under: placement[id], style: style))
            let others = previous(id).filter { $0 != placement[id] && events[$0] != nil }
                .sorted { position($0) < position($1) }
            let kids = (children[id] ?? []).sorted { position($0) < position($1) }
            let notePrefix = prefix + continuation + (kids.isEmpty ? "   " : "│  ")
            for other in others {
                let type = events[other]?["event_type"]?.stringValue ?? "?"
                lines.append(
                    notePrefix
                        + style.dim(
                            "↳ \(upward ? "also led to" : "also caused by") \(type) \(EventText.short(other)) "
                                + "#\(position(other))"))
            }
            for (index, kid) in kids.enumerated() {
                let last = index == kids.count - 1
                visit(
                    kid, prefix: prefix + continuation, connector: last ? "└─ " : "├─ ",
                    continuation: last ? "   " : "│  ")
            }
        }
        for root in roots where events[root] != nil {
            visit(root, prefix: "", connector: "", continuation: "")
        }
        // Events the placement could not reach (a cycle in bad data): shown flat, never lost.
        for id in events.keys.sorted(by: { position($0) < position($1) }) where !printed.contains(id) {
            visit(id, prefix: "", connector: "? ", continuation: "  ")
        }
        if hidden > 0 {
            lines.append(
                style.yellow("… \(hidden) more event\(hidden == 1 ? "" : "s") not shown (--max-nodes \(maxNodes ?? 0))")
            )
        }
        if truncated {
            let limit = depthLimit.map { "--depth \($0) or " } ?? ""
            lines.append(
                style.yellow(
                    "… the walk was cut by the API (\(limit)its node cap API_MAX_CAUSATION_NODES): deeper events exist")
            )
        }
        return lines
    }

    /// Graphviz: every node and every edge (cause → effect), labelled with type, agent, short id and position.
    func dot() -> String {
        var lines = ["digraph causation {", "  rankdir=TB;", "  node [shape=box, fontname=\"monospace\"];"]
        for id in events.keys.sorted(by: { position($0) < position($1) }) {
            let event = events[id] ?? .null
            let label = [
                event["event_type"]?.stringValue ?? "?", EventText.agent(event),
                "\(EventText.short(id))  #\(position(id))",
            ].map(Self.dotEscape).joined(separator: "\\n")
            let colour: String
            switch badgeKind(id) {
            case .completed: colour = ", color=\"darkgreen\""
            case .blocked: colour = ", color=\"red\""
            default: colour = ""
            }
            let root = roots.contains(id) ? ", style=bold" : ""
            lines.append("  \"\(id)\" [label=\"\(label)\"\(colour)\(root)];")
        }
        for (from, tos) in effects.sorted(by: { position($0.key) < position($1.key) }) {
            for to in tos.sorted(by: { position($0) < position($1) }) where events[to] != nil && events[from] != nil {
                lines.append("  \"\(from)\" -> \"\(to)\";")
            }
        }
        if truncated { lines.append("  truncated [label=\"… the API cut the walk\", shape=plaintext];") }
        lines.append("}")
        return lines.joined(separator: "\n")
    }

    /// Mermaid `graph TD`: every node and edge.
    func mermaid() -> String {
        func node(_ id: String) -> String { "e" + id.replacingOccurrences(of: "-", with: "") }
        var lines = ["graph TD"]
        for id in events.keys.sorted(by: { position($0) < position($1) }) {
            let event = events[id] ?? .null
            let label = [
                event["event_type"]?.stringValue ?? "?", EventText.agent(event),
                "\(EventText.short(id)) #\(position(id))",
            ].map { $0.replacingOccurrences(of: "\"", with: "#quot;") }.joined(separator: "<br/>")
            lines.append("  \(node(id))[\"\(label)\"]")
        }
        for (from, tos) in effects.sorted(by: { position($0.key) < position($1.key) }) {
            for to in tos.sorted(by: { position($0) < position($1) }) where events[to] != nil && events[from] != nil {
                lines.append("  \(node(from)) --> \(node(to))")
            }
        }
        return lines.joined(separator: "\n")
    }

    static func dotEscape(_ text: String) -> String {
        text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
    }
}
