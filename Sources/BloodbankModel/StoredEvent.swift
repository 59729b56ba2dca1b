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

extension StoredEvent {
    /// The same document as ``jsonBytes()``, as a JSON value for embedding in larger responses (trees).
    public var jsonValue: JSONValue {
        guard case .object(var object) = envelope.jsonValue else { return envelope.jsonValue }
        object.append("position", .number(JSONNumber(position)))
        return .object(object)
    }
}
