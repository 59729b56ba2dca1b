import ArgumentParser
import BloodbankModel
import Dispatch
import EventStoreQueries
import Foundation
import NIOConcurrencyHelpers

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// `bb tail [PATTERN…]`: the live event stream, like `kubectl logs -f` / `nats sub`.
struct BBTail: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tail",
        abstract: "Follow the event log live (or print what is stored with --no-follow).",
        discussion: """
            PATTERN is an event type pattern: `*` matches one dot-separated word, `#` zero or more words, as in
            RabbitMQ bindings (bmad.workflow.#, agent.letta.task.*). Event types and --workflow are filtered by the
            API; --agent and --session by bb (the stream has no such filter).

            Start point: default now; --after POSITION, --since 15m (or an ISO 8601 time), --tail N (the last N
            matching events first). --no-follow prints what is stored (from the start unless a start point is
            given) and exits. The stream reconnects by itself and resumes after the last position printed: no
            gap, no duplicate. Status goes to standard error; on exit the command that resumes is printed there.

            Output: -o pretty (default on a terminal: position, time, type, workflow, agent, summary), -o json
            (NDJSON: one stored envelope with "position" per line, byte for byte as the API sends it; the default
            when standard output is not a terminal), -o raw (the stream frames as received).
            Exit: 0 after --count N events or the first --until-type match, or on Ctrl-C; 1 on errors; 2 on usage
            errors.
            """
    )

    @Argument(help: "Event type patterns (any matches).") var patterns: [String] = []
    @Option(name: .customLong("workflow"), help: "Only events of this workflow (payload or inherited).")
    var workflow: String?
    @Option(help: "Only events whose agent_context name or instance id is this.") var agent: String?
    @Option(help: "Only events of this agent session (payload session_id or agent instance id).")
    var session: String?
    @Option(help: "Start after this position.") var after: Int64?
    @Option(help: "Start at events stored in the last DURATION (15m, 2h, 30s) or since an ISO 8601 time.")
    var since: String?
    @Option(name: .customLong("tail"), help: "Start with the last N matching events.") var tailCount: Int?
    @Flag(help: "Print what is stored and exit (no live stream).") var noFollow = false
    @Option(help: "Exit 0 after N events.") var count: Int?
    @Option(help: "Exit 0 after the first event of this type (a pattern).") var untilType: String?
    @Option(name: [.customShort("o"), .customLong("output")], help: "pretty, json or raw.")
    var output: OutputFormat?
    @OptionGroup var api: APIOptions

    func validate() throws {
        let starts = [after != nil, since != nil, tailCount != nil].filter { $0 }.count
        guard starts <= 1 else { throw ValidationError("give only one of --after, --since and --tail") }
        if let output, ![.pretty, .json, .raw].contains(output) {
            throw ValidationError("-o must be pretty, json or raw for bb tail, got '\(output.rawValue)'")
        }
        if let count, count < 1 { throw ValidationError("--count must be at least 1, got \(count)") }
        if let tailCount, tailCount < 0 { throw ValidationError("--tail must not be negative, got \(tailCount)") }
        if let after, after < 0 { throw ValidationError("--after must not be negative, got \(after)") }
        if let workflow, BloodbankUUID.parse(workflow) == nil {
            throw ValidationError("--workflow must be a workflow id (UUID), got '\(workflow)'")
        }
        for pattern in patterns + (untilType.map { [$0] } ?? []) {
            if let problem = TypePattern.problem(pattern) { throw ValidationError(problem) }
        }
        if let since, DurationText.seconds(since) == nil, EventTimestamp(parsing: since) == nil {
            throw ValidationError("--since must be a duration such as 15m, 2h, 30s or an ISO 8601 time, got '\(since)'")
        }
    }

    func run() async throws {
        Terminal.ignoreSIGPIPE()
        let client = try api.client()
        try await client.checkReachable()
        let format = output ?? (Terminal.stdoutIsTTY ? .pretty : .json)
        let printer = EventPrinter(format: format, style: Style(enabled: Terminal.colourOnStdout))
        let filter = ClientFilter(agent: agent, session: session, untilType: untilType)
        let workflowID = workflow.flatMap(BloodbankUUID.parse)
        let state = TailState(count: count)

        let start = try await startPosition(client: client, workflowID: workflowID, filter: filter)
        if noFollow {
            try await printStored(
                client: client, after: start ?? 0, workflowID: workflowID, filter: filter, printer: printer,
                state: state)
            return
        }
        var stream = EventStream(api: client)
        stream.eventTypes = serverPatterns
        stream.workflowID = workflowID
        let resume = stream.resume
        let resumeCommand: @Sendable () -> String = { [arguments = CommandLine.arguments] in
            Self.resumeCommand(arguments: arguments, after: resume.withLockedValue { $0 })
        }
        let signals = Self.onInterrupt { Terminal.err("resume with: \(resumeCommand())") }
        defer { for source in signals { source.cancel() } }
        do {
            try await stream.run(after: start, status: Self.report) { event in
                guard filter.accepts(event.event) else { return .continue }
                printer.print(event)
                return state.counted(event.event, filter: filter) ? .stop : .continue
            }
        } catch {
            Terminal.err("resume with: \(resumeCommand())")
            throw error
        }
        Terminal.err("resume with: \(resumeCommand())")
    }

    /// Status lines on standard error.
    static func report(_ status: EventStream.Status) {
        switch status {
        case .connecting(let after):
            Terminal.status(after.map { "connecting; catching up after position \($0)" } ?? "connecting")
        case .live(let position):
            Terminal.status("connected, live after position \(position)")
        case .reconnecting(let after, let reason, let delay):
            Terminal.status(
                "reconnecting in \(delay) (\(reason))" + (after.map { "; will resume after position \($0)" } ?? ""))
        }
    }

    /// The position to start after: from --after, --since or --tail; `nil` = now.
    func startPosition(client: APIClient, workflowID: UUID?, filter: ClientFilter) async throws -> Int64? {
        if let after { return after }
        if let since {
            let time: String
            if let seconds = DurationText.seconds(since) {
                let start = Date().addingTimeInterval(-seconds)
                time = EventTimestamp(start).description
            } else {
                time = since
            }
            let query = queryString(
                baseFilters(workflowID: workflowID) + [("start_time", time), ("limit", "1"), ("order", "asc")])
            let first = try await client.json("/api/v1/events" + query)?.arrayValue?.first
            if let position = first?["position"]?.numberValue?.int64Value { return position - 1 }
            return try await client.maxPosition()
        }
        if let tailCount {
            let top = try await client.maxPosition()
            guard tailCount > 0 else { return top }
            // Walk back in pages until N events that also pass the client-side filters are seen.
            var cursor: Int64? = nil
            var seen = 0
            while true {
                let query = queryString(
                    baseFilters(workflowID: workflowID) + [
                        ("order", "desc"), ("limit", "1000"), ("after", cursor.map(String.init)),
                    ])
                let page = try await client.json("/api/v1/events" + query)?.arrayValue ?? []
                for event in page where filter.accepts(event) {
                    seen += 1
                    if seen == tailCount { return (event["position"]?.numberValue?.int64Value ?? 1) - 1 }
                }
                guard page.count == 1000, let last = page.last?["position"]?.numberValue?.int64Value else { return 0 }
                cursor = last
            }
        }
        return noFollow ? 0 : nil
    }

    /// The patterns as sent to the API.
    var serverPatterns: [String] { patterns }

    /// The REST filters that match the stream's server-side ones (and --agent, which REST has).
    func baseFilters(workflowID: UUID?) -> [(String, String?)] {
        [
            ("event_type", serverPatterns.isEmpty ? nil : serverPatterns.joined(separator: ",")),
            ("workflow_id", workflowID.map(BloodbankUUID.format)),
            ("agent", agent),
        ]
    }

    /// `--no-follow`: pages of `GET /api/v1/events` after `after` until the end of the log.
    func printStored(
        client: APIClient, after: Int64, workflowID: UUID?, filter: ClientFilter, printer: EventPrinter,
        state: TailState
    ) async throws {
        var cursor = after
        while true {
            let query = queryString(
                baseFilters(workflowID: workflowID) + [("after", String(cursor)), ("limit", "1000"), ("order", "asc")])
            guard let response = try await client.fetch("/api/v1/events" + query),
                let elements = JSONArraySplitter.elements(response.body)
            else { throw CommandFailure("the Event Store API answered /api/v1/events with something not a list") }
            for element in elements {
                guard let event = StreamedEvent(stored: element) else { continue }
                cursor = event.position
                guard filter.accepts(event.event) else { continue }
                printer.print(event)
                if state.counted(event.event, filter: filter) { return }
            }
            if elements.count < 1000 { return }
        }
    }

    /// This command line with the start point replaced by `--after N`.
    static func resumeCommand(arguments: [String], after: Int64?) -> String {
        var kept: [String] = ["bb"]
        var index = 1
        let withValue: Set<String> = ["--after", "--since", "--tail"]
        while index < arguments.count {
            let argument = arguments[index]
            if withValue.contains(argument) {
                index += 2
                continue
            }
            if withValue.contains(where: { argument.hasPrefix($0 + "=") }) || argument == "--no-follow" {
                index += 1
                continue
            }
            kept.append(argument)
            index += 1
        }
        if let after { kept += ["--after", String(after)] }
        return kept.map(shellQuote).joined(separator: " ")
    }

    /// Runs `body` on SIGINT or SIGTERM (then exits 130 / 143).
    static func onInterrupt(_ body: @escaping @Sendable () -> Void) -> [any DispatchSourceSignal] {
        [SIGINT, SIGTERM].map { number in
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler {
                body()
                Terminal.terminate(128 + number)
            }
            source.resume()
            return source
        }
    }
}

