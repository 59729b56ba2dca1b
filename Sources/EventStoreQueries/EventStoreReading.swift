public import BloodbankModel
public import Foundation

/// The read side of the event store as the API and the live stream see it: every query they run.
///
/// The PostgreSQL implementation is `EventStore.EventStoreReader`; the HTTP layer depends on this port only, so
/// it never links PostgresNIO (`scripts/check-boundaries` enforces it). Every failure is an ``EventQueryError``.
public protocol EventStoreReading: Sendable {
    /// The highest stored position, 0 when the store is empty (positions are gapless).
    func maxPosition() async throws -> Int64
    /// One page of events matching `query` (`GET /api/v1/events`).
    func events(matching query: EventQuery) async throws -> EventPage
    /// How many events match `query`'s filters, ignoring its page.
    func count(matching query: EventQuery) async throws -> Int64
    /// One event by id, nil when absent.
    func event(id: UUID) async throws -> StoredEvent?
    /// Events with `from ≤ position ≤ through` matching `filter`, oldest first, at most `limit`.
    func events(positions from: Int64, through: Int64, filter: EventStreamFilter, limit: Int) async throws
        -> [StoredEvent]
    /// The events caused, transitively, by `id` (nil when `id` is unknown).
    func descendants(of id: UUID, maxDepth: Int, nodeLimit: Int) async throws -> CausationGraph?
    /// The events that caused `id`, transitively (nil when `id` is unknown).
    func ancestors(of id: UUID, maxDepth: Int, nodeLimit: Int) async throws -> CausationGraph?
    /// A page of workflow projections.
    func workflows(matching query: WorkflowQuery) async throws -> WorkflowPage
    /// One workflow projection, nil when absent.
    func workflow(id: UUID) async throws -> JSONValue?
    /// A workflow's events as a timeline, nil when the workflow is unknown.
    func timeline(workflowID: UUID, limit: Int) async throws -> [TimelineEntry]?
    /// One agent session projection, nil when absent.
    func session(id: String) async throws -> JSONValue?
    /// A session's events, nil when the session is unknown.
    func sessionEvents(id: String, limit: Int, offset: Int, after: Int64?) async throws -> [StoredEvent]?
}

extension EventStoreReading {
    /// Events from `from` through `through` matching `filter`, at most 500 (one catch-up page).
    public func events(positions from: Int64, through: Int64, filter: EventStreamFilter) async throws
        -> [StoredEvent]
    {
        try await events(positions: from, through: through, filter: filter, limit: 500)
    }
}
