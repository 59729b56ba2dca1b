extension EventEnvelope {
    /// The canonical compact wire encoding (see ``JSONValue/encodedBytes()`` for the byte-level rules).
    ///
    /// - Parameter additionalMembers: members appended after `payload`, such as the store's `position`,
    ///   which the REST API and the stream add beside the envelope keys.
    public func encodedBytes(additionalMembers: JSONObject = JSONObject()) -> [UInt8] {
        var output: [UInt8] = []
        output.reserveCapacity(512)
        encode(into: &output, additionalMembers: additionalMembers)
        return output
    }

    /// The canonical compact wire encoding as a string.
    public func encodedString(additionalMembers: JSONObject = JSONObject()) -> String {
        String(decoding: encodedBytes(additionalMembers: additionalMembers), as: UTF8.self)
    }

    /// Appends the canonical encoding to `output`; written directly (not via ``jsonValue``) because this is
    /// on the publish and API hot paths.
    public func encode(into output: inout [UInt8], additionalMembers: JSONObject = JSONObject()) {
        output.append(contentsOf: #"{"event_id":""#.utf8)
        BloodbankUUID.append(eventID, to: &output)
        output.append(contentsOf: #"","event_type":"#.utf8)
        JSONWriter.writeString(eventType, into: &output)
        output.append(contentsOf: #","timestamp":""#.utf8)
        timestamp.append(to: &output)
        output.append(contentsOf: #"","version":"#.utf8)
        JSONWriter.writeString(version, into: &output)
        output.append(contentsOf: #","source":"#.utf8)
        source.jsonValue.encode(into: &output)
        output.append(contentsOf: #","correlation_ids":["#.utf8)
        for (offset, id) in correlationIDs.enumerated() {
            output.append(contentsOf: offset == 0 ? #"""#.utf8 : #",""#.utf8)
            BloodbankUUID.append(id, to: &output)
            output.append(UInt8(ascii: "\""))
        }
        output.append(contentsOf: #"],"agent_context":"#.utf8)
        if let agentContext {
            agentContext.jsonValue.encode(into: &output)
        } else {
            output.append(contentsOf: JSONWriter.nullLiteral)
        }
        output.append(contentsOf: #","payload":"#.utf8)
        payload.encode(into: &output)
        for (key, value) in zip(additionalMembers.keys, additionalMembers.values) {
            output.append(UInt8(ascii: ","))
            JSONWriter.writeString(key, into: &output)
            output.append(UInt8(ascii: ":"))
            value.encode(into: &output)
        }
        output.append(UInt8(ascii: "}"))
    }

    /// The canonical wire form as a JSON value, for callers that compose it into larger documents.
    public var jsonValue: JSONValue {
        .object([
            "event_id": .string(BloodbankUUID.format(eventID)),
            "event_type": .string(eventType),
            "timestamp": .string(timestamp.description),
            "version": .string(version),
            "source": source.jsonValue,
            "correlation_ids": .array(correlationIDs.map { .string(BloodbankUUID.format($0)) }),
            "agent_context": agentContext?.jsonValue ?? .null,
            "payload": .object(payload),
        ])
    }
}
