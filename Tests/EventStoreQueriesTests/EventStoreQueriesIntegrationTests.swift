import BloodbankModel
import CandystoreTestSupport
import Foundation
import PostgresNIO
import Testing

@testable import EventStore
@testable import EventStoreQueries

/// Queries against a real PostgreSQL (scratch databases; `DATABASE_URL`, default the local stack).
@Suite(.serialized) struct EventStoreQueriesIntegrationTests {
    typealias DB = TestDatabase

    /// A small, hand-made store: two workflows, a handoff chain, agents, times one hour apart.
    struct Fixture {
        let workflowA = UUID()
        let workflowB = UUID()
        let events: [EventEnvelope]

        init() {
            let started = DB.event(
                "bmad.workflow.started",
                payload: [
                    "workflow_id": .string(workflowA.uuidString.lowercased()),
                    "project_name": "candystore",
                ], at: DB.time(0))
            let handoff = DB.event(
                "bmad.workflow.handoff.requested",
                payload: [
                    "workflow_id": .string(workflowA.uuidString.lowercased()), "from_agent": "bmad-architect",
                    "to_agent": "letta",
                ], parents: [started.eventID],
                agent: AgentContext(type: "bmad-architect", name: "bmad-architect"), at: DB.time(3600))
            let accepted = DB.event(
                "agent.handoff.accepted",
                payload: [
                    "workflow_id": .string(workflowA.uuidString.lowercased()), "agent_type": "letta",
                    "session_id": "agent-0b7a5d4e-1111-4a2b-9c3d-000000000001", "accepted_from": "bmad-architect",
                ],
                parents: [handoff.eventID],
                agent: AgentContext(
                    type: "letta", name: "coder", instanceID: "agent-0b7a5d4e-1111-4a2b-9c3d-000000000001"),
                at: DB.time(7200))
            // Inherits workflow A from its parent (no workflow_id in the payload).
            let checkpoint = DB.event(
                "agent.letta.checkpoint.saved",
                payload: ["session_id": "agent-0b7a5d4e-1111-4a2b-9c3d-000000000001", "checkpoint_id": "cp-1"],
                parents: [accepted.eventID], at: DB.time(10800))
            let other = DB.event(
                "bmad.workflow.started",
                payload: [
                    "workflow_id": .string(workflowB.uuidString.lowercased()),
                    "project_name": "holocene",
                ], at: DB.time(14400))
            let unrelated = DB.event("demo.thing_x.happened", payload: ["k": "v"], at: DB.time(18000))
            events = [started, handoff, accepted, checkpoint, other, unrelated]
        }
    }

    func ids(_ page: EventPage) -> [UUID] { page.events.map(\.envelope.eventID) }

