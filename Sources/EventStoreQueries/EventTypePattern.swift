import Foundation

/// One `event_type` filter pattern: literal characters plus `*`, which matches any run of characters
/// (brief §5), so `bmad.workflow.*` matches `bmad.workflow.phase.completed`.
public struct EventTypePattern: Sendable, Hashable, CustomStringConvertible {
    /// The pattern as the client wrote it.
    public let text: String

    /// Validates a pattern: lowercase letters, digits, `.`, `_`, `-` and `*`, at most 255 bytes.
    public init(_ text: String) throws(EventQueryError) {
        guard !text.isEmpty, text.utf8.count <= 255 else {
            throw .invalid("event_type", "a pattern must be 1 to 255 characters, got \(text.utf8.count)")
        }
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "-"), UInt8(ascii: "*"):
                continue
            default:
                throw .invalid(
                    "event_type",
                    "pattern \"\(text)\" may only contain a-z, 0-9, '.', '_', '-' and the wildcard '*'")
            }
        }
        self.text = text
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
    public var isExact: Bool { !text.contains("*") }

    /// The SQL `LIKE` form: `%`, `_` and `\` escaped with `\` (PostgreSQL's default escape), `*` → `%`.
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

    /// Glob match in Swift (the live stream filters without a database round trip).
    public func matches(_ eventType: String) -> Bool {
        let pattern = Array(text.utf8)
        let subject = Array(eventType.utf8)
        // Iterative wildcard matching with single backtrack point: O(n·m) worst case, no recursion.
        var patternIndex = 0
        var subjectIndex = 0
        var starIndex = -1
        var matchIndex = 0
        while subjectIndex < subject.count {
            if patternIndex < pattern.count, pattern[patternIndex] == UInt8(ascii: "*") {
                starIndex = patternIndex
                matchIndex = subjectIndex
                patternIndex += 1
            } else if patternIndex < pattern.count, pattern[patternIndex] == subject[subjectIndex] {
                patternIndex += 1
                subjectIndex += 1
            } else if starIndex >= 0 {
                patternIndex = starIndex + 1
                matchIndex += 1
                subjectIndex = matchIndex
            } else {
                return false
            }
        }
        while patternIndex < pattern.count, pattern[patternIndex] == UInt8(ascii: "*") { patternIndex += 1 }
        return patternIndex == pattern.count
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
