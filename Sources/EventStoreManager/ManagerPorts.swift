import BloodbankModel
import Foundation

/// What the manager needs from the event store: one transactional write per batch.
///
/// `EventStore.EventWriter` is the production implementation; the seam exists so the pipeline's rules
/// (ack only after commit, dead-letter only bad input, retry transient failures) are testable on their own.
public protocol EventBatchStore: Sendable {
    /// Persists a batch in one transaction (insert idempotently, project, commit).
    func store(_ events: [ValidatedEvent]) async throws -> StoredBatch
    /// Whether an error from ``store(_:)`` is transient (retry the batch) rather than a bug.
    func isTransient(_ error: any Error) -> Bool
}

/// The result of storing one batch.
public struct StoredBatch: Sendable {
    /// One newly stored event: its position and the JSON published on the live stream.
    public struct Event: Sendable {
        /// The event's id.
        public var eventID: UUID
        /// The event type (metrics label).
        public var eventType: String
        /// Its global position (gapless, commit order).
        public var position: Int64
        /// The stored-event JSON (envelope + `position`) for the live stream.
        public var streamJSON: [UInt8]
        /// The event's own timestamp, for event→commit latency.
        public var timestamp: EventTimestamp

        /// Creates a stored-event record.
        public init(eventID: UUID, eventType: String, position: Int64, streamJSON: [UInt8], timestamp: EventTimestamp) {
            self.eventID = eventID
            self.eventType = eventType
            self.position = position
            self.streamJSON = streamJSON
            self.timestamp = timestamp
        }
    }

    /// Events inserted by this batch, in position order.
    public var stored: [Event]
    /// Ids that were already stored with the same body (redeliveries, re-publishes).
    public var duplicates: [UUID]
    /// Ids already stored with a different body (the first body stays).
    public var conflicts: [UUID]
    /// Events the database refused as data (e.g. a number beyond `numeric`): dead-lettered with the reason.
    public var rejected: [(eventID: UUID, reason: String)]
    /// Projections that failed (logged; persistence went ahead).
    public var projectionFailures: Int

    /// Creates a batch result.
    public init(
        stored: [Event], duplicates: [UUID] = [], conflicts: [UUID] = [],
        rejected: [(eventID: UUID, reason: String)] = [], projectionFailures: Int = 0
    ) {
        self.stored = stored
        self.duplicates = duplicates
        self.conflicts = conflicts
        self.rejected = rejected
        self.projectionFailures = projectionFailures
    }
}

/// Where stored events are announced after commit (Redis `events:stream`). Failures never block persistence.
public protocol EventStreamPublisher: Sendable {
    /// Publishes the stored-event JSON messages, in order, on `channel`.
    func publish(channel: String, messages: [[UInt8]]) async throws
}
