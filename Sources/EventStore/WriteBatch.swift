package import BloodbankModel
package import Foundation

/// The pure half of a batch write: in-batch deduplication, workflow-id resolution and the column values,
/// kept apart from I/O so they are unit-tested without a database.
package struct WriteBatch: Sendable {
    /// First occurrence of each event id, in batch order: the candidates for insertion.
    package private(set) var unique: [EncodedEvent] = []
    /// Later occurrences of an id already in ``unique`` (first occurrence wins); compared against the stored
    /// body like any other redelivery.
    package private(set) var repeats: [EncodedEvent] = []

    /// Serialises `events` and splits them into first occurrences and repeats.
    package init(_ events: [ValidatedEvent]) {
        self.init(encoded: events.map(EncodedEvent.init))
    }

    /// Splits already serialised `events` into first occurrences and repeats.
    package init(encoded events: [EncodedEvent]) {
        var seen = Set<UUID>()
        seen.reserveCapacity(events.count)
        for event in events {
            if seen.insert(event.envelope.eventID).inserted {
                unique.append(event)
            } else {
                repeats.append(event)
            }
        }
    }

    /// The workflow an event names itself: the typed payload's `workflow_id` for catalogued types, else a
    /// `workflow_id` payload member holding a UUID string.
    package static func ownWorkflowID(_ event: ValidatedEvent) -> UUID? {
        if let workflowID = event.typedPayload?.workflowID { return workflowID }
        guard let text = event.envelope.payload["workflow_id"]?.stringValue else { return nil }
        return BloodbankUUID.parse(text)
    }

    /// Parent ids whose stored `workflow_id` the resolution needs: the parents of every event that names no
    /// workflow itself. Empty for the common case, so the lookup round trip is skipped.
    package var parentIDsToLookUp: [UUID] {
        var ids: [UUID] = []
        var seen = Set<UUID>()
        for event in unique where Self.ownWorkflowID(event.event) == nil {
            for parent in event.envelope.correlationIDs where seen.insert(parent).inserted {
                ids.append(parent)
            }
        }
        return ids
    }

    /// The `workflow_id` of every event in ``unique`` that has one.
    ///
    /// An event's own workflow id wins; otherwise the first parent (in `correlation_ids` order) that has one,
    /// whether that parent is already stored (`storedParents`, preferred: it is what the store says) or
    /// elsewhere in this batch (before or after the child, resolved transitively). Cycles in bad data end
    /// the search along that path.
    package func resolveWorkflowIDs(storedParents: [UUID: UUID]) -> [UUID: UUID] {
        var byID: [UUID: EncodedEvent] = [:]
        byID.reserveCapacity(unique.count)
        for event in unique { byID[event.envelope.eventID] = event }
        var resolver = Resolver(byID: byID, storedParents: storedParents)
        var result: [UUID: UUID] = [:]
        for event in unique {
            if let workflowID = resolver.resolve(event.envelope.eventID).workflowID {
                result[event.envelope.eventID] = workflowID
            }
        }
        return result
    }

    private struct Resolver {
        let byID: [UUID: EncodedEvent]
        let storedParents: [UUID: UUID]
        var memo: [UUID: UUID?] = [:]
        var visiting = Set<UUID>()

        init(byID: [UUID: EncodedEvent], storedParents: [UUID: UUID]) {
            self.byID = byID
            self.storedParents = storedParents
        }

        /// The workflow id of `id`, and whether a cycle cut the search short (then a `nil` is not final and
        /// is not memoised).
        mutating func resolve(_ id: UUID) -> (workflowID: UUID?, hitCycle: Bool) {
            if let cached = memo[id] { return (cached, false) }
            guard let event = byID[id] else { return (storedParents[id], false) }
            if let own = WriteBatch.ownWorkflowID(event.event) {
                memo[id] = own
                return (own, false)
            }
            guard visiting.insert(id).inserted else { return (nil, true) }
            defer { visiting.remove(id) }
            var hitCycle = false
            for parent in event.envelope.correlationIDs {
                if let stored = storedParents[parent] {
                    memo[id] = stored
                    return (stored, false)
                }
                let (workflowID, cycle) = resolve(parent)
                hitCycle = hitCycle || cycle
                if let workflowID {
                    memo[id] = workflowID
                    return (workflowID, false)
                }
            }
            if !hitCycle { memo[id] = .some(nil) }
            return (nil, hitCycle)
        }
    }
}

/// The text form of one event's columns, as bound into the writer's array parameters.
///
/// Everything travels as text and is cast in SQL: JSON as its exact literal (a `Double` never touches a
/// number), the timestamp in its microsecond wire form (`Date` would round), `correlation_ids` as a `uuid[]`
/// literal because `unnest` flattens a two-dimensional array. An empty string stands for SQL `NULL`.
package struct EventColumns: Sendable, Equatable {
    /// `event_id`.
    package var eventID: UUID
    /// `event_type`.
    package var eventType: String
    /// `timestamp`, `YYYY-MM-DDTHH:MM:SS.ffffffZ`.
    package var timestamp: String
    /// `version`.
    package var version: String
    /// `source`, the normalised object.
    package var source: String
    /// `source_raw`, what the producer sent (`null` when absent).
    package var sourceRaw: String
    /// `correlation_ids` as a `uuid[]` literal, e.g. `{a,b}`.
    package var correlationIDs: String
    /// `agent_context`, or empty for SQL `NULL`.
    package var agentContext: String
    /// `payload`.
    package var payload: String
    /// `workflow_id`, or empty for SQL `NULL`.
    package var workflowID: String

    /// The columns of `event` with its resolved workflow id.
    package init(_ event: ValidatedEvent, workflowID: UUID?) {
        let envelope = event.envelope
        eventID = envelope.eventID
        eventType = envelope.eventType
        timestamp = envelope.timestamp.description
        version = envelope.version
        source = envelope.source.jsonValue.encodedString()
        sourceRaw = envelope.rawSource.encodedString()
        correlationIDs = "{" + envelope.correlationIDs.map(BloodbankUUID.format).joined(separator: ",") + "}"
        agentContext = envelope.agentContext.map { $0.jsonValue.encodedString() } ?? ""
        payload = JSONValue.object(envelope.payload).encodedString()
        self.workflowID = workflowID.map(BloodbankUUID.format) ?? ""
    }
}
