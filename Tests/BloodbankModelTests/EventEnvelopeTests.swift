import Foundation
import Testing

@testable import BloodbankModel

@Suite struct EventEnvelopeTests {
    @Test func goldenWireExamplesWithZuluTimestampsRoundTripByteForByte() throws {
        let lines = try Fixtures.wireExampleLines()
        #expect(lines.count == 3)
        for index in [0, 2] {
            let envelope = try EventEnvelope(decoding: lines[index].bytes)
            #expect(envelope.encodedString() == lines[index])
            #expect(envelope.encodedBytes() == lines[index].bytes)
        }
    }

    @Test func allWireExamplesDecodeAndReencodeCanonically() throws {
        let lines = try Fixtures.wireExampleLines()
        let second = try EventEnvelope(decoding: lines[1].bytes)
        let expected = lines[1].replacingOccurrences(
            of: #""timestamp":"2026-01-11T14:30:02+00:00""#,
            with: #""timestamp":"2026-01-11T14:30:02.000000Z""#
        )
        #expect(second.encodedString() == expected)
        for line in lines {
            let envelope = try EventEnvelope(decoding: line.bytes)
            let canonical = envelope.encodedBytes()
            #expect(try EventEnvelope(decoding: canonical).encodedBytes() == canonical)
            #expect(try JSONValue(parsing: canonical) == envelope.jsonValue)
        }
    }

    @Test func decodesTheFirstWireExampleIntoTypedFields() throws {
        let envelope = try EventEnvelope(decoding: try Fixtures.wireExampleLines()[0].bytes)
        #expect(envelope.eventID == UUID(uuidString: "3F2504E0-4F89-41D3-9A0C-0305E82C3301"))
        #expect(envelope.eventType == "bmad.workflow.handoff.requested")
        #expect(envelope.timestamp.description == "2026-01-11T14:30:00.123456Z")
        #expect(envelope.version == "1.0.0")
        #expect(envelope.source == EventSource(host: "workstation", type: "agent", app: "bmad", meta: nil))
        #expect(envelope.rawSource == ["host": "workstation", "type": "agent", "app": "bmad", "meta": nil])
        #expect(envelope.correlationIDs == [UUID(uuidString: "0b6e2c1a-5d4f-4a3b-9c8d-7e6f5a4b3c2d")!])
        #expect(envelope.agentContext == nil)
        #expect(envelope.payload["task"] == "Implement feature based on analysis")
    }

    @Test func decodesAgentContext() throws {
        let envelope = try EventEnvelope(decoding: try Fixtures.wireExampleLines()[1].bytes)
        let context = try #require(envelope.agentContext)
        #expect(context.type == "letta")
        #expect(context.name == "letta-python-dev")
        #expect(context.systemPrompt == nil)
        #expect(context.instanceID == "agent-1234")
        #expect(context.mcpServers == [])
        #expect(context.codeState == nil)
        #expect(context.meta == JSONObject())
        #expect(context.additionalFields.isEmpty)
    }

    @Test func agentContextKeepsUnknownFieldsAndNormalisesKeyOrder() throws {
        let line = envelopeLine(eventType: "x.y", payload: "{}").replacingOccurrences(
            of: #""agent_context":null"#,
            with:
                #""agent_context":{"meta":null,"extra":{"k":[1]},"type":"claude-code","code_state":{"branch":"main"},"mcp_servers":null}"#
        )
        let envelope = try EventEnvelope(decoding: line.bytes)
        let context = try #require(envelope.agentContext)
        #expect(context.type == "claude-code")
        #expect(context.mcpServers == nil)
        #expect(context.fileReferences == [])
        #expect(context.codeState == ["branch": "main"])
        #expect(context.additionalFields == ["extra": ["k": [1]]])
        #expect(
            context.jsonValue.encodedString()
                == #"{"type":"claude-code","name":null,"system_prompt":null,"instance_id":null,"mcp_servers":null,"#
                + #""file_references":[],"url_references":[],"code_state":{"branch":"main"},"checkpoint_id":null,"#
                + #""meta":null,"extra":{"k":[1]}}"#
        )
        let untyped = try EventEnvelope(
            decoding: line.replacingOccurrences(of: #""type":"claude-code","#, with: "").bytes
        )
        #expect(untyped.agentContext?.type == "unknown")
    }

