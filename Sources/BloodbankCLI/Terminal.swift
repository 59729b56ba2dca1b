import BloodbankModel
import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Standard output and error of the terminal commands: unbuffered line writes (a live `bb tail | jq` sees each
/// event at once), and whether colour is wanted (a TTY, `NO_COLOR` unset, `TERM` not `dumb`).
enum Terminal {
    /// Whether standard output is a terminal.
    static var stdoutIsTTY: Bool { isatty(STDOUT_FILENO) == 1 }
    /// Whether standard error is a terminal.
    static var stderrIsTTY: Bool { isatty(STDERR_FILENO) == 1 }

    /// Colour on standard output: only on a TTY, never with `NO_COLOR` (any value, https://no-color.org) or
    /// `TERM=dumb`.
    static var colourOnStdout: Bool { stdoutIsTTY && colourAllowed }
    /// Colour on standard error, by the same rules.
    static var colourOnStderr: Bool { stderrIsTTY && colourAllowed }

    private static var colourAllowed: Bool {
        let environment = ProcessInfo.processInfo.environment
        if let value = environment["NO_COLOR"], !value.isEmpty { return false }
        return environment["TERM"] != "dumb"
    }

    /// Writes `text` and a newline to standard output in one `write`.
    static func out(_ text: String) {
        write(STDOUT_FILENO, Array((text + "\n").utf8))
    }

    /// Writes raw bytes and a newline to standard output.
    static func out(bytes: some Collection<UInt8>) {
        var line = Array(bytes)
        line.append(UInt8(ascii: "\n"))
        write(STDOUT_FILENO, line)
    }

    /// Writes `text` and a newline to standard error.
    static func err(_ text: String) {
        write(STDERR_FILENO, Array((text + "\n").utf8))
    }

    /// A status line on standard error (`bb: connected …`), dimmed on a colour terminal.
    static func status(_ text: String) {
        err(colourOnStderr ? "\u{1B}[2mbb: \(text)\u{1B}[0m" : "bb: \(text)")
    }

    private static func write(_ descriptor: Int32, _ bytes: [UInt8]) {
        bytes.withUnsafeBytes { buffer in
            var offset = 0
            while offset < buffer.count {
                #if canImport(Glibc)
                    let written = Glibc.write(descriptor, buffer.baseAddress! + offset, buffer.count - offset)
                #else
                    let written = Darwin.write(descriptor, buffer.baseAddress! + offset, buffer.count - offset)
                #endif
                if written < 0 {
                    if errno == EINTR { continue }
                    // A closed pipe (`bb tail | head`): nothing more can be shown, so stop quietly.
                    if errno == EPIPE { exit(0) }
                    return
                }
                offset += written
            }
        }
    }

    /// Ends the process with `code` (stdio buffers flushed).
    static func terminate(_ code: Int32) -> Never {
        exit(code)
    }

    /// Ignores SIGPIPE so a closed pipe is an `EPIPE` write (handled above), not a crash.
    static func ignoreSIGPIPE() {
        signal(SIGPIPE, SIG_IGN)
    }
}

/// ANSI styles, applied only when `enabled`.
struct Style: Sendable {
    /// Whether escapes are written at all.
    var enabled: Bool

    func apply(_ code: String, _ text: String) -> String { enabled ? "\u{1B}[\(code)m\(text)\u{1B}[0m" : text }
    func dim(_ text: String) -> String { apply("2", text) }
    func bold(_ text: String) -> String { apply("1", text) }
    func red(_ text: String) -> String { apply("31", text) }
    func green(_ text: String) -> String { apply("32", text) }
    func yellow(_ text: String) -> String { apply("33", text) }
    func blue(_ text: String) -> String { apply("34", text) }
    func magenta(_ text: String) -> String { apply("35", text) }
    func cyan(_ text: String) -> String { apply("36", text) }

    /// An event type coloured by family: outcomes by result (completed green, blocked/failed red), otherwise by
    /// its first segment (`bmad` blue, `agent` magenta, anything else cyan).
    /// `width` pads the text (inside the colour) to that many columns.
    func eventType(_ type: String, width: Int = 0) -> String {
        let text = type.count >= width ? type : type + String(repeating: " ", count: width - type.count)
        if type.hasSuffix(".blocked") || type.hasSuffix(".failed") { return red(text) }
        if type.hasSuffix(".completed") { return green(text) }
        if type.hasPrefix("bmad.") { return blue(text) }
        if type.hasPrefix("agent.") { return magenta(text) }
        return cyan(text)
    }
}

/// Formatting of stored events for people: agent, short ids, times, one-line summaries.
enum EventText {
    /// The first 8 characters of an id.
    static func short(_ id: String) -> String { String(id.prefix(8)) }

    /// `agent_context.name` (with the instance id), else `source.app`.
    static func agent(_ event: JSONValue) -> String {
        var agent = event["agent_context"]?["name"]?.stringValue ?? event["source"]?["app"]?.stringValue ?? "-"
        if let instance = event["agent_context"]?["instance_id"]?.stringValue, instance != agent {
            agent += "(\(instance))"
        }
        return agent
    }

    /// `HH:MM:SS.mmm` of the event's UTC timestamp.
    static func time(_ event: JSONValue) -> String {
        guard let text = event["timestamp"]?.stringValue, text.count >= 23 else {
            return event["timestamp"]?.stringValue ?? "-"
        }
        let characters = Array(text)
        return String(characters[11..<23])
    }

    /// The workflow id of the payload, shortened, or `-`.
    static func workflow(_ event: JSONValue) -> String {
        event["payload"]?["workflow_id"]?.stringValue.map(short) ?? "-"
    }

    /// One line saying what the event is about (empty when nothing obvious).
    static func summary(_ event: JSONValue) -> String {
        let payload = event["payload"]
        func text(_ key: String) -> String? { payload?[key]?.stringValue }
        let result: String?
        switch event["event_type"]?.stringValue {
        case WorkflowStartedPayload.eventType: result = text("project_name").map { "project \($0)" }
        case PhaseCompletedPayload.eventType:
            result = text("phase").map { "phase \($0) done" + (text("next_phase").map { " → \($0)" } ?? "") }
        case HandoffRequestedPayload.eventType:
            result = text("to_agent").map { "to \($0): \(text("task") ?? "")" }
        case HandoffAcceptedPayload.eventType: result = text("session_id").map { "accepted by session \($0)" }
        case TaskCompletedPayload.eventType: result = text("summary")
        case TaskBlockedPayload.eventType: result = text("reason").map { "blocked: \($0)" }
        case WorkflowCompletedPayload.eventType: result = text("status").map { "workflow \($0)" }
        default: result = text("summary") ?? text("message") ?? text("reason")
        }
        let line = (result ?? "").replacingOccurrences(of: "\n", with: " ")
        return line.count > 120 ? String(line.prefix(119)) + "…" : line
    }

    /// `+850ms`, `+2.4s`, `+3m05s`, `+2h04m` between two stored timestamps (empty when either is unreadable).
    static func delta(from parent: JSONValue?, to child: JSONValue) -> String {
        guard let parentText = parent?["timestamp"]?.stringValue, let childText = child["timestamp"]?.stringValue,
            let start = EventTimestamp(parsing: parentText), let end = EventTimestamp(parsing: childText)
        else { return "" }
        return "+" + duration(microseconds: end.microsecondsSinceEpoch - start.microsecondsSinceEpoch)
    }

    /// A short human duration.
    static func duration(microseconds: Int64) -> String {
        let value = max(0, microseconds)
        if value < 1_000_000 { return "\(value / 1000)ms" }
        if value < 60_000_000 {
            let tenths = value / 100_000
            return "\(tenths / 10).\(tenths % 10)s"
        }
        let seconds = value / 1_000_000
        if seconds < 3600 { return "\(seconds / 60)m" + String(format: "%02ds", Int(seconds % 60)) }
        return "\(seconds / 3600)h" + String(format: "%02dm", Int((seconds % 3600) / 60))
    }
}

/// `15m`, `30s`, `2h`, `1d` or a number of seconds: durations of `--since` and `--timeout`.
enum DurationText {
    /// Parses the text; `nil` when it is not a duration.
    static func seconds(_ text: String) -> Double? {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        guard let last = trimmed.last else { return nil }
        let multipliers: [Character: Double] = ["s": 1, "m": 60, "h": 3600, "d": 86400]
        if let multiplier = multipliers[last] {
            guard let number = Double(trimmed.dropLast()), number >= 0, number.isFinite else { return nil }
            return number * multiplier
        }
        guard let number = Double(trimmed), number >= 0, number.isFinite else { return nil }
        return number
    }
}

/// Splits a JSON array's text into its elements' exact bytes (no re-encoding), so `-o json` prints what the API
/// sent byte for byte.
enum JSONArraySplitter {
    /// The elements of the top-level array in `bytes`; `nil` when it is not an array.
    static func elements(_ bytes: [UInt8]) -> [ArraySlice<UInt8>]? {
        var index = 0
        func skipSpace() {
            while index < bytes.count, [0x20, 0x0A, 0x0D, 0x09].contains(bytes[index]) { index += 1 }
        }
        skipSpace()
        guard index < bytes.count, bytes[index] == UInt8(ascii: "[") else { return nil }
        index += 1
        var result: [ArraySlice<UInt8>] = []
        var depth = 0
        var inString = false
        var escaped = false
        var start: Int?
        while index < bytes.count {
            let byte = bytes[index]
            if inString {
                if escaped {
                    escaped = false
                } else if byte == UInt8(ascii: "\\") {
                    escaped = true
                } else if byte == UInt8(ascii: "\"") {
                    inString = false
                }
            } else {
                switch byte {
                case UInt8(ascii: "\""):
                    inString = true
                    if start == nil { start = index }
                case UInt8(ascii: "{"), UInt8(ascii: "["):
                    if start == nil { start = index }
                    depth += 1
                case UInt8(ascii: "}"):
                    depth -= 1
                case UInt8(ascii: "]"):
                    if depth == 0 {
                        if let start { result.append(trimmed(bytes[start..<index])) }
                        return result
                    }
                    depth -= 1
                case UInt8(ascii: ","):
                    if depth == 0 {
                        if let start { result.append(trimmed(bytes[start..<index])) }
                        start = nil
                    }
                case 0x20, 0x0A, 0x0D, 0x09:
                    break
                default:
                    if start == nil { start = index }
                }
            }
            index += 1
        }
        return nil
    }

    private static func trimmed(_ slice: ArraySlice<UInt8>) -> ArraySlice<UInt8> {
        var slice = slice
        while let last = slice.last, [0x20, 0x0A, 0x0D, 0x09].contains(last) { slice = slice.dropLast() }
        return slice
    }
}
