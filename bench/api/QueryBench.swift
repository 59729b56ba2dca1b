import AsyncHTTPClient
import EventStore
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import PostgresNIO

/// Deterministic pseudo-random numbers (SplitMix64), so two runs ask for the same ids in the same order.
struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Real ids and values drawn from the loaded store, for the query kinds' parameters.
struct Samples {
    var workflows: [String] = []
    var startedEvents: [String] = []
    var acceptedEvents: [String] = []
    var events: [String] = []
    var sessions: [String] = []
    var chainRoot = ""
    var chainTail = ""
    var treeRoot = ""

    static func draw(_ plan: BenchData.Plan, database: DatabaseConfiguration, logger: Logger) async throws -> Samples {
        var generator = SeededGenerator(state: 42)
        func positions(_ range: ClosedRange<Int>, _ count: Int) -> String {
            "{" + (0..<count).map { _ in String(Int.random(in: range, using: &generator)) }.joined(separator: ",") + "}"
        }
        let bulk = 1...plan.bulk
        let firstCycle = 1...plan.workflows
        let randomEvents = positions(bulk, 2_000)
        let randomStarted = positions(firstCycle, 200)
        return try await database.withConnection(logger: logger) { connection in
            func strings(_ sql: String) async throws -> [String] {
                try await connection.query(PostgresQuery(unsafeSQL: sql), logger: logger).collect().map {
                    try $0.decode(String.self)
                }
            }
            var samples = Samples()
            samples.events = try await strings(
                "SELECT event_id::text FROM events WHERE position = ANY('\(randomEvents)'::bigint[]) LIMIT 500")
            samples.startedEvents = try await strings(
                "SELECT event_id::text FROM events WHERE position = ANY('\(randomStarted)'::bigint[])")
            samples.workflows = try await strings(
                "SELECT workflow_id::text FROM events WHERE position = ANY('\(randomStarted)'::bigint[])")
            samples.acceptedEvents = try await strings(
                """
                SELECT correlation_ids[1]::text FROM events WHERE position = ANY('\(randomEvents)'::bigint[])
                    AND event_type = 'agent.letta.checkpoint.saved' LIMIT 200
                """)
            samples.sessions = try await strings(
                """
                SELECT payload->>'session_id' FROM events WHERE position = ANY('\(randomEvents)'::bigint[])
                    AND event_type = 'agent.handoff.accepted' LIMIT 200
                """)
            samples.chainRoot = try await strings("SELECT \(BenchData.structureID("chain", 0))::text")[0]
            samples.chainTail = try await strings(
                "SELECT \(BenchData.structureID("chain", BenchData.chainLength - 1))::text")[0]
            samples.treeRoot = try await strings("SELECT \(BenchData.structureID("tree", 0))::text")[0]
            return samples
        }
    }
}

/// One kind of request, measured `samples` times with parameters drawn by `uri`.
struct QueryKind {
    let name: String
    let samples: Int
    let uri: (inout SeededGenerator) -> String
}

/// Latency statistics of one query kind (nearest-rank percentiles).
struct LatencyStats {
    let name: String
    let count: Int
    let p50: Double
    let p95: Double
    let p99: Double
    let max: Double
    let meanBytes: Int
    let statuses: [Int: Int]

    init(name: String, milliseconds: [Double], bytes: [Int], statuses: [Int: Int]) {
        let sorted = milliseconds.sorted()
        func rank(_ q: Double) -> Double {
            guard !sorted.isEmpty else { return .nan }
            return sorted[Swift.min(sorted.count - 1, Swift.max(0, Int((Double(sorted.count) * q).rounded(.up)) - 1))]
        }
        self.name = name
        count = sorted.count
        p50 = rank(0.50)
        p95 = rank(0.95)
        p99 = rank(0.99)
        max = sorted.last ?? .nan
        meanBytes = bytes.isEmpty ? 0 : bytes.reduce(0, +) / bytes.count
        self.statuses = statuses
    }
}

