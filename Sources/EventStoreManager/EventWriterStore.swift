import BloodbankModel
import EventStore

/// Adapts the database writer (`EventStore.EventWriter`) to the manager's ``EventBatchStore`` port.
public struct EventWriterStore: EventBatchStore {
    private let writer: EventWriter

    /// Wraps `writer`.
    public init(writer: EventWriter) {
        self.writer = writer
    }

    /// Writes the batch in one transaction and maps the outcome.
    public func store(_ events: [ValidatedEvent]) async throws -> StoredBatch {
        let outcome = try await writer.write(events)
        return StoredBatch(
            stored: outcome.stored.map {
                StoredBatch.Event(
                    eventID: $0.envelope.eventID, eventType: $0.envelope.eventType, position: $0.position,
                    streamJSON: $0.jsonBytes(), timestamp: $0.envelope.timestamp)
            },
            duplicates: outcome.duplicates,
            conflicts: outcome.conflicts,
            rejected: outcome.rejected,
            projectionFailures: outcome.projectionFailures)
    }

    /// Database outages are transient; anything else is retried too, but logged as a failure.
    public func isTransient(_ error: any Error) -> Bool {
        (error as? EventStoreError)?.isTransient ?? false
    }
}