    @Test(arguments: [
        (#""tonny""#, EventSource(host: "tonny", type: "unknown", app: nil, meta: ["raw": "tonny"])),
        (
            #""http/127.0.0.1""#,
            EventSource(host: "127.0.0.1", type: "http", app: nil, meta: ["raw": "http/127.0.0.1"])
        ),
        (#""a/b/c""#, EventSource(host: "b/c", type: "a", app: nil, meta: ["raw": "a/b/c"])),
        (#""""#, EventSource(host: "", type: "unknown", app: nil, meta: ["raw": ""])),
        ("null", EventSource(host: "unknown", type: "unknown", app: nil, meta: nil)),
        ("42", EventSource(host: "unknown", type: "unknown", app: nil, meta: ["raw": 42])),
        ("{}", EventSource(host: "unknown", type: "unknown", app: nil, meta: nil)),
        (
            #"{"host":1,"type":["x"],"app":true,"meta":"m","other":1}"#,
            EventSource(host: "1", type: #"["x"]"#, app: "true", meta: ["raw": "m"])
        ),
        (
            #"{"type":"hook","host":"h","meta":{"a":1}}"#,
            EventSource(host: "h", type: "hook", app: nil, meta: ["a": 1])
        ),
    ])
    func normalisesAnySource(sourceJSON: String, expected: EventSource) throws {
        let line = envelopeLine(eventType: "x.y", payload: "{}").replacingOccurrences(
            of: #""source":{"host":"h","type":"agent","app":null,"meta":null}"#,
            with: #""source":\#(sourceJSON)"#
        )
        let envelope = try EventEnvelope(decoding: line.bytes)
        #expect(envelope.source == expected)
        #expect(envelope.rawSource == (try JSONValue(parsing: sourceJSON)))
        let reencoded = try EventEnvelope(decoding: envelope.encodedBytes())
        #expect(reencoded.source == expected)
    }

    @Test func missingSourceIsNormalisedNotRejected() throws {
        let line =
            #"{"event_id":"3f2504e0-4f89-41d3-9a0c-0305e82c3301","event_type":"a.b","timestamp":"2026-01-11","payload":{}}"#
        let envelope = try EventEnvelope(decoding: line.bytes)
        #expect(envelope.rawSource == .null)
        #expect(envelope.source == EventSource(host: "unknown", type: "unknown"))
        #expect(envelope.version == "1.0.0")
        #expect(envelope.correlationIDs == [])
        #expect(
            envelope.encodedString()
                == #"{"event_id":"3f2504e0-4f89-41d3-9a0c-0305e82c3301","event_type":"a.b","#
                + #""timestamp":"2026-01-11T00:00:00.000000Z","version":"1.0.0","#
                + #""source":{"host":"unknown","type":"unknown","app":null,"meta":null},"#
                + #""correlation_ids":[],"agent_context":null,"payload":{}}"#
        )
    }

    @Test func uppercaseIdsAreAcceptedAndWrittenLowercase() throws {
        let line = envelopeLine(eventType: "x.y", payload: #"{"workflow_id":"ABCDEF00-0000-4000-8000-00000000000A"}"#)
            .replacingOccurrences(
                of: "3f2504e0-4f89-41d3-9a0c-0305e82c3301", with: "3F2504E0-4F89-41D3-9A0C-0305E82C3301"
            )
            .replacingOccurrences(
                of: #""correlation_ids":[]"#,
                with: #""correlation_ids":["0B6E2C1A-5D4F-4A3B-9C8D-7E6F5A4B3C2D"]"#
            )
        let encoded = try EventEnvelope(decoding: line.bytes).encodedString()
        #expect(encoded.contains(#""event_id":"3f2504e0-4f89-41d3-9a0c-0305e82c3301""#))
        #expect(encoded.contains(#""correlation_ids":["0b6e2c1a-5d4f-4a3b-9c8d-7e6f5a4b3c2d"]"#))
        // The payload is kept byte for byte, including the producer's uppercase.
        #expect(encoded.contains(#""payload":{"workflow_id":"ABCDEF00-0000-4000-8000-00000000000A"}"#))
    }

    @Test func unknownTopLevelKeysAreIgnoredAndNullsDefaulted() throws {
        let line =
            #"{"zzz":1,"payload":{"b":1,"a":2},"correlation_ids":null,"version":null,"#
            + #""timestamp":"2026-01-11T14:30:00Z","event_type":"a.b","event_id":"3f2504e0-4f89-41d3-9a0c-0305e82c3301","#
            + #""position":17}"#
        let envelope = try EventEnvelope(decoding: line.bytes)
        #expect(envelope.version == "1.0.0")
        #expect(envelope.correlationIDs.isEmpty)
        #expect(envelope.encodedString().hasSuffix(#""payload":{"b":1,"a":2}}"#))
    }

    @Test func encodesAdditionalMembersAfterThePayload() throws {
        let envelope = try EventEnvelope(decoding: try Fixtures.wireExampleLines()[2].bytes)
        let text = envelope.encodedString(additionalMembers: ["position": 42])
        #expect(text.hasSuffix(#""current_phase":"analysis"},"position":42}"#))
        #expect(try JSONValue(parsing: text)["position"] == 42)
    }

    @Test(arguments: [
        ("[]", "envelope: expected a JSON object, got array"),
        (#"{"event_type":"a.b","timestamp":"2026-01-11","payload":{}}"#, "event_id: required field is missing"),
        (
            #"{"event_id":7,"event_type":"a.b","timestamp":"2026-01-11","payload":{}}"#,
            "event_id: expected a UUID string, got number"
        ),
        (
            #"{"event_id":"not-a-uuid","event_type":"a.b","timestamp":"2026-01-11","payload":{}}"#,
            #"event_id: expected a UUID string, got "not-a-uuid""#
        ),
        (
            #"{"event_id":"{3f2504e0-4f89-41d3-9a0c-0305e82c3301}","event_type":"a.b","timestamp":"2026-01-11","payload":{}}"#,
            #"event_id: expected a UUID string, got "{3f2504e0-4f89-41d3-9a0c-0305e82c3301}""#
        ),
        (
            #"{"event_id":"3f2504e0-4f89-41d3-9a0c-0305e82c3301","timestamp":"2026-01-11","payload":{}}"#,
            "event_type: required field is missing"
        ),
        (
            #"{"event_id":"3f2504e0-4f89-41d3-9a0c-0305e82c3301","event_type":null,"timestamp":"2026-01-11","payload":{}}"#,
            "event_type: expected a string, got null"
        ),
        (
            #"{"event_id":"3f2504e0-4f89-41d3-9a0c-0305e82c3301","event_type":"Bmad.X","timestamp":"2026-01-11","payload":{}}"#,
            #"event_type: "Bmad.X" does not match ^[a-z0-9]+(\.[a-z0-9_-]+)+$ (max 255 bytes)"#
        ),
        (
            #"{"event_id":"3f2504e0-4f89-41d3-9a0c-0305e82c3301","event_type":"a.b","payload":{}}"#,
            "timestamp: required field is missing"
        ),
        (
            #"{"event_id":"3f2504e0-4f89-41d3-9a0c-0305e82c3301","event_type":"a.b","timestamp":1768141800,"payload":{}}"#,
            "timestamp: expected an ISO 8601 string, got number"
        ),
        (
            #"{"event_id":"3f2504e0-4f89-41d3-9a0c-0305e82c3301","event_type":"a.b","timestamp":"2026-02-30","payload":{}}"#,
            #"timestamp: day 30 is out of range for month 2, got "2026-02-30""#
        ),
        (
            #"{"event_id":"3f2504e0-4f89-41d3-9a0c-0305e82c3301","event_type":"a.b","timestamp":"2026-01-11","version":1,"payload":{}}"#,
            "version: expected a string, got number"
        ),
        (
            #"{"event_id":"3f2504e0-4f89-41d3-9a0c-0305e82c3301","event_type":"a.b","timestamp":"2026-01-11","correlation_ids":"x","payload":{}}"#,
            #"correlation_ids: expected an array of UUID strings, got "x""#
        ),
        (
            #"{"event_id":"3f2504e0-4f89-41d3-9a0c-0305e82c3301","event_type":"a.b","timestamp":"2026-01-11","correlation_ids":["3f2504e0-4f89-41d3-9a0c-0305e82c3301",5],"payload":{}}"#,
            "correlation_ids[1]: expected a UUID string, got number"
        ),
        (
            #"{"event_id":"3f2504e0-4f89-41d3-9a0c-0305e82c3301","event_type":"a.b","timestamp":"2026-01-11","agent_context":[],"payload":{}}"#,
            "agent_context: expected an object or null, got array"
        ),
        (
            #"{"event_id":"3f2504e0-4f89-41d3-9a0c-0305e82c3301","event_type":"a.b","timestamp":"2026-01-11","agent_context":{"name":3},"payload":{}}"#,
            "agent_context.name: expected a string or null, got number"
        ),
        (
            #"{"event_id":"3f2504e0-4f89-41d3-9a0c-0305e82c3301","event_type":"a.b","timestamp":"2026-01-11","agent_context":{"mcp_servers":{}},"payload":{}}"#,
            "agent_context.mcp_servers: expected an array or null, got object"
        ),
        (
            #"{"event_id":"3f2504e0-4f89-41d3-9a0c-0305e82c3301","event_type":"a.b","timestamp":"2026-01-11","agent_context":{"meta":[]},"payload":{}}"#,
            "agent_context.meta: expected an object or null, got array"
        ),
        (
            #"{"event_id":"3f2504e0-4f89-41d3-9a0c-0305e82c3301","event_type":"a.b","timestamp":"2026-01-11"}"#,
            "payload: required field is missing"
        ),
        (
            #"{"event_id":"3f2504e0-4f89-41d3-9a0c-0305e82c3301","event_type":"a.b","timestamp":"2026-01-11","payload":null}"#,
            "payload: expected an object, got null"
        ),
    ])
    func rejectsInvalidEnvelopes(line: String, reason: String) {
        expectError(.invalidEnvelope, reason) { () throws(BloodbankModelError) in
            _ = try EventEnvelope(decoding: line.bytes)
        }
    }

    @Test func envelopeErrorsNameTheField() throws {
        let error = #expect(throws: BloodbankModelError.self) {
            _ = try EventEnvelope(decoding: #"{"event_id":1}"#.bytes)
        }
        #expect(error?.fieldPath == "event_id")
        #expect(error?.description == "invalid_envelope: event_id: expected a UUID string, got number")
    }

    @Test(arguments: [
        ("a.b", true), ("bmad.workflow.started", true), ("agent.letta.task-completed", true),
        ("a1.b_c.d-e", true), ("a._", true), ("a", false), ("A.b", false), (".a.b", false), ("a..b", false),
        ("a.b.", false), ("_a.b", false), ("a-b.c", false), ("a.b c", false), ("a.é", false), ("", false),
        (String(repeating: "a", count: 250) + ".bcde", true), (String(repeating: "a", count: 251) + ".bcde", false),
    ])
    func eventTypePattern(eventType: String, valid: Bool) {
        #expect(EventEnvelope.isValidEventType(eventType) == valid)
    }

    @Test func builderStampsIdAndTimeAndValidatesType() throws {
        let before = EventTimestamp.now()
        let envelope = try EventEnvelope(eventType: "demo.thing.happened", payload: ["k": "v"])
        #expect(envelope.timestamp >= before)
        #expect(envelope.eventID.uuidString.lowercased().dropFirst(14).first == "4")
        #expect(envelope.version == "1.0.0")
        #expect(envelope.source.type == "service")
        #expect(envelope.source.app == "candystore")
        #expect(envelope.rawSource == envelope.source.jsonValue)
        let other = try EventEnvelope(eventType: "demo.thing.happened", payload: [:])
        #expect(other.eventID != envelope.eventID)
        expectError(
            .invalidEnvelope,
            #"event_type: "Not Valid" does not match ^[a-z0-9]+(\.[a-z0-9_-]+)+$ (max 255 bytes)"#
        ) {
            () throws(BloodbankModelError) in
            _ = try EventEnvelope(eventType: "Not Valid", payload: [:])
        }
    }

    @Test func builderWithEveryArgument() throws {
        let id = try #require(UUID(uuidString: "9a8b7c6d-5e4f-4321-8fed-cba987654321"))
        let parent = try #require(UUID(uuidString: "0b6e2c1a-5d4f-4a3b-9c8d-7e6f5a4b3c2d"))
        let timestamp = try #require(EventTimestamp(parsing: "2026-01-11T14:30:02Z"))
        let envelope = try EventEnvelope(
            eventType: "agent.handoff.accepted",
            payload: ["session_id": "agent-1234"],
            correlationIDs: [parent],
            agentContext: AgentContext(type: "letta", name: "n", meta: [:]),
            source: EventSource(host: "letta-runtime", type: "agent", app: "letta-runtime", meta: [:]),
            eventID: id,
            timestamp: timestamp
        )
        #expect(
            envelope.encodedString()
                == #"{"event_id":"9a8b7c6d-5e4f-4321-8fed-cba987654321","event_type":"agent.handoff.accepted","#
                + #""timestamp":"2026-01-11T14:30:02.000000Z","version":"1.0.0","#
                + #""source":{"host":"letta-runtime","type":"agent","app":"letta-runtime","meta":{}},"#
                + #""correlation_ids":["0b6e2c1a-5d4f-4a3b-9c8d-7e6f5a4b3c2d"],"#
                + #""agent_context":{"type":"letta","name":"n","system_prompt":null,"instance_id":null,"#
                + #""mcp_servers":[],"file_references":[],"url_references":[],"code_state":null,"#
                + #""checkpoint_id":null,"meta":{}},"payload":{"session_id":"agent-1234"}}"#
        )
    }

    @Test func uuidHelpers() throws {
        let uuid = try #require(BloodbankUUID.parse("3F2504E0-4f89-41D3-9a0c-0305E82C3301"))
        #expect(BloodbankUUID.format(uuid) == "3f2504e0-4f89-41d3-9a0c-0305e82c3301")
        #expect(BloodbankUUID.parse("3f2504e04f8941d39a0c0305e82c3301") == nil)
        #expect(BloodbankUUID.parse("3f2504e0-4f89-41d3-9a0c-0305e82c330g") == nil)
        #expect(BloodbankUUID.parse("3f2504e0_4f89-41d3-9a0c-0305e82c3301") == nil)
        #expect(BloodbankUUID.fromLettaAgentID("agent-3f2504e0-4f89-41d3-9a0c-0305e82c3301") == uuid)
        #expect(BloodbankUUID.fromLettaAgentID("3f2504e0-4f89-41d3-9a0c-0305e82c3301") == uuid)
        #expect(BloodbankUUID.fromLettaAgentID("agent-1234") == nil)
        #expect(BloodbankUUID.fromLettaAgentID("bot-3f2504e0-4f89-41d3-9a0c-0305e82c3301") == nil)
    }
}
