import Foundation

extension EventEnvelope {
    /// Decodes an envelope from UTF-8 JSON bytes (the AMQP message body).
    ///
    /// Only the envelope is checked here; ``EventValidator`` adds the catalogue payload checks.
    /// - Throws: `invalid_json` or `invalid_envelope`.
    public init(decoding bytes: some Collection<UInt8>) throws(BloodbankModelError) {
        let value = try JSONValue(parsing: bytes, options: JSONParsingOptions(rejectsNullCharacter: true))
        try self.init(jsonValue: value)
    }

    /// Decodes an envelope from a parsed JSON value.
    ///
    /// Rules: `event_id` (hyphenated UUID, any case), `event_type` (pattern), `timestamp` and `payload` (an
    /// object) are required; `version` defaults to `1.0.0`; `correlation_ids` missing or `null` is `[]`;
    /// `agent_context` is `null` or an object; `source` is normalised and never rejected; unknown top-level
    /// keys are ignored.
    /// - Throws: `invalid_envelope` naming the offending field.
    public init(jsonValue: JSONValue) throws(BloodbankModelError) {
        guard case .object(let object) = jsonValue else {
            throw .envelope("envelope", "expected a JSON object, \(FieldChecks.got(jsonValue))")
        }

        let eventIDValue = try Self.required(object, "event_id")
        guard case .string(let eventIDText) = eventIDValue else {
            throw .envelope("event_id", "expected a UUID string, \(FieldChecks.got(eventIDValue))")
        }
        guard let eventID = BloodbankUUID.parse(eventIDText) else {
            throw .envelope("event_id", "expected a UUID string, \(FieldChecks.got(eventIDValue))")
        }

        let eventTypeValue = try Self.required(object, "event_type")
        guard case .string(let eventType) = eventTypeValue else {
            throw .envelope("event_type", "expected a string, \(FieldChecks.got(eventTypeValue))")
        }
        guard Self.isValidEventType(eventType) else {
            throw .envelope(
                "event_type",
                "\(FieldChecks.quoted(eventType)) does not match \(FieldChecks.eventTypePattern) (max 255 bytes)"
            )
        }

        let timestampValue = try Self.required(object, "timestamp")
        guard case .string(let timestampText) = timestampValue else {
            throw .envelope("timestamp", "expected an ISO 8601 string, \(FieldChecks.got(timestampValue))")
        }
        let timestamp: EventTimestamp
        switch EventTimestamp.parse(timestampText) {
        case .success(let parsed): timestamp = parsed
        case .failure(let error):
            throw .envelope("timestamp", "\(error.reason), got \(FieldChecks.quoted(timestampText))")
        }

        let version: String
        switch object["version"] {
        case .none, .null?: version = Self.currentVersion
        case .string(let text)?: version = text
        case let other?: throw .envelope("version", "expected a string, \(FieldChecks.got(other))")
        }

        let rawSource = object["source"] ?? .null
        let source = EventSource(normalizing: rawSource)

        var correlationIDs: [UUID] = []
        switch object["correlation_ids"] {
        case .none, .null?: break
        case .array(let elements)?:
            correlationIDs.reserveCapacity(elements.count)
            for (offset, element) in elements.enumerated() {
                guard case .string(let text) = element, let uuid = BloodbankUUID.parse(text) else {
                    throw .envelope("correlation_ids[\(offset)]", "expected a UUID string, \(FieldChecks.got(element))")
                }
                correlationIDs.append(uuid)
            }
        case let other?:
            throw .envelope("correlation_ids", "expected an array of UUID strings, \(FieldChecks.got(other))")
        }

        let agentContext: AgentContext?
        switch object["agent_context"] {
        case .none, .null?: agentContext = nil
        case .object(let context)?: agentContext = try AgentContext(decoding: context)
        case let other?: throw .envelope("agent_context", "expected an object or null, \(FieldChecks.got(other))")
        }

        let payloadValue = try Self.required(object, "payload")
        guard case .object(let payload) = payloadValue else {
            throw .envelope("payload", "expected an object, \(FieldChecks.got(payloadValue))")
        }

        self.init(
            uncheckedEventType: eventType,
            eventID: eventID,
            timestamp: timestamp,
            version: version,
            source: source,
            rawSource: rawSource,
            correlationIDs: correlationIDs,
            agentContext: agentContext,
            payload: payload
        )
    }

    private static func required(_ object: JSONObject, _ key: String) throws(BloodbankModelError) -> JSONValue {
        guard let value = object[key] else {
            throw .envelope(key, "required field is missing")
        }
        return value
    }
}
