import ArgumentParser
import BloodbankModel
import Foundation
import NIOHTTP1

/// `-o table|json` of the query commands: a table on a terminal, the API's JSON otherwise.
struct QueryOutput: ParsableArguments {
    @Option(name: [.customShort("o"), .customLong("output")], help: "table or json (default: table on a terminal).")
    var output: OutputFormat?

    func validate() throws {
        if let output, ![.table, .json].contains(output) {
            throw ValidationError("-o must be table or json, got '\(output.rawValue)'")
        }
    }

    /// The chosen format.
    var format: OutputFormat { output ?? (Terminal.stdoutIsTTY ? .table : .json) }
}

/// Prints rows as aligned columns (the last column is not padded).
func printTable(_ header: [String], _ rows: [[String]], style: Style) {
    guard !rows.isEmpty else { return }
    var widths = header.map(\.count)
    for row in rows {
        for (index, cell) in row.enumerated() where index < widths.count {
            widths[index] = max(widths[index], cell.count)
        }
    }
    func format(_ cells: [String]) -> String {
        cells.enumerated().map { index, cell in
            index == cells.count - 1 ? cell : cell.padding(toLength: widths[index], withPad: " ", startingAt: 0)
        }.joined(separator: "  ")
    }
    Terminal.out(style.bold(format(header)))
    for row in rows { Terminal.out(format(row)) }
}

/// A timestamp option: a duration back from now (`15m`) or an ISO 8601 time.
func timeParameter(_ text: String?, name: String) throws -> String? {
    guard let text else { return nil }
    if let seconds = DurationText.seconds(text) {
        return EventTimestamp(Date().addingTimeInterval(-seconds)).description
    }
    guard EventTimestamp(parsing: text) != nil else {
        throw ValidationError("\(name) must be a duration such as 15m or an ISO 8601 time, got '\(text)'")
    }
    return text
}

/// `bb events [PATTERN…] [filters]`: one page of `GET /api/v1/events`.
struct BBEventsQuery: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "query",
        abstract: "List stored events (the REST filters; paged with --after and --limit). The default of bb events.",
        discussion: """
            Patterns as in bb tail (`*` any characters, `#` zero or more words). A full page prints the command for
            the next one on standard error. -o json prints the API's answer as it is.
            """
    )

    @Argument(help: "Event type patterns.") var patterns: [String] = []
    @Option(name: .customLong("workflow"), help: "Workflow id.") var workflow: String?
    @Option(name: .customLong("caused-by"), help: "Only direct children of this event (correlation_id).")
    var causedBy: String?
    @Option(help: "agent_context name or instance id.") var agent: String?
    @Option(help: "From this time (ISO 8601) or this long ago (15m, 2h).") var since: String?
    @Option(help: "Before this time (ISO 8601) or this long ago.") var until: String?
    @Option(help: "Cursor: events after this position (before it with --order desc).") var after: Int64?
    @Option(help: "Page size (1 … 1000).") var limit: Int = 100
    @Option(help: "asc or desc (by position).") var order: String = "asc"
    @Flag(help: "Print the number of matching events (X-Total-Count) on standard error.") var count = false
    @OptionGroup var output: QueryOutput
    @OptionGroup var api: APIOptions

    func validate() throws {
        for pattern in patterns { if let problem = TypePattern.problem(pattern) { throw ValidationError(problem) } }
        guard (1...1000).contains(limit) else { throw ValidationError("--limit must be 1 to 1000, got \(limit)") }
        guard ["asc", "desc"].contains(order) else {
            throw ValidationError("--order must be asc or desc, got '\(order)'")
        }
        for (name, value) in [("--workflow", workflow), ("--caused-by", causedBy)] {
            if let value, BloodbankUUID.parse(value) == nil {
                throw ValidationError("\(name) must be a UUID, got '\(value)'")
            }
        }
        _ = try timeParameter(since, name: "--since")
        _ = try timeParameter(until, name: "--until")
    }

    func run() async throws {
        Terminal.ignoreSIGPIPE()
        let client = try api.client()
        try await client.checkReachable()
        let types = patterns
        let query = queryString([
            ("event_type", types.isEmpty ? nil : types.joined(separator: ",")),
            ("workflow_id", workflow), ("correlation_id", causedBy), ("agent", agent),
            ("start_time", try timeParameter(since, name: "--since")),
            ("end_time", try timeParameter(until, name: "--until")),
            ("after", after.map(String.init)), ("limit", String(limit)), ("order", order),
            ("count", count ? "true" : nil),
        ])
        guard let response = try await client.fetch("/api/v1/events" + query),
            let elements = JSONArraySplitter.elements(response.body)
        else { throw CommandFailure("the Event Store API answered /api/v1/events with something not a list") }
        let events = elements.compactMap { StreamedEvent(stored: $0) }
        if output.format == .json {
            Terminal.out(bytes: response.body)
        } else {
            let style = Style(enabled: Terminal.colourOnStdout)
            printTable(
                ["POSITION", "TIMESTAMP", "TYPE", "WORKFLOW", "AGENT", "SUMMARY"],
                events.map { event in
                    [
                        String(event.position), event.event["timestamp"]?.stringValue ?? "",
                        event.event["event_type"]?.stringValue ?? "", EventText.workflow(event.event),
                        EventText.agent(event.event), EventText.summary(event.event),
                    ]
                }, style: style)
            if events.isEmpty { Terminal.status("no events match") }
        }
        if count, let total = response.headers.first(name: "X-Total-Count") {
            Terminal.status("\(total) matching events")
        }
        if response.headers.first(name: "Link") != nil, let last = events.last {
            Terminal.status(
                "next page: "
                    + BBTail.resumeCommand(arguments: CommandLine.arguments, after: nil) + " --after \(last.position)")
        }
    }
}

