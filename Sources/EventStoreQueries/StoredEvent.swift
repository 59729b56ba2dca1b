public import BloodbankModel
public import EventStore
import Foundation

extension StoredEvent {
    /// The same document as ``jsonBytes()``, as a JSON value for embedding in larger responses (trees).
    public var jsonValue: JSONValue {
        guard case .object(var object) = envelope.jsonValue else { return envelope.jsonValue }
        object.append("position", .number(JSONNumber(position)))
        return .object(object)
    }
}

/// One page of `GET /api/v1/events`.
public struct EventPage: Sendable {
    /// The events, in the requested order.
    public var events: [StoredEvent]
    /// Total number of matching events, when asked for.
    public var totalCount: Int64?
    /// The cursor for the next page (`after=`), or `nil` on the last page.
    public var nextAfter: Int64?
}