    @Test func everyFilterAndCombinations() async throws {
        let fixture = Fixture()
        try await DB.withReader { reader, database in
            try await DB.insert(fixture.events, into: database)
            let e = fixture.events.map(\.eventID)
            func query(_ parameters: [String: String]) async throws -> [UUID] {
                ids(try await reader.events(matching: try EventQuery(parameters: parameters)))
            }
            #expect(try await query([:]) == e)
            #expect(try await query(["workflow_id": fixture.workflowA.uuidString]) == Array(e[0...3]))
            #expect(try await query(["workflow_id": fixture.workflowB.uuidString]) == [e[4]])
            #expect(try await query(["correlation_id": e[1].uuidString]) == [e[2]])
            #expect(try await query(["event_type": "bmad.workflow.*"]) == [e[0], e[1], e[4]])
            #expect(try await query(["event_type": "agent.handoff.accepted,demo.*"]) == [e[2], e[5]])
            #expect(try await query(["event_type": "*.happened"]) == [e[5]])
            #expect(try await query(["event_type": "demo.thing_x.*"]) == [e[5]])
            #expect(try await query(["event_type": "demo.thingAx.*".lowercased()]) == [])  // `_` is literal
            #expect(try await query(["start_time": "2026-01-11T01:00:00Z"]) == Array(e[1...]))
            #expect(try await query(["end_time": "2026-01-11T01:00:00Z"]) == [e[0]])  // exclusive
            #expect(
                try await query(["since": "2026-01-11T01:00:00Z", "until": "2026-01-11T03:00:00.000001Z"])
                    == [e[1], e[2], e[3]])
            #expect(try await query(["agent": "coder"]) == [e[2]])
            #expect(try await query(["agent": "agent-0b7a5d4e-1111-4a2b-9c3d-000000000001"]) == [e[2]])
            #expect(try await query(["agent": "nobody"]) == [])
            #expect(
                try await query([
                    "workflow_id": fixture.workflowA.uuidString, "event_type": "agent.*",
                    "start_time": "2026-01-11T02:30:00Z",
                ]) == [e[3]])
            #expect(
                try await query(["workflow_id": fixture.workflowA.uuidString, "agent": "bmad-architect"]) == [e[1]])
            #expect(try await query(["order": "desc", "limit": "2"]) == [e[5], e[4]])
        }
    }

    @Test func paginationEdges() async throws {
        try await DB.withReader { reader, database in
            // Empty store.
            let empty = try await reader.events(matching: try EventQuery(parameters: ["count": "true"]))
            #expect(empty.events.isEmpty)
            #expect(empty.totalCount == 0)
            #expect(empty.nextAfter == nil)

            let envelopes = (0..<25).map { DB.event("demo.page.item", payload: ["i": .number(JSONNumber($0))]) }
            let positions = try await DB.insert(envelopes, into: database)
            #expect(positions == Array(1...25))

            var page = try await reader.events(matching: try EventQuery(parameters: ["limit": "10", "count": "true"]))
            #expect(page.events.map(\.position) == Array(1...10))
            #expect(page.totalCount == 25)
            #expect(page.nextAfter == 10)
            page = try await reader.events(matching: try EventQuery(parameters: ["limit": "10", "after": "20"]))
            #expect(page.events.map(\.position) == [21, 22, 23, 24, 25])
            #expect(page.nextAfter == nil)  // last page
            page = try await reader.events(matching: try EventQuery(parameters: ["limit": "5", "after": "20"]))
            #expect(page.nextAfter == 25)  // full page: a next link, which then yields an empty page
            page = try await reader.events(matching: try EventQuery(parameters: ["limit": "5", "after": "25"]))
            #expect(page.events.isEmpty)
            page = try await reader.events(matching: try EventQuery(parameters: ["limit": "3", "offset": "4"]))
            #expect(page.events.map(\.position) == [5, 6, 7])
            page = try await reader.events(
                matching: try EventQuery(parameters: ["order": "desc", "after": "5", "count": "true"]))
            #expect(page.events.map(\.position) == [4, 3, 2, 1])
            #expect(page.totalCount == 25)  // the total ignores pagination, the cursor included
            page = try await reader.events(matching: try EventQuery(parameters: ["limit": "1000"]))
            #expect(page.events.count == 25)
            let filtered = try await reader.events(
                matching: try EventQuery(parameters: ["event_type": "demo.*", "count": "true", "after": "20"]))
            #expect(filtered.totalCount == 25)
            #expect(filtered.events.count == 5)
        }
    }

    @Test func eventJSONIsCanonicalWithPosition() async throws {
        try await DB.withReader { reader, database in
            let raw =
                #"{"event_id":"0B7A5D4E-2222-4A2B-9C3D-000000000001","event_type":"demo.exact.numbers","timestamp":"2026-01-11T14:30:00.123456789+01:00","source":"http/127.0.0.1","correlation_ids":[],"agent_context":{"type":"letta","name":"n","extra":1},"payload":{"big":12345678901234567890,"dec":0.1,"text":"ünï"}}"#
            let envelope = try EventEnvelope(decoding: Array(raw.utf8))
            try await DB.insert([envelope], into: database)
            let stored = try #require(await reader.event(id: envelope.eventID))
            let text = String(decoding: stored.jsonBytes(), as: UTF8.self)
            #expect(
                text.hasPrefix(
                    #"{"event_id":"0b7a5d4e-2222-4a2b-9c3d-000000000001","event_type":"demo.exact.numbers","timestamp":"2026-01-11T13:30:00.123456Z","version":"1.0.0","source":{"host":"127.0.0.1","type":"http""#
                ))
            #expect(text.contains(#""big":12345678901234567890"#))
            #expect(text.contains(#""dec":0.1"#))
            #expect(text.contains("ünï"))
            #expect(text.contains(#""agent_context":{"type":"letta","name":"n","system_prompt":null"#))
            #expect(text.hasSuffix(#","position":1}"#))
            #expect(try await reader.event(id: UUID()) == nil)
        }
    }

    @Test func causationChainInAllFormats() async throws {
        let fixture = Fixture()
        try await DB.withReader { reader, database in
            try await DB.insert(fixture.events, into: database)
            // A second child of the handoff, earlier in time than `accepted` but stored later.
            let sibling = DB.event("demo.side.effect", parents: [fixture.events[1].eventID], at: DB.time(5000))
            try await DB.insert([sibling], into: database)
            let e = fixture.events.map(\.eventID)
            let graph = try #require(try await reader.descendants(of: e[0], maxDepth: 100, nodeLimit: 1000))
            #expect(graph.nodes.map(\.event.envelope.eventID) == [e[1], sibling.eventID, e[2], e[3]])
            #expect(graph.nodes.map(\.depth) == [1, 2, 2, 3])
            #expect(graph.nodes.last?.path == [e[0], e[1], e[2], e[3]])
            #expect(!graph.truncated)

            let tree = try #require(graph.treeJSON.objectValue)
            #expect(tree["depth"] == .number(JSONNumber(0)))
            let level1 = try #require(tree["children"]?.arrayValue)
            #expect(level1.count == 1)
            let level2 = try #require(level1[0].objectValue?["children"]?.arrayValue)
            #expect(
                level2.compactMap { $0.objectValue?["event"]?.objectValue?["event_id"]?.stringValue } == [
                    BloodbankUUID.format(sibling.eventID), BloodbankUUID.format(e[2]),
                ])
            let flat = try #require(graph.flatJSON.objectValue)
            #expect(flat["total_descendants"] == .number(JSONNumber(4)))
            #expect(flat["root_event"]?.objectValue?["event_id"] == .string(BloodbankUUID.format(e[0])))
            let edges = try #require(graph.graphJSON.objectValue?["edges"]?.arrayValue)
            #expect(edges.count == 4)

            let limited = try #require(try await reader.descendants(of: e[0], maxDepth: 1, nodeLimit: 1000))
            #expect(limited.nodes.map(\.event.envelope.eventID) == [e[1]])
            // Issue 12: the depth cut is reported; a depth that reaches every descendant is not a cut.
            #expect(limited.truncated)
            #expect(try await reader.descendants(of: e[0], maxDepth: 0, nodeLimit: 1000)?.truncated == true)
            #expect(try await reader.descendants(of: e[0], maxDepth: 3, nodeLimit: 1000)?.truncated == false)
            let capped = try #require(try await reader.descendants(of: e[0], maxDepth: 100, nodeLimit: 2))
            #expect(capped.nodes.count == 2)
            #expect(capped.truncated)

            let ancestors = try #require(try await reader.ancestors(of: e[3], maxDepth: 100, nodeLimit: 1000))
            #expect(ancestors.nodes.map(\.event.envelope.eventID) == [e[2], e[1], e[0]])
            #expect(ancestors.nodes.map(\.depth) == [1, 2, 3])
            #expect(ancestors.edges.contains(.init(from: e[0], to: e[1])))
            #expect(try await reader.descendants(of: UUID(), maxDepth: 10, nodeLimit: 10) == nil)
            let leaf = try #require(try await reader.descendants(of: e[5], maxDepth: 100, nodeLimit: 10))
            #expect(leaf.nodes.isEmpty)
        }
    }

    @Test func cyclesInBadDataTerminate() async throws {
        try await DB.withReader { reader, database in
            // a → b → c → a (each lists the previous as parent; a lists c), plus a self-loop on d.
            let (a, b, c, d) = (UUID(), UUID(), UUID(), UUID())
            try await DB.insert(
                [
                    DB.event("demo.cycle.a", parents: [c], at: DB.time(1), id: a),
                    DB.event("demo.cycle.b", parents: [a], at: DB.time(2), id: b),
                    DB.event("demo.cycle.c", parents: [b], at: DB.time(3), id: c),
                    DB.event("demo.cycle.d", parents: [d, a], at: DB.time(4), id: d),
                ], into: database)
            let graph = try #require(try await reader.descendants(of: a, maxDepth: 100, nodeLimit: 1000))
            #expect(Set(graph.nodes.map(\.event.envelope.eventID)) == [b, c, d])
            #expect(graph.edges.contains(.init(from: c, to: a)))  // the back edge is reported, not followed
            let ancestors = try #require(try await reader.ancestors(of: d, maxDepth: 100, nodeLimit: 1000))
            #expect(Set(ancestors.nodes.map(\.event.envelope.eventID)) == [a, b, c])
        }
    }

    @Test func hundredDeepChain() async throws {
        try await DB.withReader { reader, database in
            var envelopes: [EventEnvelope] = [DB.event("demo.chain.link", at: DB.time(0))]
            for index in 1...101 {
                envelopes.append(
                    DB.event("demo.chain.link", parents: [envelopes[index - 1].eventID], at: DB.time(Int64(index))))
            }
            try await DB.insert(envelopes, into: database)
            let graph = try #require(
                try await reader.descendants(of: envelopes[0].eventID, maxDepth: 100, nodeLimit: 1000))
            #expect(graph.nodes.count == 100)
            #expect(graph.nodes.last?.depth == 100)
            #expect(graph.nodes.last?.event.envelope.eventID == envelopes[100].eventID)
            #expect(graph.nodes.last?.path.count == 101)
            // The tree nests 100 levels.
            var node = try #require(graph.treeJSON.objectValue)
            var depth = 0
            while let next = node["children"]?.arrayValue?.first?.objectValue {
                node = next
                depth += 1
            }
            #expect(depth == 100)
            let ancestors = try #require(
                try await reader.ancestors(of: envelopes[101].eventID, maxDepth: 100, nodeLimit: 1000))
            #expect(ancestors.nodes.count == 100)
            #expect(ancestors.nodes.last?.event.envelope.eventID == envelopes[1].eventID)
        }
    }

    @Test func workflowsTimelineAndSessions() async throws {
        let fixture = Fixture()
        try await DB.withReader { reader, database in
            try await DB.insert(fixture.events, into: database)
            let a = BloodbankUUID.format(fixture.workflowA)
            let b = BloodbankUUID.format(fixture.workflowB)
            try await DB.execute(
                [
                    """
                    INSERT INTO workflow_state (workflow_id, project_name, current_phase, current_agent, status,
                        started_at, updated_at, phase_history, agent_handoffs, version)
                    VALUES ('\(a)', 'candystore', 'planning', 'letta', 'active', '2026-01-11T00:00:00Z',
                        '2026-01-11T03:00:00Z', '[{"phase":"analysis","next_phase":"planning"}]',
                        '[{"from_agent":"bmad-architect","to_agent":"letta"}]', 3),
                        ('\(b)', 'holocene', 'implementation', NULL, 'completed', '2026-01-11T04:00:00Z',
                        '2026-01-11T05:00:00Z', '[]', '[]', 1)
                    """,
                    """
                    INSERT INTO agent_sessions (session_id, agent_type, agent_instance_id, workflow_id, started_at,
                        last_active_at, status)
                    VALUES ('0b7a5d4e-1111-4a2b-9c3d-000000000001', 'letta',
                        'agent-0b7a5d4e-1111-4a2b-9c3d-000000000001', '\(a)', '2026-01-11T02:00:00Z',
                        '2026-01-11T03:00:00Z', 'active')
                    """,
                ], in: database)
            let all = try await reader.workflows(matching: WorkflowQuery(parameters: ["count": "true"]))
            #expect(all.totalCount == 2)
            #expect(all.workflows.first?.objectValue?["workflow_id"] == .string(b))  // most recently updated first
            let active = try await reader.workflows(matching: WorkflowQuery(parameters: ["active": "true"]))
            #expect(active.workflows.map { $0.objectValue?["workflow_id"] } == [.string(a)])
            let finished = try await reader.workflows(matching: WorkflowQuery(parameters: ["active": "false"]))
            #expect(finished.workflows.map { $0.objectValue?["workflow_id"] } == [.string(b)])
            let byProject = try await reader.workflows(matching: WorkflowQuery(parameters: ["project": "candystore"]))
            #expect(byProject.workflows.count == 1)
            let byPhase = try await reader.workflows(matching: WorkflowQuery(parameters: ["phase": "analysis"]))
            #expect(byPhase.workflows.isEmpty)

            let workflow = try #require(try await reader.workflow(id: fixture.workflowA)?.objectValue)
            #expect(workflow["phase_history"]?.arrayValue?.count == 1)
            #expect(workflow["agent_handoffs"]?.arrayValue?.first?.objectValue?["to_agent"] == "letta")
            #expect(workflow["started_at"] == "2026-01-11T00:00:00.000000Z")
            #expect(workflow["version"] == .number(JSONNumber(3)))
            #expect(try await reader.workflow(id: UUID()) == nil)

            let timeline = try #require(try await reader.timeline(workflowID: fixture.workflowA, limit: 100))
            #expect(
                timeline.map(\.event.envelope.eventType) == [
                    "bmad.workflow.started", "bmad.workflow.handoff.requested", "agent.handoff.accepted",
                    "agent.letta.checkpoint.saved",
                ])
            #expect(timeline[1].agent == "bmad-architect")
            #expect(timeline[1].summary == "handoff requested from bmad-architect to letta")
            #expect(try await reader.timeline(workflowID: UUID(), limit: 10) == nil)

            for id in ["agent-0b7a5d4e-1111-4a2b-9c3d-000000000001", "0b7a5d4e-1111-4a2b-9c3d-000000000001"] {
                let session = try #require(try await reader.session(id: id)?.objectValue)
                #expect(session["session_id"] == "agent-0b7a5d4e-1111-4a2b-9c3d-000000000001")
                #expect(session["workflow_id"] == .string(a))
                let events = try #require(try await reader.sessionEvents(id: id, limit: 100, offset: 0, after: nil))
                #expect(events.map(\.envelope.eventID) == [fixture.events[2].eventID, fixture.events[3].eventID])
            }
            #expect(try await reader.session(id: "agent-\(UUID())") == nil)
            #expect(try await reader.session(id: "agent-1234") == nil)
        }
    }

    @Test func streamRangeReadsApplyFilters() async throws {
        let fixture = Fixture()
        try await DB.withReader { reader, database in
            try await DB.insert(fixture.events, into: database)
            #expect(try await reader.maxPosition() == 6)
            let all = try await reader.events(positions: 2, through: 5, filter: EventStreamFilter())
            #expect(all.map(\.position) == [2, 3, 4, 5])
            let inherited = try await reader.events(
                positions: 1, through: 6, filter: EventStreamFilter(workflowID: fixture.workflowA))
            #expect(inherited.map(\.position) == [1, 2, 3, 4])  // the checkpoint inherits the workflow
            let typed = try await reader.events(
                positions: 1, through: 6, filter: EventStreamFilter(eventTypes: [try EventTypePattern("bmad.*")]),
                limit: 2)
            #expect(typed.map(\.position) == [1, 2])
        }
    }

    /// Every filter kind on 50,000 rows (after ANALYZE) must be answered from an index, never a sequential
    /// scan of `events`.
    @Test func everyQueryUsesAnIndex() async throws {
        try await DB.withReader { reader, database in
            try await DB.populate(database)
            func plan(_ sql: String, _ bindings: PostgresBindings = PostgresBindings()) async throws -> String {
                let rows = try await reader.rows("EXPLAIN " + sql, bindings)
                return try rows.map { try $0.decode(String.self) }.joined(separator: "\n")
            }
            let workflow = "md5('w7')::uuid"
            let workflowID = try #require(
                try await reader.rows("SELECT \(workflow)").first?.decode(UUID.self))
            let parent = try #require(try await reader.rows("SELECT md5('e100')::uuid").first?.decode(UUID.self))
            let cases: [[String: String]] = [
                [:],
                ["order": "desc"],
                ["after": "40000"],
                ["workflow_id": workflowID.uuidString],
                ["correlation_id": parent.uuidString],
                ["event_type": "agent.handoff.accepted"],
                ["event_type": "bmad.workflow.*"],
                ["event_type": "bmad.workflow.*,agent.handoff.accepted,x.y.z"],
                ["event_type": "*.completed"],
                ["start_time": "2025-01-20T00:00:00Z"],
                ["start_time": "2025-01-20T00:00:00Z", "end_time": "2025-01-21T00:00:00Z"],
                ["end_time": "2025-01-02T00:00:00Z"],
                ["agent": "agent-5"],
                ["agent": "agent-\(UUID())"],
                ["workflow_id": workflowID.uuidString, "event_type": "bmad.*", "order": "desc"],
                ["event_type": "demo.*", "start_time": "2025-01-10T00:00:00Z", "agent": "agent-5"],
                ["limit": "1000", "offset": "500", "event_type": "x.y.z"],
            ]
            for parameters in cases {
                let query = try EventQuery(parameters: parameters)
                let (sql, bindings) = EventStoreReader.listSQL(query)
                let text = try await plan(sql, bindings)
                #expect(!text.contains("Seq Scan on events"), "\(parameters):\n\(text)")
                if query.hasFilters {
                    var builder = SQLBuilder()
                    EventStoreReader.addFilters(query, to: &builder)
                    let countPlan = try await plan(
                        "SELECT count(*) FROM events" + builder.whereClause, builder.bindings)
                    #expect(!countPlan.contains("Seq Scan on events"), "count \(parameters):\n\(countPlan)")
                }
            }
            // Causation walks probe the GIN index / primary key per step.
            var bindings = PostgresBindings()
            bindings.append(parent)
            bindings.append(Int32(100))
            bindings.append(Int64(4001))
            for (direction, index) in [
                (CausationGraph.Direction.descendants, "idx_events_correlation_ids"), (.ancestors, "events_pkey"),
            ] {
                let text = try await plan(EventStoreReader.walkSQL(direction), bindings)
                #expect(!text.contains("Seq Scan on events"), "\(direction):\n\(text)")
                #expect(text.contains(index), "\(direction):\n\(text)")
                #expect(!text.contains("JIT"), "the reader's connections run with jit=off:\n\(text)")
            }
            // And the walk itself answers correctly on the big table: a 50,000-long chain, capped by depth.
            let graph = try #require(try await reader.descendants(of: parent, maxDepth: 100, nodeLimit: 1000))
            #expect(graph.nodes.count == 100)
            // Session events: one index-ordered branch per name and index (bench/api found the OR walking the
            // position index through every row).
            let (sessionSQL, sessionBindings) = EventStoreReader.sessionEventsSQL(
                names: ["agent-x", "y"], limit: 100, offset: 0, after: nil)
            let sessionPlan = try await plan(sessionSQL, sessionBindings)
            #expect(!sessionPlan.contains("Seq Scan on events"), "\(sessionPlan)")
            #expect(sessionPlan.contains("idx_events_payload_session"), "\(sessionPlan)")
            #expect(sessionPlan.contains("idx_events_agent_instance"), "\(sessionPlan)")
            // An agent filter reads both agent indexes, not the position index with a filter.
            let (agentSQL, agentBindings) = EventStoreReader.listSQL(
                try EventQuery(parameters: ["agent": "agent-\(UUID())"]))
            let agentPlan = try await plan(agentSQL, agentBindings)
            #expect(agentPlan.contains("idx_events_agent_name") && agentPlan.contains("idx_events_agent_instance"))
            #expect(!agentPlan.contains("Filter: (((agent_context"), "\(agentPlan)")
            // A narrow time range is read through the timestamp index and sorted.
            let narrow = try EventQuery(parameters: [
                "start_time": "2025-01-20T00:00:00Z", "end_time": "2025-01-20T01:00:00Z",
            ])
            #expect(try await reader.isNarrowTimeRange(narrow))
            #expect(!(try await reader.isNarrowTimeRange(try EventQuery(parameters: ["agent": "agent-5"]))))
            let (narrowSQL, narrowBindings) = EventStoreReader.listSQL(narrow, sortMatches: true)
            let narrowPlan = try await plan(narrowSQL, narrowBindings)
            #expect(narrowPlan.contains("idx_events_timestamp"), "\(narrowPlan)")
            let page = try await reader.events(matching: narrow)
            #expect(page.events.map(\.position) == page.events.map(\.position).sorted())
            #expect(page.events.count == 60)  // one event a minute
        }
    }
}
