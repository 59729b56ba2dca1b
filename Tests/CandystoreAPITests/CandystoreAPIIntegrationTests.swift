import BloodbankModel
import CandystoreApp
import CandystoreHealth
import CandystoreOps
import CandystoreTestSupport
import EventStore
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

@testable import CandystoreAPI

/// The REST endpoints against a real PostgreSQL (scratch database) and Redis.
@Suite(.serialized) struct CandystoreAPIIntegrationTests {
    typealias DB = TestDatabase

    /// Parses a body; `null` when it is not JSON (non-throwing, so closures stay non-throwing-inferable).
    func json(_ buffer: ByteBuffer) -> JSONValue {
        (try? JSONValue(parsing: Array(buffer.readableBytesView))) ?? .null
    }

    /// Found by schemathesis: query values were not form-decoded, so `agent=letta+python+dev` (what a browser's
    /// `URLSearchParams` sends for "letta python dev") matched nothing, and `a.b+,+c.*` was a 400.
    @Test func formEncodedQueriesMatchWhatTheBrowserMeant() async throws {
        try await DB.withScratchDatabase { database in
            let agent = AgentContext(type: "letta", name: "letta python dev", meta: [:])
            let mine = DB.event("agent.letta.task.completed", agent: agent, at: DB.time(0))
            try await DB.insert([mine, DB.event("demo.other.event", at: DB.time(1))], into: database)
            let app = try TestApplication.build(
                try TestApplication.configuration(database: database, channel: TestApplication.channel()))
            try await app.test(.router) { client in
                for uri in [
                    "/api/v1/events?agent=letta+python+dev",
                    "/api/v1/events?agent=letta%20python%20dev&event_type=agent.letta.*+,+x.y",
                    "/api/v1/events?start_time=2026-01-11T02:00:00+02:00&end_time=2026-01-11T00:00:01Z",
                ] {
                    try await client.execute(uri: uri, method: .get) { response in
                        #expect(response.status == .ok, "\(uri)")
                        let ids = json(response.body).arrayValue?.compactMap { $0.objectValue?["event_id"] }
                        #expect(ids == [.string(BloodbankUUID.format(mine.eventID))], "\(uri)")
                    }
                }
            }
        }
    }

    /// Issue 12: a `max_depth` cut says so (`truncated: true`) in every format; a walk that reaches every
    /// descendant within the depth says `false`.
    @Test func maxDepthCutIsReportedInEveryFormat() async throws {
        try await DB.withScratchDatabase { database in
            // root → a → b → c → d: four descendants.
            var chain = [DB.event("demo.chain.root", at: DB.time(0))]
            for index in 1...4 {
                chain.append(
                    DB.event("demo.chain.step", parents: [chain[index - 1].eventID], at: DB.time(Int64(index))))
            }
            try await DB.insert(chain, into: database)
            let (root, leaf) = (chain[0].eventID, chain[4].eventID)
            let app = try TestApplication.build(
                try TestApplication.configuration(database: database, channel: TestApplication.channel()))
            try await app.test(.router) { client in
                for (query, truncated, count) in [
                    ("max_depth=2", true, 2), ("max_depth=0", true, 0), ("max_depth=4", false, 4), ("", false, 4),
                ] {
                    for format in ["tree", "flat", "graph"] {
                        try await client.execute(
                            uri: "/api/v1/events/\(root)/descendants?format=\(format)&\(query)", method: .get
                        ) { response in
                            #expect(response.status == .ok)
                            let body = json(response.body)
                            #expect(body["truncated"] == .bool(truncated), "\(format) \(query)")
                            if format == "flat" {
                                #expect(body["total_descendants"] == .number(JSONNumber(count)), "\(query)")
                            }
                            if format == "graph" {
                                #expect(body["nodes"]?.arrayValue?.count == count + 1, "\(query)")
                            }
                        }
                    }
                }
                // The same from the other end.
                try await client.execute(
                    uri: "/api/v1/events/\(leaf)/ancestors?format=flat&max_depth=1", method: .get
                ) { response in
                    #expect(json(response.body)["truncated"] == .bool(true))
                    #expect(json(response.body)["total_ancestors"] == .number(JSONNumber(1)))
                }
                try await client.execute(
                    uri: "/api/v1/events/\(leaf)/ancestors?format=flat&max_depth=4", method: .get
                ) { response in
                    #expect(json(response.body)["truncated"] == .bool(false))
                }
            }
        }
    }

