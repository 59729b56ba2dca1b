/// The size limits Candystore enforces on what it accepts and on the text it writes (docs/security.md).
///
/// `maximumEventBytes` bounds one message body on the bus (`MAX_EVENT_BYTES`, default 1 MiB): a larger one is
/// dead-lettered with code `too_large` and its size, never parsed or stored. `maximumReasonBytes` bounds every
/// reason Candystore writes — the `x-candystore-reason` header of a dead-letter copy, the `reason` of a blocked
/// handoff, an error text echoed from Letta (`MAX_REASON_BYTES`, default 2 KiB): longer text is cut with a
/// marker, so no header ever approaches RabbitMQ's frame_max (128 KiB).
public struct MessageLimits: Sendable, Equatable {
    /// Largest message body accepted, in bytes.
    public var maximumEventBytes: Int
    /// Longest reason written into headers, events and read models, in UTF-8 bytes (marker included).
    public var maximumReasonBytes: Int

    /// The defaults: 1 MiB events, 2 KiB reasons.
    public static let `default` = MessageLimits()

    /// Creates limits (defaults: 1 MiB, 2 KiB).
    public init(maximumEventBytes: Int = 1 << 20, maximumReasonBytes: Int = 2048) {
        self.maximumEventBytes = maximumEventBytes
        self.maximumReasonBytes = max(maximumReasonBytes, Self.minimumReasonBytes)
    }

    /// The shortest reason limit allowed (room for a useful sentence and the marker).
    public static let minimumReasonBytes = 128

    /// `text` cut to ``maximumReasonBytes``.
    public func reason(_ text: String) -> String {
        Self.truncated(text, maxBytes: maximumReasonBytes)
    }

    /// `text` unchanged when it fits in `maxBytes` UTF-8 bytes; otherwise its longest prefix that ends on a
    /// character boundary and leaves room for the marker ` … [truncated: N bytes in all]`.
    public static func truncated(_ text: String, maxBytes: Int) -> String {
        let total = text.utf8.count
        guard total > maxBytes else { return text }
        let marker = " … [truncated: \(total) bytes in all]"
        let budget = max(0, maxBytes - marker.utf8.count)
        var kept = 0
        var end = text.startIndex
        for character in text {
            let size = character.utf8.count
            if kept + size > budget { break }
            kept += size
            end = text.index(after: end)
        }
        return String(text[..<end]) + marker
    }
}
