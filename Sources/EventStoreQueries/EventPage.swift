public import BloodbankModel

/// One page of `GET /api/v1/events`.
public struct EventPage: Sendable {
    /// The events, in the requested order.
    public var events: [StoredEvent]
    /// Total number of matching events, when asked for.
    public var totalCount: Int64?
    /// The cursor for the next page (`after=`), or `nil` on the last page.
    public var nextAfter: Int64?

    /// Creates a page.
    public init(events: [StoredEvent], totalCount: Int64?, nextAfter: Int64?) {
        self.events = events
        self.totalCount = totalCount
        self.nextAfter = nextAfter
    }
}