/// `bb workflows [--status S] [--project P]`.
struct BBWorkflows: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "workflows", abstract: "List workflows (newest first), from the workflow projection.")

    @Option(help: "Status: active, completed, failed, cancelled, …") var status: String?
    @Option(help: "Project name.") var project: String?
    @Option(help: "Page size (1 … 1000).") var limit: Int = 50
    @Option(help: "Rows to skip.") var offset: Int = 0
    @OptionGroup var output: QueryOutput
    @OptionGroup var api: APIOptions

    func run() async throws {
        Terminal.ignoreSIGPIPE()
        let client = try api.client()
        try await client.checkReachable()
        let query = queryString([
            ("status", status), ("project", project), ("limit", String(limit)), ("offset", String(offset)),
        ])
        guard let response = try await client.fetch("/api/v1/workflows" + query) else { return }
        if output.format == .json {
            Terminal.out(bytes: response.body)
            return
        }
        let rows = (response.json?.arrayValue ?? []).map { workflow in
            [
                workflow["workflow_id"]?.stringValue ?? "", workflow["status"]?.stringValue ?? "",
                workflow["current_phase"]?.stringValue ?? "", workflow["project_name"]?.stringValue ?? "",
                workflow["current_agent"]?.stringValue ?? "-", workflow["updated_at"]?.stringValue ?? "",
            ]
        }
        printTable(
            ["WORKFLOW", "STATUS", "PHASE", "PROJECT", "AGENT", "UPDATED"], rows,
            style: Style(enabled: Terminal.colourOnStdout))
        if rows.isEmpty { Terminal.status("no workflows match") }
        if response.headers.first(name: "Link") != nil {
            Terminal.status("more: add --offset \(offset + limit)")
        }
    }
}

