import CandystoreTestSupport
import Foundation
import Testing

@testable import BloodbankModel

@Suite struct JSONSchemaTests {
    let schemas = EventCatalogue.jsonSchemas()

    @Test func oneFilePerCatalogueEntryPlusTheEnvelope() {
        #expect(
            schemas.map(\.fileName)
                == ["envelope.schema.json"] + EventCatalogue.standard.eventTypes.map { "\($0).schema.json" }
        )
        for (_, schema) in schemas {
            #expect(schema["$schema"] == "https://json-schema.org/draft/2020-12/schema")
            #expect(schema["required"] == ["event_id", "event_type", "timestamp", "payload"])
            #expect(schema["type"] == "object")
        }
    }

    @Test func exportIsDeterministic() {
        let first = EventCatalogue.jsonSchemas().map { $0.schema.encodedBytes() }
        let second = EventCatalogue.jsonSchemas().map { $0.schema.encodedBytes() }
        #expect(first == second)
    }

    @Test func payloadSchemasMirrorTheDescriptors() throws {
        for (fileName, schema) in schemas.dropFirst() {
            let eventType = String(fileName.dropLast(".schema.json".count))
            let entry = try #require(EventCatalogue.standard[eventType])
            #expect(schema["properties"]?["event_type"] == ["const": .string(eventType)])
            let payload = try #require(schema["properties"]?["payload"])
            try checkObjectSchema(payload, fields: entry.fields, path: eventType)
        }
    }

    private func checkObjectSchema(_ schema: JSONValue, fields: [PayloadField], path: String) throws {
        #expect(schema["type"] == "object", "\(path)")
        let required = fields.filter(\.isRequired).map { JSONValue.string($0.name) }
        #expect((schema["required"] ?? []) == .array(required), "\(path)")
        let properties = try #require(schema["properties"]?.objectValue)
        #expect(properties.keys == fields.map(\.name), "\(path)")
        for field in fields {
            let property = try #require(properties[field.name])
            #expect(property["description"] == .string(field.summary))
            #expect(property["default"] == field.defaultValue)
            var typeSchema = property
            if field.isRequired {
                var stripped = try #require(property.objectValue)
                stripped["description"] = nil
                stripped["default"] = nil
                typeSchema = .object(stripped)
            } else {
                // Optional fields accept null: anyOf [kind, null].
                let alternatives = try #require(property["anyOf"]?.arrayValue)
                #expect(alternatives.count == 2)
                #expect(alternatives.last == ["type": "null"])
                typeSchema = try #require(alternatives.first)
            }
            try checkKind(typeSchema, kind: field.kind, path: "\(path).\(field.name)")
        }
    }

    private func checkKind(_ schema: JSONValue, kind: PayloadFieldKind, path: String) throws {
        switch kind {
        case .string:
            #expect(schema == ["type": "string"], "\(path)")
        case .name:
            #expect(schema["type"] == "string", "\(path)")
            #expect(schema["minLength"] == 1, "\(path)")
            #expect(schema["pattern"] == .string(PayloadFieldKind.namePattern), "\(path)")
        case .uuid:
            #expect(schema["type"] == "string", "\(path)")
            #expect(schema["pattern"] == .string(BloodbankUUID.schemaPattern), "\(path)")
        case .timestamp:
            #expect(schema["pattern"] == .string(EventTimestamp.schemaPattern), "\(path)")
        case .enumeration(let values):
            #expect(schema["enum"] == .array(values.map(JSONValue.string)), "\(path)")
        case .integer:
            #expect(schema["type"] == "integer", "\(path)")
            #expect(schema["maximum"] == .number(JSONNumber(Int64.max)), "\(path)")
        case .number:
            #expect(schema == ["type": "number"], "\(path)")
        case .boolean:
            #expect(schema == ["type": "boolean"], "\(path)")
        case .object(let fields):
            if let fields {
                try checkObjectSchema(schema, fields: fields, path: path)
            } else {
                #expect(schema == ["type": "object"], "\(path)")
            }
        case .array(let items):
            #expect(schema["type"] == "array", "\(path)")
            if let items {
                try checkKind(try #require(schema["items"]), kind: items, path: "\(path)[]")
            }
        case .anyOf(let kinds):
            let alternatives = try #require(schema["anyOf"]?.arrayValue)
            #expect(alternatives.count == kinds.count, "\(path)")
            for (alternative, kind) in zip(alternatives, kinds) {
                try checkKind(alternative, kind: kind, path: path)
            }
        case .any:
            #expect(schema == [:], "\(path)")
        }
    }

    @Test func enumerationsComeFromTheSwiftEnums() throws {
        let started = try #require(EventCatalogue.standard["bmad.workflow.started"])
        guard case .enumeration(let phases) = started.fields.first(where: { $0.name == "current_phase" })?.kind else {
            Issue.record("current_phase is not an enumeration")
            return
        }
        #expect(phases == WorkflowPhase.allCases.map(\.rawValue))
        #expect(started.fields.first { $0.name == "current_phase" }?.defaultValue == "analysis")
    }

    /// Cross-checks validator verdicts against Python `jsonschema` on the exported schemas, with the project's
    /// `.venv` when present. Informational: it only checks where that Python can import jsonschema.
    @Test func pythonJSONSchemaAgreesWithTheValidator() async throws {
        let python = Self.python
        let probe = try await runToCompletion(python, ["-c", "import jsonschema"])
        // Informational where no Python has jsonschema (the .venv of scripts/dev up does not install it today).
        guard probe.status == 0 else { return }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("bbschema-\(UUID())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        for (fileName, schema) in schemas {
            try Data(schema.encodedBytes()).write(to: directory.appendingPathComponent(fileName))
        }

        let validator = EventValidator()
        var cases: [JSONValue] = []
        var expected: [Bool] = []
        for document in try Self.crossCheckCorpus() {
            let parsed = try JSONValue(parsing: document)
            let eventType = parsed["event_type"]?.stringValue ?? ""
            let file = EventCatalogue.standard[eventType] == nil ? "envelope.schema.json" : "\(eventType).schema.json"
            cases.append(["schema": .string(file), "document": .string(document)])
            expected.append((try? validator.validate(bytes: Array(document.utf8))) != nil)
        }
        let input = directory.appendingPathComponent("cases.json")
        try Data(JSONValue.array(cases).encodedBytes()).write(to: input)

        let script = """
            import json, sys, pathlib, jsonschema
            d = pathlib.Path(sys.argv[1])
            out = []
            for c in json.loads((d / "cases.json").read_text()):
                schema = json.loads((d / c["schema"]).read_text())
                jsonschema.Draft202012Validator.check_schema(schema)
                v = jsonschema.Draft202012Validator(schema)
                out.append(v.is_valid(json.loads(c["document"])))
            print(json.dumps(out))
            """
        let run = try await runToCompletion(python, ["-c", script, directory.path])
        #expect(run.status == 0)
        let output = run.output
        let verdicts = try JSONSerialization.jsonObject(with: output) as? [Bool]
        #expect(verdicts?.count == expected.count)
        for (index, verdict) in (verdicts ?? []).enumerated() where verdict != expected[index] {
            Issue.record("python says \(verdict), validator says \(expected[index]) for \(cases[index])")
        }
    }

    /// The project's Python (`.venv/bin/python3`, made by `scripts/dev up`), else `python3` on the `PATH`.
    static var python: String {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        let venv = root.appendingPathComponent(".venv/bin/python3").path
        return FileManager.default.isExecutableFile(atPath: venv) ? venv : "/usr/bin/python3"
    }

    /// Wire examples plus valid and invalid variants of every catalogued payload.
    static func crossCheckCorpus() throws -> [String] {
        let workflow = "7c1e4f0a-2b3d-4e5f-8a9b-0c1d2e3f4a5b"
        let payloads: [(String, String)] = [
            ("bmad.workflow.started", #"{"workflow_id":"\#(workflow)","project_name":"p"}"#),
            (
                "bmad.workflow.started",
                #"{"workflow_id":"\#(workflow)","project_name":"p","current_phase":null,"metadata":{}}"#
            ),
            ("bmad.workflow.started", #"{"workflow_id":"\#(workflow)","project_name":"p","current_phase":"done"}"#),
            ("bmad.workflow.started", #"{"workflow_id":"nope","project_name":"p"}"#),
            ("bmad.workflow.started", #"{"workflow_id":"\#(workflow.uppercased())","project_name":"p"}"#),
            ("bmad.workflow.started", #"{"project_name":"p"}"#),
            ("bmad.workflow.started", #"{"workflow_id":"\#(workflow)","project_name":null}"#),
            (
                "bmad.workflow.phase.completed",
                #"{"workflow_id":"\#(workflow)","phase":"planning","artifacts":[1,"a",{}]}"#
            ),
            ("bmad.workflow.phase.completed", #"{"workflow_id":"\#(workflow)","phase":"planning","next_phase":"x"}"#),
            (
                "bmad.workflow.handoff.requested",
                #"{"workflow_id":"\#(workflow)","from_agent":"a","to_agent":"b","task_type":"t","task_description":"d","priority":3}"#
            ),
            (
                "bmad.workflow.handoff.requested",
                #"{"workflow_id":"\#(workflow)","from_agent":"a","to_agent":"b","priority":3.5}"#
            ),
            (
                "bmad.workflow.handoff.requested",
                #"{"workflow_id":"\#(workflow)","from_agent":"a","to_agent":"b","deadline":"2026-01-11 10:00"}"#
            ),
            (
                "bmad.workflow.handoff.requested",
                #"{"workflow_id":"\#(workflow)","from_agent":"a","to_agent":"b","deadline":"soon"}"#
            ),
            (
                "bmad.workflow.handoff.requested",
                #"{"workflow_id":"\#(workflow)","from_agent":"a","to_agent":"b","context":[]}"#
            ),
            ("bmad.workflow.completed", #"{"workflow_id":"\#(workflow)","status":"cancelled"}"#),
            ("bmad.workflow.completed", #"{"workflow_id":"\#(workflow)","status":"CANCELLED"}"#),
            (
                "agent.handoff.accepted",
                #"{"workflow_id":"\#(workflow)","agent_type":"letta","session_id":"agent-1","accepted_from":"a"}"#
            ),
            (
                "agent.handoff.accepted",
                #"{"workflow_id":"\#(workflow)","agent_type":"letta","session_id":5,"accepted_from":"a"}"#
            ),
            (
                "agent.letta.checkpoint.saved",
                #"{"session_id":"s","checkpoint_id":"c","checkpoint_type":"milestone","metrics":{"tokens_used":3.0,"duration_seconds":1e400}}"#
            ),
            ("agent.letta.checkpoint.saved", #"{"session_id":"s","checkpoint_id":"c","metrics":{"tokens_used":3.5}}"#),
            (
                "agent.letta.checkpoint.saved",
                #"{"session_id":"s","checkpoint_id":"c","metrics":{"tokens_used":9223372036854775808}}"#
            ),
            (
                "agent.letta.checkpoint.saved",
                #"{"session_id":"s","checkpoint_id":"c","metrics":{"tokens_used":-9223372036854775808}}"#
            ),
            (
                "agent.letta.task.completed",
                #"{"session_id":"s","workflow_id":"\#(workflow)","artifacts":[{"type":"file","path":"a","status":null}],"validation":{"tests_passed":true,"coverage_pct":90}}"#
            ),
            (
                "agent.letta.task.completed",
                #"{"session_id":"s","workflow_id":"\#(workflow)","artifacts":[{"path":1}]}"#
            ),
            (
                "agent.letta.task.completed",
                #"{"session_id":"s","workflow_id":"\#(workflow)","validation":{"lint_passed":"y"}}"#
            ),
            (
                "agent.letta.task.blocked",
                #"{"session_id":"s","workflow_id":"\#(workflow)","reason":"r","needs":["a"],"retryable":false}"#
            ),
            ("agent.letta.task.blocked", #"{"session_id":"s","workflow_id":"\#(workflow)","reason":"r","needs":"a"}"#),
            ("agent.letta.task.blocked", #"{"session_id":"s","workflow_id":"\#(workflow)","reason":"r","needs":[1]}"#),
            ("some.unknown.type", #"{"anything":1}"#),
        ]
        var documents = try Fixtures.wireExampleLines()
        documents += payloads.map { envelopeLine(eventType: $0.0, payload: $0.1) }
        documents.append(
            #"{"event_id":"3f2504e0-4f89-41d3-9a0c-0305e82c3301","event_type":"x.y","timestamp":"2026-01-11T14:30:00+05:30","source":"http/127.0.0.1","payload":{}}"#
        )
        documents.append(#"{"event_id":"nope","event_type":"x.y","timestamp":"2026-01-11T14:30:00Z","payload":{}}"#)
        documents.append(
            #"{"event_id":"3f2504e0-4f89-41d3-9a0c-0305e82c3301","event_type":"X","timestamp":"2026-01-11","payload":{}}"#
        )
        documents.append(
            #"{"event_id":"3f2504e0-4f89-41d3-9a0c-0305e82c3301","event_type":"x.y","timestamp":"2026-01-11"}"#)
        return documents
    }
}