    /// Issue 12: `#` in event type patterns, as RabbitMQ users write bindings (docs/api.md), in REST and in the
    /// stream's query string.
    @Test func hashPatternsMatchZeroOrMoreWords() async throws {
        try await DB.withScratchDatabase { database in
            let types = [
                "bmad.workflow.started", "bmad.workflow.phase.completed", "agent.letta.task.completed",
                "agent.handoff.accepted", "bmadx.other.event",
            ]
            let events = types.enumerated().map { DB.event($1, at: DB.time(Int64($0))) }
            try await DB.insert(events, into: database)
            let app = try TestApplication.build(
                try TestApplication.configuration(database: database, channel: TestApplication.channel()))
            try await app.test(.router) { client in
                for (pattern, expected) in [
                    ("bmad.#", [0, 1]), ("%23.completed", [1, 2]), ("agent.%23.accepted", [3]),
                    ("bmad.%23.completed", [1]), ("%23", [0, 1, 2, 3, 4]), ("bmad.workflow.*", [0, 1]),
                    ("agent.#,bmadx.#", [2, 3, 4]), ("bmad.wo%23rk", []),
                ] {
                    let query = pattern.replacingOccurrences(of: "#", with: "%23")
                    try await client.execute(uri: "/api/v1/events?event_type=\(query)", method: .get) { response in
                        #expect(response.status == .ok, "\(pattern)")
                        let ids = json(response.body).arrayValue?.compactMap { $0["event_id"]?.stringValue } ?? []
                        #expect(ids == expected.map { BloodbankUUID.format(events[$0].eventID) }, "\(pattern)")
                    }
                }
                try await client.execute(uri: "/api/v1/events?event_type=bmad.%23&count=true", method: .get) {
                    response in
                    #expect(response.headers[.init("X-Total-Count")!] == "2")
                }
            }
        }
    }