/// `bb workflow ID`: state, phase history and handoffs.
struct BBWorkflow: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "workflow", abstract: "Show one workflow: state, phase history, handoffs and their outcomes.")

    @Argument(help: "Workflow id.") var id: String
    @OptionGroup var output: QueryOutput
    @OptionGroup var api: APIOptions

    func validate() throws {
        guard BloodbankUUID.parse(id) != nil else { throw ValidationError("'\(id)' is not a workflow id (UUID)") }
    }

    func run() async throws {
        Terminal.ignoreSIGPIPE()
        let client = try api.client()
        try await client.checkReachable()
        let uuid = BloodbankUUID.format(BloodbankUUID.parse(id) ?? UUID())
        guard let response = try await client.fetch("/api/v1/workflows/\(uuid)", allowNotFound: true) else {
            throw CommandFailure("no workflow \(uuid) is stored: check the id (bb workflows lists them)")
        }
        if output.format == .json {
            Terminal.out(bytes: response.body)
            return
        }
        let style = Style(enabled: Terminal.colourOnStdout)
        let workflow = response.json ?? .null
        func text(_ key: String) -> String { workflow[key]?.stringValue ?? "-" }
        Terminal.out(style.bold("workflow \(uuid)"))
        Terminal.out("  project   \(text("project_name"))")
        Terminal.out("  status    \(text("status"))   phase \(text("current_phase"))   agent \(text("current_agent"))")
        Terminal.out(
            "  started   \(text("started_at"))   updated \(text("updated_at"))   completed \(text("completed_at"))")
        let phases = workflow["phase_history"]?.arrayValue ?? []
        Terminal.out(style.bold("phases (\(phases.count))"))
        for phase in phases {
            let summary = phase["summary"]?.stringValue.map { "  \($0)" } ?? ""
            Terminal.out(
                "  \(phase["timestamp"]?.stringValue ?? "")  \(phase["phase"]?.stringValue ?? "?") → "
                    + "\(phase["next_phase"]?.stringValue ?? "-")  by \(phase["from_agent"]?.stringValue ?? "?")\(summary)"
            )
        }
        // Handoffs with what became of them, from the workflow's events.
        let types = [
            HandoffRequestedPayload.eventType, HandoffAcceptedPayload.eventType, TaskCompletedPayload.eventType,
            TaskBlockedPayload.eventType,
        ].joined(separator: ",")
        let events =
            try await client.json("/api/v1/events?workflow_id=\(uuid)&event_type=\(types)&limit=1000")?.arrayValue ?? []
        let requests = events.filter { $0["event_type"]?.stringValue == HandoffRequestedPayload.eventType }
        Terminal.out(style.bold("handoffs (\(requests.count))"))
        for request in requests {
            let requestID = request["event_id"]?.stringValue?.lowercased() ?? ""
            let acceptance = events.first {
                $0["event_type"]?.stringValue == HandoffAcceptedPayload.eventType
                    && ($0["correlation_ids"]?.arrayValue ?? []).contains { $0.stringValue?.lowercased() == requestID }
            }
            let outcome = events.first {
                [TaskCompletedPayload.eventType, TaskBlockedPayload.eventType].contains(
                    $0["event_type"]?.stringValue ?? "")
                    && $0["payload"]?["task_id"]?.stringValue?.lowercased() == requestID
            }
            let state: String
            switch outcome?["event_type"]?.stringValue {
            case TaskCompletedPayload.eventType?: state = style.green("completed")
            case TaskBlockedPayload.eventType?:
                state = style.red("blocked: \(outcome?["payload"]?["reason"]?.stringValue ?? "")")
            default: state = acceptance == nil ? style.yellow("pending") : style.yellow("accepted, working")
            }
            let payload = request["payload"]
            Terminal.out(
                "  \(EventText.short(requestID))  \(payload?["from_agent"]?.stringValue ?? "?") → "
                    + "\(payload?["to_agent"]?.stringValue ?? "?")  \(state)"
                    + (acceptance?["payload"]?["session_id"]?.stringValue.map { "  session \($0)" } ?? ""))
            if let task = payload?["task"]?.stringValue { Terminal.out(style.dim("      task: \(task)")) }
        }
    }
}

/// `bb session ID`: one agent session and its events.
struct BBSession: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "session",
        abstract: "Show one agent session (agent-<uuid>, the UUID or a Letta id) and its events.")

    @Argument(help: "Session id.") var id: String
    @Option(help: "Events to list (1 … 1000).") var limit: Int = 100
    @OptionGroup var output: QueryOutput
    @OptionGroup var api: APIOptions

    func run() async throws {
        Terminal.ignoreSIGPIPE()
        let client = try api.client()
        try await client.checkReachable()
        let escaped = queryValue(id)
        guard let response = try await client.fetch("/api/v1/sessions/\(escaped)", allowNotFound: true) else {
            throw CommandFailure("no session \(id) is stored: check the id (agent.handoff.accepted names it)")
        }
        let eventsResponse = try await client.fetch("/api/v1/sessions/\(escaped)/events?limit=\(limit)")
        if output.format == .json {
            // One JSON object: the session as the API serves it, and its events.
            var bytes = Array(#"{"session":"#.utf8) + response.body
            bytes += Array(#","events":"#.utf8) + (eventsResponse?.body ?? Array("[]".utf8)) + [UInt8(ascii: "}")]
            Terminal.out(bytes: bytes)
            return
        }
        let style = Style(enabled: Terminal.colourOnStdout)
        let session = response.json ?? .null
        func text(_ key: String) -> String { session[key]?.stringValue ?? "-" }
        Terminal.out(style.bold("session \(text("session_id"))"))
        Terminal.out("  agent     \(text("agent_type"))  instance \(text("agent_instance_id"))")
        Terminal.out("  status    \(text("status"))   workflow \(text("workflow_id"))")
        Terminal.out("  started   \(text("started_at"))   last active \(text("last_active_at"))")
        let events = (eventsResponse?.json?.arrayValue ?? [])
        Terminal.out(style.bold("events (\(events.count))"))
        printTable(
            ["POSITION", "TIMESTAMP", "TYPE", "SUMMARY"],
            events.map {
                [
                    String($0["position"]?.numberValue?.int64Value ?? 0), $0["timestamp"]?.stringValue ?? "",
                    $0["event_type"]?.stringValue ?? "", EventText.summary($0),
                ]
            }, style: style)
    }
}
