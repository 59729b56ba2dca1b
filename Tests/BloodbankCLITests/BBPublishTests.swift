import ArgumentParser
import BloodbankModel
import Foundation
import Testing

@testable import BloodbankCLI

/// `bb publish` builds and validates the envelope before any connection: bad input is one message naming what to
/// fix.
@Suite struct BBPublishTests {
    static let settings = ClientSettings(
        rabbitMQURL: "amqp://u:p@127.0.0.1:1/%2F", exchange: "bloodbank.events.v1", apiBaseURL: "http://127.0.0.1:1",
        apiToken: nil, sourceHost: "host-a", sourceType: "manual", sourceApp: "bb")

    func publish(_ arguments: [String]) throws -> BBPublish {
        try BBPublish.parse(arguments)
    }

    @Test func aValidHandoffBecomesAnEnvelopeWithItsParentsAndSource() throws {
        let workflow = UUID()
        let parent = UUID()
        let command = try publish([
            "bmad.workflow.handoff.requested",
            "--payload",
            #"{"workflow_id":"\#(workflow.uuidString)","from_agent":"bmad-architect","to_agent":"letta-python-dev","task":"t"}"#,
            "--parent", parent.uuidString, "--source-app", "skill",
        ])
        let envelope = try command.makeEnvelope(settings: Self.settings)
        #expect(envelope.eventType == "bmad.workflow.handoff.requested")
        #expect(envelope.correlationIDs == [parent])
        #expect(envelope.source.app == "skill")
        #expect(envelope.source.host == "host-a")
        #expect(envelope.source.type == "manual")
    }

    @Test func badInputNamesWhatToFix() throws {
        let cases: [([String], String)] = [
            (["Not.A.Type", "--payload", "{}"], "is not of the form domain.entity.action"),
            (["a.b.c", "--payload", "[1]"], "--payload must be a JSON object"),
            (["a.b.c", "--payload", "{nope"], "--payload is not valid JSON"),
            (["a.b.c", "--payload", "{}", "--parent", "x"], "--parent 'x' is not a UUID"),
            (["bmad.workflow.started", "--payload", "{}"], "invalid bmad.workflow.started event"),
            (["a.b.c", "--payload", "@/nonexistent/payload.json"], "cannot read payload file"),
        ]
        for (arguments, message) in cases {
            let error = #expect(throws: CommandFailure.self) {
                try publish(arguments).makeEnvelope(settings: Self.settings)
            }
            #expect(error?.description.contains(message) == true, "\(arguments): \(error?.description ?? "no error")")
        }
    }
}

@Suite struct HandoffDemoRenderingTests {
    @Test func theTreeIsDrawnWithEachChildUnderItsParent() throws {
        let tree: JSONValue = [
            "event": ["event_type": "bmad.workflow.started", "event_id": "1", "payload": ["project_name": "demo"]],
            "children": [
                ["event": ["event_type": "a.b.c", "event_id": "2"], "children": []],
                [
                    "event": [
                        "event_type": "bmad.workflow.phase.completed", "event_id": "3",
                        "payload": ["phase": "analysis"],
                    ],
                    "children": [["event": ["event_type": "x.y.z", "event_id": "4"], "children": []]],
                ],
            ],
        ]
        let lines = HandoffDemo.render(tree)
        #expect(lines.count == 4)
        #expect(lines[0].hasPrefix("bmad.workflow.started  1  ") && lines[0].hasSuffix("— project demo"))
        #expect(lines[1].hasPrefix("├─ a.b.c  2  "))
        #expect(
            lines[2].hasPrefix("└─ bmad.workflow.phase.completed  3  ") && lines[2].hasSuffix("— phase analysis done"))
        #expect(lines[3].hasPrefix("   └─ x.y.z  4  "))
    }
}