enum QueryBench {
    /// Every query kind the API serves, with realistic parameters.
    static func kinds(_ plan: BenchData.Plan, _ s: Samples, samples n: Int) -> [QueryKind] {
        let bulkSeconds = Double(plan.bulk) * 0.2
        func pick(_ array: [String], _ g: inout SeededGenerator) -> String { array.randomElement(using: &g)! }
        func position(_ g: inout SeededGenerator) -> Int { Int.random(in: 1...plan.bulk, using: &g) }
        func hourWindow(_ g: inout SeededGenerator) -> String {
            let start = Date(
                timeIntervalSince1970: 1_767_571_200 + Double.random(in: 0...max(0, bulkSeconds - 3600), using: &g))
            let end = start.addingTimeInterval(3600)
            let formatter = ISO8601DateFormatter()
            return "start_time=\(formatter.string(from: start))&end_time=\(formatter.string(from: end))"
        }
        let heavy = max(5, n / 10)
        return [
            QueryKind(name: "events: first page (limit 100)", samples: n) { _ in "/api/v1/events?limit=100" },
            QueryKind(name: "events: newest first (order=desc)", samples: n) { _ in
                "/api/v1/events?order=desc&limit=100"
            },
            QueryKind(name: "events: offset page (offset ≤ 10,000)", samples: n) { g in
                "/api/v1/events?limit=100&offset=\(Int.random(in: 0...100, using: &g) * 100)"
            },
            QueryKind(name: "events: cursor (after=random)", samples: n) { g in
                "/api/v1/events?limit=100&after=\(position(&g))"
            },
            QueryKind(name: "events: workflow_id (all ~100)", samples: n) { g in
                "/api/v1/events?workflow_id=\(pick(s.workflows, &g))&limit=1000"
            },
            QueryKind(name: "events: correlation_id (children)", samples: n) { g in
                "/api/v1/events?correlation_id=\(pick(s.acceptedEvents, &g))"
            },
            QueryKind(name: "events: event_type exact + cursor", samples: n) { g in
                "/api/v1/events?event_type=agent.handoff.accepted&limit=100&after=\(position(&g))"
            },
            QueryKind(name: "events: event_type bmad.workflow.* + cursor", samples: n) { g in
                "/api/v1/events?event_type=bmad.workflow.*&limit=100&after=\(position(&g))"
            },
            QueryKind(name: "events: event_type *.completed (leading *)", samples: n) { g in
                "/api/v1/events?event_type=*.completed&limit=100&after=\(position(&g))"
            },
            QueryKind(name: "events: time range (1 h window)", samples: n) { g in
                "/api/v1/events?\(hourWindow(&g))&limit=100"
            },
            QueryKind(name: "events: agent name + cursor", samples: n) { g in
                "/api/v1/events?agent=\(BenchData.agents.randomElement(using: &g)!)&limit=100&after=\(position(&g))"
            },
            QueryKind(name: "events: agent instance id", samples: n) { g in
                "/api/v1/events?agent=\(pick(s.sessions, &g))"
            },
            QueryKind(name: "events: count=true, no filter", samples: n) { _ in "/api/v1/events?count=true&limit=1" },
            QueryKind(name: "events: count=true, workflow_id", samples: n) { g in
                "/api/v1/events?workflow_id=\(pick(s.workflows, &g))&count=true&limit=1"
            },
            QueryKind(name: "events: count=true, time range (1 h)", samples: n) { g in
                "/api/v1/events?\(hourWindow(&g))&count=true&limit=1"
            },
            QueryKind(name: "events: count=true, event_type (100k)", samples: heavy) { _ in
                "/api/v1/events?event_type=agent.handoff.accepted&count=true&limit=1"
            },
            QueryKind(name: "event by id", samples: n) { g in "/api/v1/events/\(pick(s.events, &g))" },
            QueryKind(name: "workflows: list (limit 100)", samples: n) { _ in "/api/v1/workflows?limit=100" },
            QueryKind(name: "workflows: status=completed, count", samples: n) { _ in
                "/api/v1/workflows?status=completed&count=true&limit=100"
            },
            QueryKind(name: "workflows: project, count", samples: n) { g in
                "/api/v1/workflows?project=project-\(Int.random(in: 0..<50, using: &g))&count=true&limit=100"
            },
            QueryKind(name: "workflow detail", samples: n) { g in "/api/v1/workflows/\(pick(s.workflows, &g))" },
            QueryKind(name: "workflow timeline", samples: n) { g in
                "/api/v1/workflows/\(pick(s.workflows, &g))/timeline"
            },
            QueryKind(name: "session", samples: n) { g in "/api/v1/sessions/\(pick(s.sessions, &g))" },
            QueryKind(name: "session events", samples: n) { g in "/api/v1/sessions/\(pick(s.sessions, &g))/events" },
            QueryKind(name: "descendants: workflow root (~100), tree", samples: n) { g in
                "/api/v1/events/\(pick(s.startedEvents, &g))/descendants"
            },
            QueryKind(name: "descendants: 100-deep chain, tree", samples: n) { _ in
                "/api/v1/events/\(s.chainRoot)/descendants"
            },
            QueryKind(name: "descendants: 100-deep chain, flat", samples: n) { _ in
                "/api/v1/events/\(s.chainRoot)/descendants?format=flat"
            },
            QueryKind(name: "descendants: 100-deep chain, graph", samples: n) { _ in
                "/api/v1/events/\(s.chainRoot)/descendants?format=graph"
            },
            QueryKind(name: "ancestors: 100-deep chain, tree", samples: n) { _ in
                "/api/v1/events/\(s.chainTail)/ancestors"
            },
            QueryKind(name: "descendants: 10,000-node tree, tree", samples: heavy) { _ in
                "/api/v1/events/\(s.treeRoot)/descendants"
            },
            QueryKind(name: "descendants: 10,000-node tree, flat", samples: heavy) { _ in
                "/api/v1/events/\(s.treeRoot)/descendants?format=flat"
            },
            QueryKind(name: "descendants: 10,000-node tree, graph", samples: heavy) { _ in
                "/api/v1/events/\(s.treeRoot)/descendants?format=graph"
            },
        ]
    }

