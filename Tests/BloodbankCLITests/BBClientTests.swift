import ArgumentParser
import BloodbankModel
import Foundation
import Testing

@testable import BloodbankCLI

/// The pieces of bb's terminal commands that need no server: patterns, suggestions, frame parsing, the DAG drawing.
@Suite struct BBClientTests {
    @Test func typePatternsMatchAsDocumented() {
        // `*` any run of characters (dots included), `#` zero or more whole words.
        #expect(TypePattern.matches("bmad.workflow.*", "bmad.workflow.phase.completed"))
        #expect(TypePattern.matches("bmad.#", "bmad"))
        #expect(TypePattern.matches("bmad.#", "bmad.workflow.started"))
        #expect(!TypePattern.matches("bmad.#", "bmadx.workflow"))
        #expect(TypePattern.matches("#.completed", "agent.letta.task.completed"))
        #expect(TypePattern.matches("#.completed", "completed"))
        #expect(!TypePattern.matches("#.completed", "agent.letta.task.uncompleted"))
        #expect(TypePattern.matches("a.#.z", "a.z"))
        #expect(TypePattern.matches("a.#.z", "a.b.c.z"))
        #expect(TypePattern.matches("#", "anything.at.all"))
        #expect(!TypePattern.matches("bmad.wo#rk", "bmad.work"), "a # inside a word is literal")
        #expect(TypePattern.problem("Bad!") != nil)
        #expect(TypePattern.problem("agent.letta.task.*") == nil)
    }

