extension EventCatalogue {
    /// The JSON Schema dialect of every exported schema.
    public static let schemaDialect = "https://json-schema.org/draft/2020-12/schema"

    /// JSON Schemas (2020-12) for `bb schema export`: first `envelope.schema.json` (any event), then one
    /// `<event_type>.schema.json` per catalogued type (the envelope with that type's payload schema embedded),
    /// in sorted order. Output is deterministic, so exported files diff cleanly.
    ///
    /// The schemas describe what producers must send. The decoder is deliberately more lenient in one place:
    /// it accepts any `source` value (and normalises it), while the schema describes the object or string
    /// forms.
    public static func jsonSchemas(catalogue: EventCatalogue = .standard) -> [(fileName: String, schema: JSONValue)] {
        var result: [(fileName: String, schema: JSONValue)] = [("envelope.schema.json", envelopeSchema(entry: nil))]
        for eventType in catalogue.eventTypes {
            guard let entry = catalogue[eventType] else { continue }
            result.append(("\(eventType).schema.json", envelopeSchema(entry: entry)))
        }
        return result
    }

    /// The schema of just a payload of a catalogued type.
    public static func payloadSchema(of entry: Entry) -> JSONValue {
        var schema: JSONObject = [
            "title": .string("\(entry.eventType) payload"), "description": .string(entry.summary),
        ]
        let objectSchema = PayloadField.objectSchema(entry.fields)
        for (key, value) in zip(objectSchema.keys, objectSchema.values) {
            schema.append(key, value)
        }
        return .object(schema)
    }

    /// The envelope schema; with an entry, `event_type` is fixed and the payload schema embedded.
    static func envelopeSchema(entry: Entry?) -> JSONValue {
        let uuid = PayloadFieldKind.uuid.jsonSchema
        let nullableString: JSONValue = ["type": ["string", "null"]]
        let nullableArray: JSONValue = ["type": ["array", "null"]]
        let nullableObject: JSONValue = ["type": ["object", "null"]]

        let eventType: JSONValue
        let payload: JSONValue
        let title: String
        let description: String
        if let entry {
            eventType = ["const": .string(entry.eventType)]
            payload = payloadSchema(of: entry)
            title = entry.eventType
            description = entry.summary
        } else {
            eventType = [
                "type": "string",
                "pattern": .string(FieldChecks.eventTypePattern),
                "maxLength": 255,
                "description": "Also the AMQP routing key: domain.entity.action.",
            ]
            payload = ["type": "object", "description": "The event's domain payload, kept exactly as sent."]
            title = "Bloodbank event envelope"
            description = "Any Bloodbank event. Catalogued event types have their own schema with a typed payload."
        }

        let sourceObject: JSONValue = [
            "type": "object",
            "properties": [
                "host": nullableString,
                "type": nullableString,
                "app": nullableString,
                "meta": nullableObject,
            ],
        ]
        let agentContext: JSONValue = [
            "anyOf": [
                [
                    "type": "object",
                    "properties": [
                        "type": nullableString,
                        "name": nullableString,
                        "system_prompt": nullableString,
                        "instance_id": nullableString,
                        "mcp_servers": nullableArray,
                        "file_references": nullableArray,
                        "url_references": nullableArray,
                        "code_state": [:],
                        "checkpoint_id": nullableString,
                        "meta": nullableObject,
                    ],
                ],
                ["type": "null"],
            ],
            "description": "The producing agent, or null.",
        ]

        let schema: JSONObject = [
            "$schema": .string(schemaDialect),
            "title": .string(title),
            "description": .string(description),
            "type": "object",
            "properties": [
                "event_id": .object(uuid),
                "event_type": eventType,
                "timestamp": [
                    "type": "string",
                    "pattern": .string(EventTimestamp.schemaPattern),
                    "description": "ISO 8601; without an offset it is taken as UTC. Written as UTC, 6 fraction digits.",
                ],
                "version": ["type": ["string", "null"], "default": "1.0.0"],
                "source": [
                    "anyOf": [sourceObject, ["type": "string"], ["type": "null"]],
                    "description": "Where the event came from; a plain string (\"http/127.0.0.1\") is accepted.",
                ],
                "correlation_ids": [
                    "anyOf": [["type": "array", "items": .object(uuid)], ["type": "null"]],
                    "description": "Parent event ids (causation); empty for a root event.",
                ],
                "agent_context": agentContext,
                "payload": payload,
            ],
            "required": ["event_id", "event_type", "timestamp", "payload"],
        ]
        return .object(schema)
    }
}
