public import BloodbankModel
public import Foundation

/// An event as committed to the store: its envelope plus what the store assigned to it.
public struct StoredEvent: Sendable, Hashable {
    /// The gapless, commit-ordered global position (the API cursor and stream-resume key).
    public var position: Int64
    /// The envelope exactly as validated.
    public var envelope: EventEnvelope
    /// The stored `workflow_id` column: the payload's workflow id, else inherited from a parent event.
    public var workflowID: UUID?

    /// Creates a stored event (the writer builds these; tests and other stores may too).
    public init(position: Int64, envelope: EventEnvelope, workflowID: UUID?) {
        self.position = position
        self.envelope = envelope
        self.workflowID = workflowID
    }

    /// The representation of a stored event everywhere outside the database (REST, WebSocket `data`, the
    /// Redis `events:stream` message): the canonical envelope JSON with `"position": N` appended after
    /// `payload`.
    public func jsonBytes() -> [UInt8] {
        envelope.encodedBytes(additionalMembers: ["position": .number(JSONNumber(position))])
    }
}

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
