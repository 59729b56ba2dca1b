import ArgumentParser
import BloodbankModel
import Foundation
import NIOConcurrencyHelpers

/// `bb trace <event-id | workflow-id>`: the causation DAG in the terminal, like `temporal workflow trace`.
struct BBTrace: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "trace",
        abstract: "Draw the causation graph of an event or a workflow.",
        discussion: """
            An event id walks from that event (--down, the default: what it caused; --up: what caused it; --both).
            A workflow id roots the tree at the workflow's first events (those without a parent in the workflow).
            Each event appears once, under the parent through which it is reached first (nearest the root, ties to
            the earliest position, as the API's format=tree); its other parents follow as "↳ also caused by" lines.
            Per event: a status badge (✔ completed, ✖ blocked, ◐ accepted, ○ pending handoff, ▶ started), the type,
            the agent, +Δ since the event it is drawn under, the short id and the position.

            -o tree (default), -o json (the API's format=graph answer as it is; several roots or --both: an object
            combining them), -o dot (Graphviz) and -o mermaid draw every edge of the real graph.
            --follow keeps the tree live as descendants arrive; with --exit-status it exits 0 when the handoff or
            workflow completes and 1 when a task is blocked (or the handoff dead-lettered).
            """
    )

    @Argument(help: "An event id or a workflow id.") var id: String
    @Flag(help: "Ancestors: what caused the event.") var up = false
    @Flag(help: "Descendants: what the event caused (the default).") var down = false
    @Flag(help: "Ancestors and descendants.") var both = false
    @Option(help: "Deepest walk (1 … 100).") var depth: Int?
    @Option(help: "Draw at most N events (then a truncation line).") var maxNodes: Int?
    @Option(name: [.customShort("o"), .customLong("output")], help: "tree, json, dot or mermaid.")
    var output: OutputFormat = .tree
    @Flag(help: "Keep following: new descendants are drawn as they are stored.") var follow = false
    @Flag(help: "With --follow: exit 0 when the work completes, 1 when it is blocked.") var exitStatus = false
    @OptionGroup var api: APIOptions

    func validate() throws {
        guard BloodbankUUID.parse(id) != nil else {
            throw ValidationError("'\(id)' is not an event or workflow id (UUID)")
        }
        guard [up, down, both].filter({ $0 }).count <= 1 else {
            throw ValidationError("give only one of --up, --down and --both")
        }
        guard [.tree, .json, .dot, .mermaid].contains(output) else {
            throw ValidationError("-o must be tree, json, dot or mermaid for bb trace, got '\(output.rawValue)'")
        }
        if let depth, !(1...100).contains(depth) { throw ValidationError("--depth must be 1 to 100, got \(depth)") }
        if let maxNodes, maxNodes < 1 { throw ValidationError("--max-nodes must be at least 1, got \(maxNodes)") }
        if exitStatus && !follow { throw ValidationError("--exit-status needs --follow") }
        if follow && output != .tree { throw ValidationError("--follow draws a tree: use it without -o") }
        if follow && (up || both) { throw ValidationError("--follow follows descendants: use it without --up/--both") }
    }

    func run() async throws {
        Terminal.ignoreSIGPIPE()
        let client = try api.client()
        try await client.checkReachable()
        guard let uuid = BloodbankUUID.parse(id) else { throw ExitCode.validationFailure }
        let style = Style(enabled: Terminal.colourOnStdout)
        // Captured before the walk: everything stored after it is replayed by --follow (no gap).
        let startPosition = follow ? try await client.maxPosition() : 0
        let depthQuery = depth.map { "&max_depth=\($0)" } ?? ""

        let rootEvent = try await client.event(uuid)
        var graphs: [(direction: String, bytes: [UInt8], json: JSONValue)] = []
        var workflowID: UUID?
        if let rootEvent {
            workflowID = rootEvent.json?["payload"]?["workflow_id"]?.stringValue.flatMap(BloodbankUUID.parse)
            let directions = both ? ["ancestors", "descendants"] : up ? ["ancestors"] : ["descendants"]
            for direction in directions {
                let path = "/api/v1/events/\(BloodbankUUID.format(uuid))/\(direction)?format=graph\(depthQuery)"
                guard let response = try await client.fetch(path), let json = response.json else {
                    throw CommandFailure("the Event Store API answered \(path) without a graph")
                }
                graphs.append((direction, response.body, json))
            }
        } else {
            // Not an event: a workflow id?
            if up || both {
                throw CommandFailure("no event \(BloodbankUUID.format(uuid)) is stored (--up needs an event id)")
            }
            let roots = try await workflowRoots(client: client, workflowID: uuid)
            guard !roots.isEmpty else {
                throw CommandFailure(
                    "no event and no workflow with id \(BloodbankUUID.format(uuid)) is stored: check the id")
            }
            workflowID = uuid
            for root in roots {
                let path = "/api/v1/events/\(root)/descendants?format=graph\(depthQuery)"
                guard let response = try await client.fetch(path), let json = response.json else {
                    throw CommandFailure("the Event Store API answered \(path) without a graph")
                }
                graphs.append(("descendants", response.body, json))
            }
        }

        switch output {
        case .json:
            if graphs.count == 1 {
                Terminal.out(bytes: graphs[0].bytes)
            } else if both {
                Terminal.out(
                    JSONValue.object([
                        "ancestors": graphs[0].json, "descendants": graphs[1].json,
                    ]).encodedString())
            } else {
                var dag = CausationDAG()
                for graph in graphs { dag.merge(graph: graph.json) }
                Terminal.out(Self.mergedJSON(dag: dag, graphs: graphs.map(\.json), workflowID: uuid).encodedString())
            }
            return
        case .dot, .mermaid:
            var dag = CausationDAG()
            for graph in graphs { dag.merge(graph: graph.json) }
            if both, let root = rootEvent?.json?["event_id"]?.stringValue?.lowercased() { dag.roots = [root] }
            Terminal.out(output == .dot ? dag.dot() : dag.mermaid())
            return
        default:
            break
        }

        var descendants = CausationDAG()
        for graph in graphs {
            if graph.direction == "ancestors" {
                var ancestors = CausationDAG()
                ancestors.upward = true
                ancestors.merge(graph: graph.json)
                if both { Terminal.out(style.bold("caused by (ancestors):")) }
                for line in ancestors.treeLines(style: style, maxNodes: maxNodes, depthLimit: depth) {
                    Terminal.out(line)
                }
                if both { Terminal.out(style.bold("caused (descendants):")) }
            } else {
                descendants.merge(graph: graph.json)
            }
        }
        if !descendants.events.isEmpty {
            for line in descendants.treeLines(style: style, maxNodes: maxNodes, depthLimit: depth) {
                Terminal.out(line)
            }
        }
        guard follow else { return }
        try await followLive(
            client: client, dag: descendants, workflowID: workflowID, after: startPosition, style: style)
    }

    /// The workflow's first events: those with no parent among the workflow's events.
    func workflowRoots(client: APIClient, workflowID: UUID) async throws -> [String] {
        let page =
            try await client.json(
                "/api/v1/events?workflow_id=\(BloodbankUUID.format(workflowID))&limit=1000&order=asc")?.arrayValue
            ?? []
        let ids = Set(page.compactMap { $0["event_id"]?.stringValue?.lowercased() })
        return page.compactMap { event -> String? in
            let parents = (event["correlation_ids"]?.arrayValue ?? []).compactMap { $0.stringValue?.lowercased() }
            guard !parents.contains(where: ids.contains) else { return nil }
            return event["event_id"]?.stringValue?.lowercased()
        }
    }

    /// Several roots as one graph in the API's shape.
    static func mergedJSON(dag: CausationDAG, graphs: [JSONValue], workflowID: UUID) -> JSONValue {
        var nodes: [JSONValue] = []
        var seen = Set<String>()
        var edges: [JSONValue] = []
        var edgeSeen = Set<String>()
        for graph in graphs {
            for node in graph["nodes"]?.arrayValue ?? [] {
                if let id = node["id"]?.stringValue, seen.insert(id).inserted { nodes.append(node) }
            }
            for edge in graph["edges"]?.arrayValue ?? [] {
                let key = (edge["from"]?.stringValue ?? "") + ">" + (edge["to"]?.stringValue ?? "")
                if edgeSeen.insert(key).inserted { edges.append(edge) }
            }
        }
        return .object([
            "workflow_id": .string(BloodbankUUID.format(workflowID)),
            "root_event_ids": .array(dag.roots.map { .string($0) }),
            "nodes": .array(nodes),
            "edges": .array(edges),
            "truncated": .bool(dag.truncated),
        ])
    }

    /// `--follow`: every stored event after `after` whose parent is in the graph is added and drawn.
    func followLive(
        client: APIClient, dag initial: CausationDAG, workflowID: UUID?, after: Int64, style: Style
    ) async throws {
        let dag = NIOLockedValueBox(initial)
        if exitStatus, let code = Self.exitCode(initial.status) {
            if code != 0 { throw ExitCode(code) }
            return
        }
        var stream = EventStream(api: client)
        stream.workflowID = workflowID
        let exitStatus = exitStatus
        let result = NIOLockedValueBox<Int32?>(nil)
        try await stream.run(after: after, status: BBTail.report) { streamed in
            let outcome = dag.withLockedValue { graph -> (String?, CausationDAG.Status) in
                guard graph.addLive(streamed.event), let id = streamed.event["event_id"]?.stringValue?.lowercased()
                else { return (nil, graph.status) }
                let parent = graph.placements()[id]
                let line =
                    "+ " + graph.line(id, under: parent, style: style)
                    + style.dim("  (under \(parent.map(EventText.short) ?? "?"))")
                return (line, graph.status)
            }
            if let line = outcome.0 { Terminal.out(line) }
            if exitStatus, let code = Self.exitCode(outcome.1) {
                result.withLockedValue { $0 = code }
                return .stop
            }
            return .continue
        }
        if let code = result.withLockedValue({ $0 }), code != 0 {
            Terminal.err("bb trace: blocked")
            throw ExitCode(code)
        }
    }

    static func exitCode(_ status: CausationDAG.Status) -> Int32? {
        switch status {
        case .completed: 0
        case .blocked: 1
        case .open: nil
        }
    }
}
