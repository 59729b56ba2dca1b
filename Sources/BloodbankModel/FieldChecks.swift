import Foundation

/// Shared wording for validation messages, so envelope and payload errors read the same way.
enum FieldChecks {
    /// `got number`, `got null`, or `got "text"` for strings (truncated), used after "expected ...".
    static func got(_ value: JSONValue) -> String {
        if case .string(let text) = value {
            return "got \(quoted(text))"
        }
        return "got \(value.typeName)"
    }

    static func quoted(_ text: String) -> String {
        let limit = 64
        var shown = text.count > limit ? String(text.prefix(limit)) + "…" : text
        shown = shown.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
        return "\"\(shown)\""
    }

    /// The `event_type` rule `^[a-z0-9]+(\.[a-z0-9_-]+)+$`, plus the 255-byte limit of AMQP routing keys and
    /// of the `events.event_type` column.
    static func isValidEventType(_ text: String) -> Bool {
        let utf8 = text.utf8
        guard utf8.count <= 255 else { return false }
        var segments = 0
        var segmentLength = 0
        for byte in utf8 {
            switch byte {
            case UInt8(ascii: "."):
                guard segmentLength > 0 else { return false }
                segments += 1
                segmentLength = 0
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"):
                segmentLength += 1
            case UInt8(ascii: "_"), UInt8(ascii: "-"):
                guard segments > 0 else { return false }
                segmentLength += 1
            default:
                return false
            }
        }
        return segments >= 1 && segmentLength > 0
    }

    static let eventTypePattern = "^[a-z0-9]+(\\.[a-z0-9_-]+)+$"
}
