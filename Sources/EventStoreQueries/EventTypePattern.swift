import Foundation

/// One `event_type` filter pattern (brief §5; docs/api.md "Event type patterns"): literal characters and two
/// wildcards.
///
/// - `*` matches any run of characters, dots included: `bmad.workflow.*` matches `bmad.workflow.phase.completed`,
///   `*.completed` matches `agent.letta.task.completed`.
/// - `#` as a whole dot-separated word matches zero or more words, as in RabbitMQ topic bindings: `bmad.#` matches
///   `bmad` and every `bmad.…`, `#.completed` matches `completed` and every `….completed`, `a.#.z` matches `a.z`
///   and `a.….z`, `#` alone matches everything. A `#` inside a longer word is a literal character, so that word
///   matches nothing (event types have no `#`) — as RabbitMQ treats it. (RabbitMQ's `*` is one word; here `*`
///   keeps the glob meaning it always had.)
public struct EventTypePattern: Sendable, Hashable, CustomStringConvertible {
    /// The pattern as the client wrote it.
    public let text: String

    /// Validates a pattern: lowercase letters, digits, `.`, `_`, `-`, `*` and `#`, 1 to 255 bytes.
    public init(_ text: String) throws(EventQueryError) {
        guard !text.isEmpty, text.utf8.count <= 255 else {
            throw .invalid("event_type", "a pattern must be 1 to 255 characters, got \(text.utf8.count)")
        }
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "-"), UInt8(ascii: "*"), UInt8(ascii: "#"):
                continue
            default:
                throw .invalid(
                    "event_type",
                    "pattern \"\(text)\" may only contain a-z, 0-9, '.', '_', '-' and the wildcards '*' and '#'")
            }
        }
        self.text = text
    }

    /// One step of a compiled pattern.
    package enum Token: Sendable, Hashable {
        /// One literal byte.
        case byte(UInt8)
        /// Any run of bytes, possibly empty (`*`, and a lone `#`).
        case any
        /// A leading `#.`: nothing, or one or more bytes followed by a dot.
        case leadingWords
        /// A `.#` after a word: nothing, or a dot followed by one or more bytes.
        case trailingWords
    }

    /// Whether the pattern uses `#` as a word (then SQL needs a regular expression).
    package var hasWordWildcard: Bool {
        text.split(separator: ".", omittingEmptySubsequences: false).contains { $0 == "#" }
    }

    /// The pattern as tokens; consecutive `#` words are one (`#.#` is `#`).
    package var tokens: [Token] {
        var words: [Substring] = []
        for word in text.split(separator: ".", omittingEmptySubsequences: false) {
            if word == "#", words.last == "#" { continue }
            words.append(word)
        }
        if words == ["#"] { return [.any] }
        var tokens: [Token] = []
        for (index, word) in words.enumerated() {
            if word == "#" {
                tokens.append(index == 0 ? .leadingWords : .trailingWords)
                continue
            }
            // The dot before a word; a leading `#.` already ends with it.
            if index > 0, !(index == 1 && words[0] == "#") { tokens.append(.byte(UInt8(ascii: "."))) }
            for byte in word.utf8 { tokens.append(byte == UInt8(ascii: "*") ? .any : .byte(byte)) }
        }
        return tokens
    }

    /// The POSIX regular expression (PostgreSQL `~`) of a pattern with `#` words, anchored at both ends.
    package var regularExpression: String {
        var result = "^"
        for token in tokens {
            switch token {
            case .byte(let byte):
                if byte == UInt8(ascii: ".") {
                    result += "\\."
                } else {
                    result.unicodeScalars.append(Unicode.Scalar(byte))
                }
            case .any: result += ".*"
            case .leadingWords: result += "(.+\\.)?"
            case .trailingWords: result += "(\\..+)?"
            }
        }
        return result + "$"
    }

    /// The literal text before the first wildcard (lets SQL narrow a regular expression with an indexed prefix).
    package var literalPrefix: String {
        var bytes: [UInt8] = []
        for token in tokens {
            guard case .byte(let byte) = token else { break }
            bytes.append(byte)
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// The most patterns one filter may list.
    public static let maximumCount = 50

    /// Parses a comma-separated list; spaces (U+0020) around items and empty items are ignored, anything else
    /// must be a valid pattern (the OpenAPI document states this grammar as a regular expression).
    public static func list(_ text: String) throws(EventQueryError) -> [EventTypePattern] {
        var patterns: [EventTypePattern] = []
        for item in text.split(separator: ",", omittingEmptySubsequences: true) {
            let trimmed = item.trimmingCharacters(in: CharacterSet(charactersIn: " "))
            if trimmed.isEmpty { continue }
            patterns.append(try EventTypePattern(trimmed))
        }
        // The same cap for REST and for the stream's query string and subscribe frames.
        guard patterns.count <= maximumCount else {
            throw .invalid("event_type", "at most \(maximumCount) patterns, got \(patterns.count)")
        }
        return patterns
    }

    /// Whether the pattern has no wildcard (then SQL uses `=`, the cheapest index lookup).
    public var isExact: Bool { !text.contains("*") && !hasWordWildcard }

    /// The SQL `LIKE` form of a pattern without `#` words (with them: `literalPrefix` + `%` narrows, and
    /// ``regularExpression`` decides): `%`, `_` and `\` escaped with `\` (PostgreSQL's default escape), `*` → `%`.
    /// A literal prefix before the first `*` lets the planner use the `varchar_pattern_ops` index.
    public var likePattern: String {
        var result = ""
        for character in text {
            switch character {
            case "*": result.append("%")
            case "%", "_", "\\":
                result.append("\\")
                result.append(character)
            default: result.append(character)
            }
        }
        return result
    }

    /// Match in Swift (the live stream filters without a database round trip): a memoised walk over the tokens,
    /// O(pattern × type²) at worst, no recursion depth beyond the pattern's length.
    public func matches(_ eventType: String) -> Bool {
        let tokens = tokens
        let subject = Array(eventType.utf8)
        let width = subject.count + 1
        // 0 unknown, 1 no, 2 yes; state (token index, subject index).
        var memo = [UInt8](repeating: 0, count: (tokens.count + 1) * width)
        func match(_ t: Int, _ s: Int) -> Bool {
            if t == tokens.count { return s == subject.count }
            let key = t * width + s
            if memo[key] != 0 { return memo[key] == 2 }
            var result = false
            switch tokens[t] {
            case .byte(let byte):
                result = s < subject.count && subject[s] == byte && match(t + 1, s + 1)
            case .any:
                for next in s...subject.count where match(t + 1, next) {
                    result = true
                    break
                }
            case .leadingWords:
                result = match(t + 1, s)
                if !result, s < subject.count {
                    for dot in (s + 1)..<subject.count where subject[dot] == UInt8(ascii: ".") && match(t + 1, dot + 1)
                    {
                        result = true
                        break
                    }
                }
            case .trailingWords:
                result = match(t + 1, s)
                if !result, s + 1 < subject.count, subject[s] == UInt8(ascii: ".") {
                    for next in (s + 2)...subject.count where match(t + 1, next) {
                        result = true
                        break
                    }
                }
            }
            memo[key] = result ? 2 : 1
            return result
        }
        return match(0, 0)
    }

    /// The pattern text.
    public var description: String { text }
}

extension Array where Element == EventTypePattern {
    /// True when the list is empty (no filter) or any pattern matches.
    public func matchesAny(_ eventType: String) -> Bool {
        isEmpty || contains { $0.matches(eventType) }
    }
}