/// Quotes a word for a POSIX shell when it needs it.
func shellQuote(_ word: String) -> String {
    let safe = CharacterSet(charactersIn: "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./=:@,+%")
    if !word.isEmpty, word.unicodeScalars.allSatisfy(safe.contains) { return word }
    return "'" + word.replacingOccurrences(of: "'", with: "'\\''") + "'"
}

/// Filters the API does not have on the stream (--agent, --session) and the --until-type match.
struct ClientFilter: Sendable {
    var agent: String?
    var session: String?
    var untilType: String?

    func accepts(_ event: JSONValue) -> Bool {
        if let agent {
            let context = event["agent_context"]
            guard context?["name"]?.stringValue == agent || context?["instance_id"]?.stringValue == agent else {
                return false
            }
        }
        if let session {
            let ids = [
                event["payload"]?["session_id"]?.stringValue, event["agent_context"]?["instance_id"]?.stringValue,
            ]
            guard ids.contains(where: { $0.map { Self.sameSession($0, session) } ?? false }) else { return false }
        }
        return true
    }

    /// `agent-<uuid>`, the bare UUID and any case name the same session.
    static func sameSession(_ lhs: String, _ rhs: String) -> Bool {
        func key(_ text: String) -> String {
            let lower = text.lowercased()
            return lower.hasPrefix("agent-") ? String(lower.dropFirst("agent-".count)) : lower
        }
        return key(lhs) == key(rhs)
    }

