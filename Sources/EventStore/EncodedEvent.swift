public import BloodbankModel
package import Foundation

/// A validated event serialised once: the text of its JSON columns, reused for the insert, the idempotency
/// comparison and the stored-event JSON announced after commit.
///
/// The payload, source and agent context are the expensive parts to encode; they are encoded here and nowhere
/// else on the ingest path. ``storedJSON(position:)`` assembles the live-stream message from those same texts,
/// byte for byte equal to ``StoredEvent/jsonBytes()``.
public struct EncodedEvent: Sendable {
    /// The event as validated.
    public let event: ValidatedEvent
    /// The column texts (no workflow id: the writer resolves it inside the transaction).
    package let columns: EventColumns

    /// Serialises `event` (once).
    public init(_ event: ValidatedEvent) {
        self.event = event
        self.columns = EventColumns(event, workflowID: nil)
    }

    /// The event's envelope.
    public var envelope: EventEnvelope { event.envelope }

    /// The columns with the resolved `workflow_id`.
    package func columns(workflowID: UUID?) -> EventColumns {
        var columns = self.columns
        columns.workflowID = workflowID.map(BloodbankUUID.format) ?? ""
        return columns
    }

    /// The stored-event JSON (canonical envelope with `"position": N` after `payload`), as REST, the WebSocket
    /// and the Redis `events:stream` carry it, built from the already encoded columns.
    public func storedJSON(position: Int64) -> [UInt8] {
        let envelope = event.envelope
        var output: [UInt8] = []
        output.reserveCapacity(columns.payload.utf8.count + columns.source.utf8.count + 256)
        output.append(contentsOf: #"{"event_id":""#.utf8)
        output.append(contentsOf: BloodbankUUID.format(envelope.eventID).utf8)
        output.append(contentsOf: #"","event_type":"#.utf8)
        output.append(contentsOf: JSONValue.string(envelope.eventType).encodedBytes())
        output.append(contentsOf: #","timestamp":""#.utf8)
        output.append(contentsOf: columns.timestamp.utf8)
        output.append(contentsOf: #"","version":"#.utf8)
        output.append(contentsOf: JSONValue.string(envelope.version).encodedBytes())
        output.append(contentsOf: #","source":"#.utf8)
        output.append(contentsOf: columns.source.utf8)
        output.append(contentsOf: #","correlation_ids":["#.utf8)
        for (offset, id) in envelope.correlationIDs.enumerated() {
            output.append(contentsOf: offset == 0 ? #"""#.utf8 : #",""#.utf8)
            output.append(contentsOf: BloodbankUUID.format(id).utf8)
            output.append(UInt8(ascii: "\""))
        }
        output.append(contentsOf: #"],"agent_context":"#.utf8)
        output.append(contentsOf: columns.agentContext.isEmpty ? Array("null".utf8) : Array(columns.agentContext.utf8))
        output.append(contentsOf: #","payload":"#.utf8)
        output.append(contentsOf: columns.payload.utf8)
        output.append(contentsOf: #","position":"#.utf8)
        output.append(contentsOf: String(position).utf8)
        output.append(UInt8(ascii: "}"))
        return output
    }
}