    @Test func theNearestCatalogueTypeIsSuggested() {
        let types = EventCatalogue.phase1.eventTypes
        #expect(
            CatalogueSuggestion.nearest(to: "bmad.workflow.handoff.request", in: types)
                == "bmad.workflow.handoff.requested")
        #expect(CatalogueSuggestion.nearest(to: "agent.leta.task.complete", in: types) == "agent.letta.task.completed")
        #expect(CatalogueSuggestion.nearest(to: "totally.different.thing", in: types) == nil)
        #expect(CatalogueSuggestion.distance("kitten", "sitting") == 3)
    }

    @Test func publishWarnsOrRefusesOutsideTheCatalogue() throws {
        let loose = try BBPublish.parse(["bmad.workflow.handoff.request", "--payload", "{}"])
        let warning = try #require(try loose.catalogueCheck())
        #expect(warning.contains("did you mean bmad.workflow.handoff.requested?"))
        let strict = try BBPublish.parse(["bmad.workflow.handoff.request", "--payload", "{}", "--strict"])
        #expect(throws: CommandFailure.self) { try strict.catalogueCheck() }
        let known = try BBPublish.parse(["bmad.workflow.started", "--payload", "{}", "--strict"])
        #expect(try known.catalogueCheck() == nil)
    }

    @Test func eventFramesKeepTheirBytes() throws {
        let data = #"{"event_id":"x","payload":{"b":1,"a":"é"},"position":42}"#
        let frame = #"{"type":"event","position":42,"data":"# + data + "}"
        let event = try #require(StreamedEvent(frame: frame))
        #expect(event.position == 42)
        #expect(Array(event.data) == Array(data.utf8))
        #expect(StreamedEvent(frame: #"{"type":"heartbeat","timestamp":"t"}"#) == nil)
        let stored = try #require(StreamedEvent(stored: ArraySlice(data.utf8)))
        #expect(stored.frame == frame)
    }

    @Test func jsonArraysSplitIntoExactElements() throws {
        let text = #"[{"a":"x,]}"},  {"b":[1,2]} ,"s\"]",3]"#
        let parts = try #require(JSONArraySplitter.elements(Array(text.utf8)))
        #expect(
            parts.map { String(decoding: $0, as: UTF8.self) } == [#"{"a":"x,]}"}"#, #"{"b":[1,2]}"#, #""s\"]""#, "3"])
        #expect(JSONArraySplitter.elements(Array("[]".utf8))?.isEmpty == true)
        #expect(JSONArraySplitter.elements(Array("{}".utf8)) == nil)
    }

    @Test func durationsAndTheResumeCommand() {
        #expect(DurationText.seconds("15m") == 900)
        #expect(DurationText.seconds("2h") == 7200)
        #expect(DurationText.seconds("90") == 90)
        #expect(DurationText.seconds("soon") == nil)
        #expect(EventText.duration(microseconds: 850_000) == "850ms")
        #expect(EventText.duration(microseconds: 2_400_000) == "2.4s")
        #expect(EventText.duration(microseconds: 185_000_000) == "3m05s")
        let resume = BBTail.resumeCommand(
            arguments: ["/x/bb", "tail", "bmad.#", "--since", "15m", "-o", "json", "--no-follow"], after: 1234)
        #expect(resume == "bb tail 'bmad.#' -o json --after 1234")
        #expect(
            BBTail.resumeCommand(arguments: ["bb", "tail", "--after=5", "a b"], after: 9) == "bb tail 'a b' --after 9")
    }

    /// A graph answer in the API's shape: nodes (root first) and cause → effect edges.
    static func graph(root: String, _ edges: [(String, String)]) -> JSONValue {
        var names: [String] = [root]
        for (from, to) in edges {
            for name in [from, to] where !names.contains(name) { names.append(name) }
        }
        let nodes: [JSONValue] = names.enumerated().map { index, name in
            .object([
                "id": .string(name),
                "event": .object([
                    "event_id": .string(name), "event_type": .string("t.\(name)"),
                    "timestamp": .string("2026-01-11T14:30:0\(index).000000Z"),
                    "position": .number(JSONNumber(index + 1)),
                ]),
            ])
        }
        return .object([
            "root_event_id": .string(root), "nodes": .array(nodes),
            "edges": .array(edges.map { .object(["from": .string($0.0), "to": .string($0.1)]) }),
            "truncated": false,
        ])
    }

    @Test func aDiamondIsDrawnWithEachNodeOnce() {
        var dag = CausationDAG()
        dag.merge(graph: Self.graph(root: "a", [("a", "b"), ("a", "c"), ("b", "d"), ("c", "d")]))
        let lines = dag.treeLines(style: Style(enabled: false), maxNodes: nil, depthLimit: nil)
        #expect(
            lines == [
                "• t.a  -  a  #1",
                "├─ • t.b  -  +1.0s  b  #2",
                "│  └─ • t.d  -  +2.0s  d  #4",
                "│        ↳ also caused by t.c c #3",
                "└─ • t.c  -  +2.0s  c  #3",
            ])
        let dot = dag.dot()
        #expect(dot.components(separatedBy: "->").count - 1 == 4)
        #expect(dag.mermaid().components(separatedBy: "-->").count - 1 == 4)
        var cut = dag
        cut.truncated = true
        let truncated = cut.treeLines(style: Style(enabled: false), maxNodes: 2, depthLimit: 1)
        #expect(truncated.contains("… 2 more events not shown (--max-nodes 2)"))
        #expect(truncated.last?.contains("the walk was cut by the API (--depth 1") == true)
    }

    @Test func theStatusFollowsTheOutcomes() {
        var dag = CausationDAG()
        dag.roots = ["h"]
        dag.events["h"] = ["event_id": "h", "event_type": .string(HandoffRequestedPayload.eventType), "position": 1]
        #expect(dag.status == .open)
        #expect(dag.badgeKind("h") == .pending)
        _ = dag.addLive([
            "event_id": "acc", "event_type": .string(HandoffAcceptedPayload.eventType), "correlation_ids": ["h"],
            "position": 2,
        ])
        #expect(dag.badgeKind("h") == .accepted)
        _ = dag.addLive([
            "event_id": "out", "event_type": .string(TaskCompletedPayload.eventType), "correlation_ids": ["acc"],
            "position": 3,
        ])
        #expect(dag.badgeKind("h") == .completed)
        #expect(dag.status == .completed)
        let unrelated = dag.addLive(["event_id": "other", "event_type": "x.y.z", "correlation_ids": ["nope"]])
        #expect(!unrelated)
    }

    @Test func apiFailuresNameWhatToFix() {
        let client = APIClient(baseURL: "http://127.0.0.1:8088", token: "wrong")
        let unauthorized = client.failure(.init(status: 401, body: []), path: "/api/v1/events")
        #expect(unauthorized.description.contains("set API_TOKEN"))
        let bad = client.failure(
            .init(
                status: 400, body: Array(#"{"error":{"code":"invalid_parameter","message":"event_type: bad"}}"#.utf8)),
            path: "/api/v1/events")
        #expect(bad.description == "the Event Store API rejected the request: event_type: bad")
        #expect(client.streamURL == "ws://127.0.0.1:8088/api/v1/events/stream")
    }
}