    func isFinal(_ event: JSONValue) -> Bool {
        guard let untilType, let type = event["event_type"]?.stringValue else { return false }
        return TypePattern.matches(untilType, type)
    }
}

/// Counts printed events for --count and --until-type.
final class TailState: Sendable {
    let limit: Int?
    private let printed = NIOLockedValueBox(0)

    init(count: Int?) { limit = count }

    /// Counts one printed event; true when the command should stop.
    func counted(_ event: JSONValue, filter: ClientFilter) -> Bool {
        let total = printed.withLockedValue { value -> Int in
            value += 1
            return value
        }
        if filter.isFinal(event) { return true }
        if let limit, total >= limit { return true }
        return false
    }
}

/// Prints one event per line in the chosen format.
struct EventPrinter: Sendable {
    let format: OutputFormat
    let style: Style

    func print(_ event: StreamedEvent) {
        switch format {
        case .json: Terminal.out(bytes: event.data)
        case .raw: Terminal.out(event.frame)
        default: Terminal.out(line(event.event, position: event.position))
        }
    }

    /// `position  time  type  wf=…  agent  summary`.
    func line(_ event: JSONValue, position: Int64) -> String {
        let type = event["event_type"]?.stringValue ?? "?"
        var columns = [
            style.dim(String(position).leftPadded(to: 7)),
            style.dim(EventText.time(event)),
            style.eventType(type, width: 32),
            "wf=" + EventText.workflow(event),
            style.bold(EventText.agent(event)),
        ]
        let summary = EventText.summary(event)
        if !summary.isEmpty { columns.append(summary) }
        return columns.joined(separator: "  ")
    }
}

extension String {
    /// Right-aligned in `width` columns.
    func leftPadded(to width: Int) -> String {
        count >= width ? self : String(repeating: " ", count: width - count) + self
    }
}

/// Event type patterns as bb accepts them: the API's own grammar (`EventTypePattern`, docs/api.md): `*` any run of
/// characters, `#` as a whole word zero or more words.
enum TypePattern {
    /// What is wrong with `pattern`, or `nil`.
    static func problem(_ pattern: String) -> String? {
        do {
            _ = try EventTypePattern(pattern)
            return nil
        } catch {
            let reason = error.message.hasPrefix("event_type: ") ? String(error.message.dropFirst(12)) : error.message
            return "event type \(reason) (e.g. bmad.workflow.# or agent.letta.task.*)"
        }
    }

    /// Whether `type` matches `pattern` (false for an invalid pattern).
    static func matches(_ pattern: String, _ type: String) -> Bool {
        (try? EventTypePattern(pattern))?.matches(type) ?? false
    }
}
