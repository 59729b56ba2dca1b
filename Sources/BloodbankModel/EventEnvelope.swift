public import Foundation

/// One Bloodbank event: the envelope every producer sends and the store keeps.
///
/// Wire keys, in this order and always present: `event_id, event_type, timestamp, version, source,
/// correlation_ids, agent_context, payload`. The payload is kept as the exact JSON object that arrived, so
/// unknown fields, key order and number literals survive a decode/encode round trip byte for byte.
public struct EventEnvelope: Sendable, Hashable {
    /// The event's identity; the store's idempotency key and the AMQP `message_id`.
    public var eventID: UUID
    /// The event type, also the AMQP routing key (`domain.entity.action`).
    public var eventType: String
    /// When the event happened, microsecond precision.
    public var timestamp: EventTimestamp
    /// The envelope format version, `1.0.0`.
    public var version: String
    /// The normalised source (see ``EventSource/init(normalizing:)``).
    public var source: EventSource
    /// The `source` JSON exactly as it arrived (`null` when absent); the store keeps it beside the
    /// normalised form.
    public var rawSource: JSONValue
    /// Parent event ids (causation); empty for a root event.
    public var correlationIDs: [UUID]
    /// The producing agent, when an agent produced the event.
    public var agentContext: AgentContext?
    /// The payload object, exactly as it arrived.
    public var payload: JSONObject

    /// The envelope version this module writes.
    public static let currentVersion = "1.0.0"

    /// Creates a new event for publishing, with a fresh random (v4) id and the current time by default.
    ///
    /// - Throws: `invalid_envelope` when `eventType` does not match `^[a-z0-9]+(\.[a-z0-9_-]+)+$`.
    public init(
        eventType: String,
        payload: JSONObject,
        correlationIDs: [UUID] = [],
        agentContext: AgentContext? = nil,
        source: EventSource = EventEnvelope.defaultSource,
        eventID: UUID = UUID(),
        timestamp: EventTimestamp = .now()
    ) throws(BloodbankModelError) {
        guard Self.isValidEventType(eventType) else {
            throw .envelope(
                "event_type",
                "\(FieldChecks.quoted(eventType)) does not match \(FieldChecks.eventTypePattern) (max 255 bytes)"
            )
        }
        self.init(
            uncheckedEventType: eventType,
            eventID: eventID,
            timestamp: timestamp,
            version: Self.currentVersion,
            source: source,
            rawSource: source.jsonValue,
            correlationIDs: correlationIDs,
            agentContext: agentContext,
            payload: payload
        )
    }

    /// Creates a new event from a typed catalogue payload (its event type is known to be valid).
    public init<Payload: BloodbankPayload>(
        payload: Payload,
        correlationIDs: [UUID] = [],
        agentContext: AgentContext? = nil,
        source: EventSource = EventEnvelope.defaultSource,
        eventID: UUID = UUID(),
        timestamp: EventTimestamp = .now()
    ) {
        self.init(
            uncheckedEventType: Payload.eventType,
            eventID: eventID,
            timestamp: timestamp,
            version: Self.currentVersion,
            source: source,
            rawSource: source.jsonValue,
            correlationIDs: correlationIDs,
            agentContext: agentContext,
            payload: payload.jsonObject
        )
    }

    init(
        uncheckedEventType eventType: String,
        eventID: UUID,
        timestamp: EventTimestamp,
        version: String,
        source: EventSource,
        rawSource: JSONValue,
        correlationIDs: [UUID],
        agentContext: AgentContext?,
        payload: JSONObject
    ) {
        self.eventID = eventID
        self.eventType = eventType
        self.timestamp = timestamp
        self.version = version
        self.source = source
        self.rawSource = rawSource
        self.correlationIDs = correlationIDs
        self.agentContext = agentContext
        self.payload = payload
    }

    /// The source stamped when a publisher does not pass one: this host, type `service`, app `candystore`.
    public static let defaultSource = EventSource.local(app: "candystore")

    /// Whether `eventType` is a valid event type (and so a valid routing key): the pattern
    /// `^[a-z0-9]+(\.[a-z0-9_-]+)+$` and at most 255 bytes.
    public static func isValidEventType(_ eventType: String) -> Bool {
        FieldChecks.isValidEventType(eventType)
    }
}
