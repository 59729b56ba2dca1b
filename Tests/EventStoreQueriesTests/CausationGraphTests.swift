import BloodbankModel
import EventStore
import Foundation
import Testing

@testable import EventStoreQueries

@Suite struct CausationGraphTests {
    func stored(_ position: Int64, _ id: UUID, parents: [UUID] = [], second: Int64? = nil) -> StoredEvent {
        let envelope = try! EventEnvelope(
            eventType: "demo.thing.happened", payload: ["n": .number(JSONNumber(position))], correlationIDs: parents,
            eventID: id, timestamp: EventTimestamp(microsecondsSinceEpoch: (second ?? position) * 1_000_000))
        return StoredEvent(position: position, envelope: envelope, workflowID: nil)
    }

    @Test func diamondKeepsShortestWalkAndAllEdges() throws {
        // root → a, root → b, a → c, b → c, c → d
        let (root, a, b, c, d) = (UUID(), UUID(), UUID(), UUID(), UUID())
        let events = [
            root: stored(1, root), a: stored(2, a, parents: [root]), b: stored(3, b, parents: [root]),
            c: stored(4, c, parents: [a, b]), d: stored(5, d, parents: [c]),
        ]
        let rows: [CausationGraph.WalkRow] = [
            .init(eventID: b, via: root, depth: 1, path: [root, b]),
            .init(eventID: a, via: root, depth: 1, path: [root, a]),
            .init(eventID: c, via: b, depth: 2, path: [root, b, c]),
            .init(eventID: c, via: a, depth: 2, path: [root, a, c]),
            .init(eventID: d, via: c, depth: 3, path: [root, a, c, d]),
            .init(eventID: d, via: c, depth: 3, path: [root, b, c, d]),
        ]
        let graph = CausationGraph(
            root: events[root]!, direction: .descendants, rows: rows, events: events, nodeLimit: 100, truncated: false)
        #expect(graph.nodes.map(\.event.envelope.eventID) == [a, b, c, d])
        #expect(graph.nodes.map(\.depth) == [1, 1, 2, 3])
        #expect(graph.nodes[2].via == a)  // the parent with the lower position wins a tie
        #expect(
            Set(graph.edges) == [
                .init(from: root, to: a), .init(from: root, to: b), .init(from: a, to: c), .init(from: b, to: c),
                .init(from: c, to: d),
            ])
        // Tree: c appears once, under a.
        let tree = try #require(graph.treeJSON.objectValue)
        let children = try #require(tree["children"]?.arrayValue)
        #expect(children.count == 2)
        #expect(children[0].objectValue?["children"]?.arrayValue?.count == 1)
        #expect(children[1].objectValue?["children"]?.arrayValue?.isEmpty == true)
        #expect(tree["truncated"] == .bool(false))
        let flat = try #require(graph.flatJSON.objectValue)
        #expect(flat["total_descendants"] == .number(JSONNumber(4)))
        let graphJSON = try #require(graph.graphJSON.objectValue)
        #expect(graphJSON["nodes"]?.arrayValue?.count == 5)
        #expect(graphJSON["edges"]?.arrayValue?.count == 5)
    }

    @Test func danglingIdsAreDroppedAndCapTruncates() {
        let root = UUID()
        var events = [root: stored(1, root)]
        var rows: [CausationGraph.WalkRow] = [.init(eventID: UUID(), via: root, depth: 1, path: [])]
        for index in 0..<10 {
            let id = UUID()
            events[id] = stored(Int64(index + 2), id, parents: [root])
            rows.append(.init(eventID: id, via: root, depth: 1, path: [root, id]))
        }
        let graph = CausationGraph(
            root: events[root]!, direction: .descendants, rows: rows, events: events, nodeLimit: 4, truncated: false)
        #expect(graph.nodes.count == 4)
        #expect(graph.truncated)
        #expect(graph.nodes.map(\.event.position) == [2, 3, 4, 5])  // chronological within the depth
        #expect(graph.edges.count == 4)
    }

    @Test func ancestorsUseParentsKeyAndCauseToEffectEdges() throws {
        let (child, parent) = (UUID(), UUID())
        let events = [child: stored(2, child, parents: [parent]), parent: stored(1, parent)]
        let graph = CausationGraph(
            root: events[child]!, direction: .ancestors,
            rows: [.init(eventID: parent, via: child, depth: 1, path: [child, parent])], events: events,
            nodeLimit: 10, truncated: false)
        #expect(graph.edges == [.init(from: parent, to: child)])
        #expect(graph.treeJSON.objectValue?["parents"]?.arrayValue?.count == 1)
        #expect(graph.flatJSON.objectValue?["total_ancestors"] == .number(JSONNumber(1)))
    }

    @Test func storedEventJSONAppendsPositionAfterPayload() throws {
        let id = UUID()
        let event = stored(7, id)
        let text = String(decoding: event.jsonBytes(), as: UTF8.self)
        #expect(text.hasSuffix(#""payload":{"n":7},"position":7}"#))
        #expect(text.hasPrefix(#"{"event_id":""# + BloodbankUUID.format(id)))
        #expect(event.jsonValue.encodedBytes() == event.jsonBytes())
    }
}
