public import BloodbankModel
public import Foundation

/// What one ``EventWriter/write(_:)`` call did with each event of its batch.
///
/// Every input event lands in exactly one of ``stored``, ``duplicates``, ``conflicts`` or ``rejected`` (an
/// event id repeated within the batch is reported once per occurrence), so the caller can ack or dead-letter
/// each delivery.
public struct WriteOutcome: Sendable {
    /// Newly stored events, in position order (which is also batch order).
    public var stored: [StoredEvent]
    /// Events whose id was already stored (or appeared earlier in the batch) with an equal body: acked, not
    /// stored again.
    public var duplicates: [UUID]
    /// Events whose id was already stored with a different body: the first body stays (events are
    /// immutable); the caller logs and counts them.
    public var conflicts: [UUID]
    /// Events the database refused (e.g. a number beyond `numeric`'s range) with the reason, for the
    /// dead-letter queue; the rest of the batch was stored.
    public var rejected: [(eventID: UUID, reason: String)]
    /// Stored events whose read-model update failed and was rolled back (logged); they are persisted, and
    /// `candystore projections rebuild` recomputes the read models once the cause is fixed.
    public var projectionFailures: Int

    /// Creates an outcome.
    public init(
        stored: [StoredEvent] = [],
        duplicates: [UUID] = [],
        conflicts: [UUID] = [],
        rejected: [(eventID: UUID, reason: String)] = [],
        projectionFailures: Int = 0
    ) {
        self.stored = stored
        self.duplicates = duplicates
        self.conflicts = conflicts
        self.rejected = rejected
        self.projectionFailures = projectionFailures
    }
}