    /// Runs each kind sequentially over one keep-alive connection (after a warm-up of a tenth of the samples)
    /// and measures from sending the request to having read the whole body.
    static func run(_ kinds: [QueryKind], baseURL: String, client: HTTPClient) async throws -> [LatencyStats] {
        var generator = SeededGenerator(state: 7)
        let clock = ContinuousClock()
        var results: [LatencyStats] = []
        for kind in kinds {
            var milliseconds: [Double] = []
            var bytes: [Int] = []
            var statuses: [Int: Int] = [:]
            let warmUp = max(2, kind.samples / 10)
            for index in 0..<(warmUp + kind.samples) {
                let request = HTTPClientRequest(url: baseURL + kind.uri(&generator))
                let started = clock.now
                let response = try await client.execute(request, timeout: .seconds(60))
                let body = try await response.body.collect(upTo: 256 << 20)
                let elapsed = clock.now - started
                guard index >= warmUp else { continue }
                milliseconds.append(elapsed.milliseconds)
                bytes.append(body.readableBytes)
                statuses[Int(response.status.code), default: 0] += 1
            }
            let stats = LatencyStats(name: kind.name, milliseconds: milliseconds, bytes: bytes, statuses: statuses)
            log(
                "  \(kind.name): p50 \(String(format: "%.2f", stats.p50)) ms, p95 \(String(format: "%.2f", stats.p95)) ms"
            )
            results.append(stats)
        }
        return results
    }
}