    @Test func eventsEndpointsServeBareArraysWithCursorLinks() async throws {
        try await DB.withScratchDatabase { database in
            let workflow = UUID()
            let root = DB.event(
                "bmad.workflow.started",
                payload: ["workflow_id": .string(BloodbankUUID.format(workflow)), "project_name": "p"], at: DB.time(0))
            let child = DB.event("agent.handoff.accepted", parents: [root.eventID], at: DB.time(60))
            let grandchild = DB.event("agent.letta.task.completed", parents: [child.eventID], at: DB.time(120))
            let others = (0..<7).map { DB.event("demo.filler.event", payload: ["i": .number(JSONNumber($0))]) }
            try await DB.insert([root, child, grandchild] + others, into: database)
            let app = try TestApplication.build(
                try TestApplication.configuration(database: database, channel: TestApplication.channel()))
            try await app.test(.router) { client in
                try await client.execute(uri: "/api/v1/events?limit=4&count=true", method: .get) { response in
                    #expect(response.status == .ok)
                    let array = try #require(json(response.body).arrayValue)
                    #expect(array.count == 4)
                    #expect(array[0].objectValue?["position"] == .number(JSONNumber(1)))
                    #expect(
                        array[0].objectValue?.keys == [
                            "event_id", "event_type", "timestamp", "version", "source", "correlation_ids",
                            "agent_context", "payload", "position",
                        ])
                    #expect(array[0].objectValue?["timestamp"] == "2026-01-11T00:00:00.000000Z")
                    #expect(response.headers[.xTotalCount] == "10")
                    #expect(response.headers[.link] == "</api/v1/events?limit=4&count=true&after=4>; rel=\"next\"")
                }
                // Following the link reaches the last page, which has no link.
                try await client.execute(uri: "/api/v1/events?limit=4&after=8", method: .get) { response in
                    #expect(json(response.body).arrayValue?.count == 2)
                    #expect(response.headers[.link] == nil)
                    #expect(response.headers[.xTotalCount] == nil)
                }
                try await client.execute(uri: "/api/v1/events?workflow_id=\(workflow)&limit=1000", method: .get) {
                    response in
                    let array = try #require(json(response.body).arrayValue)
                    #expect(array.count == 3)  // payload + inherited
                }
                try await client.execute(uri: "/api/v1/events?event_type=nothing.*", method: .get) { response in
                    #expect(response.status == .ok)
                    #expect(String(buffer: response.body) == "[]")
                }
                try await client.execute(uri: "/api/v1/events/\(root.eventID)", method: .get) { response in
                    #expect(response.status == .ok)
                    let object = try #require(json(response.body).objectValue)
                    #expect(object["event_id"] == .string(BloodbankUUID.format(root.eventID)))
                }
                try await client.execute(uri: "/api/v1/events/\(UUID())", method: .get) { response in
                    #expect(response.status == .notFound)
                    let body = json(response.body)
                    #expect(body.objectValue?["error"]?.objectValue?["code"] == "not_found")
                }
                try await client.execute(uri: "/api/v1/events/\(root.eventID)/descendants", method: .get) {
                    response in
                    let tree = try #require(json(response.body).objectValue)
                    #expect(tree["depth"] == .number(JSONNumber(0)))
                    let child = try #require(tree["children"]?.arrayValue?.first?.objectValue)
                    #expect(child["depth"] == .number(JSONNumber(1)))
                    #expect(child["children"]?.arrayValue?.count == 1)
                }
                try await client.execute(
                    uri: "/api/v1/events/\(root.eventID)/descendants?format=flat&max_depth=1", method: .get
                ) { response in
                    let flat = try #require(json(response.body).objectValue)
                    #expect(flat["total_descendants"] == .number(JSONNumber(1)))
                }
                try await client.execute(
                    uri: "/api/v1/events/\(grandchild.eventID)/ancestors?format=graph", method: .get
                ) { response in
                    let graph = try #require(json(response.body).objectValue)
                    #expect(graph["nodes"]?.arrayValue?.count == 3)
                    #expect(graph["edges"]?.arrayValue?.count == 2)
                }
                try await client.execute(uri: "/api/v1/events/\(UUID())/descendants", method: .get) { response in
                    #expect(response.status == .notFound)
                }
                try await client.execute(uri: "/api/v1/workflows/\(UUID())", method: .get) { response in
                    #expect(response.status == .notFound)
                }
                try await client.execute(uri: "/api/v1/workflows/\(UUID())/timeline", method: .get) { response in
                    #expect(response.status == .notFound)
                }
                // Events exist for this workflow even without a projection row: the timeline answers.
                try await client.execute(uri: "/api/v1/workflows/\(workflow)/timeline", method: .get) { response in
                    let body = try #require(json(response.body).objectValue)
                    #expect(body["workflow_id"] == .string(BloodbankUUID.format(workflow)))
                    let timeline = try #require(body["timeline"]?.arrayValue)
                    #expect(timeline.count == 3)
                    #expect(
                        timeline[0].objectValue?.keys == [
                            "timestamp", "event_type", "event_id", "agent", "summary", "position",
                        ])
                }
                for id in ["agent-\(UUID())", UUID().uuidString, "agent-1234"] {
                    try await client.execute(uri: "/api/v1/sessions/\(id)", method: .get) { response in
                        #expect(response.status == .notFound)
                    }
                    try await client.execute(uri: "/api/v1/sessions/\(id)/events", method: .get) { response in
                        #expect(response.status == .notFound)
                    }
                }
            }
        }
    }

    @Test func workflowAndSessionEndpoints() async throws {
        try await DB.withScratchDatabase { database in
            let workflow = UUID()
            let session = UUID()
            let accepted = DB.event(
                "agent.handoff.accepted",
                payload: [
                    "workflow_id": .string(BloodbankUUID.format(workflow)), "agent_type": "letta",
                    "session_id": .string("agent-\(BloodbankUUID.format(session))"), "accepted_from": "architect",
                ])
            try await DB.insert([accepted], into: database)
            try await DB.execute(
                [
                    """
                    INSERT INTO workflow_state (workflow_id, project_name, current_phase, status, started_at, updated_at)
                    VALUES ('\(BloodbankUUID.format(workflow))', 'candystore', 'planning', 'active', now(), now())
                    """,
                    """
                    INSERT INTO agent_sessions (session_id, agent_type, agent_instance_id, workflow_id, started_at,
                        last_active_at, status)
                    VALUES ('\(BloodbankUUID.format(session))', 'letta', 'agent-\(BloodbankUUID.format(session))',
                        '\(BloodbankUUID.format(workflow))', now(), now(), 'active')
                    """,
                ], in: database)
            let app = try TestApplication.build(
                try TestApplication.configuration(database: database, channel: TestApplication.channel()))
            try await app.test(.router) { client in
                try await client.execute(uri: "/api/v1/workflows?status=active&count=true", method: .get) { response in
                    #expect(json(response.body).arrayValue?.count == 1)
                    #expect(response.headers[.xTotalCount] == "1")
                }
                try await client.execute(uri: "/api/v1/workflows?project=other", method: .get) { response in
                    #expect(String(buffer: response.body) == "[]")
                }
                try await client.execute(uri: "/api/v1/workflows/\(workflow)", method: .get) { response in
                    let body = try #require(json(response.body).objectValue)
                    #expect(body["project_name"] == "candystore")
                    #expect(body["phase_history"] == .array([]))
                }
                for id in ["agent-\(BloodbankUUID.format(session))", BloodbankUUID.format(session)] {
                    try await client.execute(uri: "/api/v1/sessions/\(id)", method: .get) { response in
                        #expect(response.status == .ok)
                        let body = json(response.body)
                        #expect(body.objectValue?["agent_type"] == "letta")
                    }
                    try await client.execute(uri: "/api/v1/sessions/\(id)/events", method: .get) { response in
                        #expect(json(response.body).arrayValue?.count == 1)
                    }
                }
            }
        }
    }

    @Test func healthChecksRealServicesSeparately() async throws {
        try await DB.withScratchDatabase { database in
            let configuration = try TestApplication.configuration(
                database: database, channel: TestApplication.channel())
            let app = try TestApplication.build(
                configuration, health: HealthChecker(configuration: configuration.shared))
            try await app.test(.router) { client in
                try await client.execute(uri: "/health", method: .get) { response in
                    let body = try #require(json(response.body).objectValue)
                    let components = try #require(body["components"]?.objectValue)
                    #expect(components.keys == ["postgres", "rabbitmq", "redis"])
                    #expect(components["postgres"]?.objectValue?["status"] == "ok")
                    #expect(components["redis"]?.objectValue?["status"] == "ok")
                }
            }
        }
    }
}
