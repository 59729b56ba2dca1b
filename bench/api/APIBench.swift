import AsyncHTTPClient
import CandystoreAPI
import CandystoreApp
import CandystoreConfig
import CandystoreOps
import EventStore
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import PostgresNIO
import ServiceLifecycle

/// Event Store API benchmark: loads a scratch database (default 1,000,000 events), runs the real API
/// in-process (`buildApplication`, HTTP on a free loopback port), and prints p50/p95/p99 latency per query kind
/// and commit → WebSocket frame latency with 50 clients. Appends one JSON line per metric set to `--results`.
///
/// usage: api-bench [--events N] [--samples N] [--clients N] [--stream-events N] [--results FILE]
///                  [--label TEXT] [--keep]
/// Settings (DATABASE_URL for the server, REDIS_URL) come from `.env` and the environment, like every binary.
@main
enum APIBench {
    struct Options {
        var events = 1_000_000
        var samples = 200
        var clients = 50
        var streamEvents = 400
        var streamInterval = Duration.milliseconds(25)
        var results: String?
        var label = ""
        var keep = false

        init(_ arguments: [String]) throws {
            var iterator = arguments.makeIterator()
            func value(_ name: String) throws -> String {
                guard let value = iterator.next() else { throw BenchError("\(name) needs a value") }
                return value
            }
            func integer(_ name: String) throws -> Int {
                guard let number = Int(try value(name)), number > 0 else { throw BenchError("\(name): bad number") }
                return number
            }
            while let argument = iterator.next() {
                switch argument {
                case "--events": events = try integer(argument)
                case "--samples": samples = try integer(argument)
                case "--clients": clients = try integer(argument)
                case "--stream-events": streamEvents = try integer(argument)
                case "--results": results = try value(argument)
                case "--label": label = try value(argument)
                case "--keep": keep = true
                default: throw BenchError("unknown argument \(argument) (see bench/README.md)")
                }
            }
            guard events >= BenchData.chainLength + BenchData.treeSize + BenchData.eventsPerWorkflow else {
                throw BenchError("--events must be at least \(BenchData.chainLength + BenchData.treeSize + 100)")
            }
        }
    }

    static func main() async throws {
        let options = try Options(Array(CommandLine.arguments.dropFirst()))
        var logger = Logger(label: "api-bench")
        logger.logLevel = .warning
        let settings = try Settings.load()
        let server = try CandystoreConfiguration(settings: settings)
        let plan = BenchData.Plan(total: options.events)

        let name =
            "candystore_bench_\(UUID().uuidString.replacingOccurrences(of: "-", with: "").prefix(10).lowercased())"
        let admin = server.database.with(database: "postgres")
        var database = server.database.with(database: name)
        database.poolSize = 10
        log("api-bench: \(options.events) events into scratch database \(name) on \(database.host):\(database.port)")
        try await execute("CREATE DATABASE \(name)", on: admin, logger: logger)
        do {
            let report = try await benchmark(
                options: options, plan: plan, database: database, settings: settings, logger: logger)
            try record(report, options: options, database: database, logger: logger)
        } catch {
            log("api-bench failed: \(error)")
            if !options.keep {
                try? await execute("DROP DATABASE IF EXISTS \(name) WITH (FORCE)", on: admin, logger: logger)
            }
            throw error
        }
        if options.keep {
            log("kept database \(name) (drop it with: DROP DATABASE \(name))")
        } else {
            try await execute("DROP DATABASE IF EXISTS \(name) WITH (FORCE)", on: admin, logger: logger)
        }
    }

    struct Report {
        let load: BenchData.LoadReport
        let queries: [LatencyStats]
        let stream: StreamBench.Result
        let postgresVersion: String
    }

    static func benchmark(
        options: Options, plan: BenchData.Plan, database: DatabaseConfiguration, settings: Settings, logger: Logger
    ) async throws -> Report {
        let migrations = try Migration.load(from: try CandystoreConfiguration(settings: settings).migrationsDirectory)
        let applied = try await MigrationRunner(database: database, migrations: migrations, logger: logger).up()
        log("migrated: \(applied.map { String(format: "%04d", $0.version) }.joined(separator: ", "))")
        let load = try await BenchData.load(plan, database: database, logger: logger)
        let samples = try await Samples.draw(plan, database: database, logger: logger)
        let postgresVersion = try await database.withConnection(logger: logger) { connection in
            try await connection.query("SHOW server_version", logger: logger).collect()[0].decode(String.self)
        }

        let port = try await freePort()
        let channel = "events:stream:bench:\(UUID().uuidString.lowercased())"
        var values = settings.values
        values["DATABASE_URL"] =
            "postgres://\(database.username):\(database.password ?? "")@\(database.host):\(database.port)/\(database.database)"
        values["DATABASE_POOL_SIZE"] = String(database.poolSize)
        values["REDIS_STREAM_CHANNEL"] = channel
        values["API_HOST"] = "127.0.0.1"
        values["API_PORT"] = String(port)
        values["API_TOKEN"] = nil
        values["API_CORS_ORIGINS"] = nil
        values["API_MAX_CAUSATION_NODES"] = String(BenchData.treeSize)
        values["API_WS_BUFFER_SIZE"] = "10000"
        let configuration = try APIRole.Configuration(settings: Settings(values))
        let app = APIRole.application(configuration: configuration, logger: logger)
        let serviceGroup = ServiceGroup(configuration: .init(services: [app], logger: logger))
        let baseURL = "http://127.0.0.1:\(port)"

        return try await withThrowingTaskGroup(of: Report?.self) { group in
            group.addTask {
                try await serviceGroup.run()
                return nil
            }
            let client = HTTPClient(eventLoopGroupProvider: .singleton)
            do {
                try await waitUntilServing(baseURL, client: client)
                log("API (release build, in-process) on \(baseURL); \(options.samples) samples per query kind")
                let kinds = QueryBench.kinds(plan, samples, samples: options.samples)
                let queries = try await QueryBench.run(kinds, baseURL: baseURL, client: client)
                let stream = try await StreamBench.run(
                    wsURL: "ws://127.0.0.1:\(port)/api/v1/events/stream", clients: options.clients,
                    events: options.streamEvents, interval: options.streamInterval,
                    workflowID: samples.workflows[0], database: database,
                    redisURL: configuration.shared.redisURL, channel: channel, logger: logger)
                try await client.shutdown()
                await serviceGroup.triggerGracefulShutdown()
                return Report(load: load, queries: queries, stream: stream, postgresVersion: postgresVersion)
            } catch {
                try? await client.shutdown()
                await serviceGroup.triggerGracefulShutdown()
                throw error
            }
        }
    }

    /// Prints the table and appends the JSON lines.
    static func record(_ report: Report, options: Options, database: DatabaseConfiguration, logger: Logger) throws {
        let date = ISO8601DateFormatter().string(from: Date())
        let info = ProcessInfo.processInfo
        let machine =
            "\(info.activeProcessorCount) cores, \(info.physicalMemory >> 30) GiB, PostgreSQL \(report.postgresVersion)"
        let load = report.load
        print("")
        print("Event Store API benchmark — \(date) — \(machine)")
        print(
            "store: \(load.events) events, \(load.workflows) workflows, \(load.sessions) sessions; events table "
                + "\(load.tableBytes >> 20) MiB (\(load.totalBytes >> 20) MiB with indexes); insert "
                + "\(format(load.insert)) (\(Int(Double(load.events) / load.insert.seconds)) rows/s), projections "
                + "\(format(load.projections)), VACUUM ANALYZE \(format(load.vacuumAnalyze))")
        print("")
        let header = "query kind".padding(toLength: 46, withPad: " ", startingAt: 0)
        print("\(header)     n    p50 ms    p95 ms    p99 ms    max ms   bytes")
        let rows = report.queries + [report.stream.commit, report.stream.latency]
        for stats in rows {
            let name = stats.name.padding(toLength: 46, withPad: " ", startingAt: 0)
            print(
                name
                    + String(
                        format: " %5d %9.2f %9.2f %9.2f %9.2f %7d", stats.count, stats.p50, stats.p95, stats.p99,
                        stats.max, stats.meanBytes))
        }
        print(
            "stream: \(report.stream.delivered) of \(report.stream.expected) frames delivered "
                + "(\(options.clients) clients × \(options.streamEvents) events, one commit every "
                + "\(format(options.streamInterval)))")
        let failures = report.queries.filter { $0.statuses.keys.contains { $0 != 200 } }
        for stats in failures { print("WARNING: \(stats.name) answered \(stats.statuses)") }

        guard let path = options.results else { return }
        var lines: [String] = []
        func line(_ fields: [(String, JSONField)]) -> String {
            let common: [(String, JSONField)] = [
                ("date", .string(date)), ("machine", .string(machine)), ("label", .string(options.label)),
                ("events", .int(load.events)),
            ]
            return "{" + (common + fields).map { "\"\($0.0)\":\($0.1.text)" }.joined(separator: ",") + "}"
        }
        lines.append(
            line([
                ("metric", .string("load")), ("workflows", .int(load.workflows)), ("sessions", .int(load.sessions)),
                ("insert_s", .double(load.insert.seconds)), ("projections_s", .double(load.projections.seconds)),
                ("vacuum_analyze_s", .double(load.vacuumAnalyze.seconds)),
                ("table_mib", .int(Int(load.tableBytes >> 20))), ("total_mib", .int(Int(load.totalBytes >> 20))),
            ]))
        for stats in rows {
            var fields: [(String, JSONField)] = [
                ("metric", .string(stats.name)), ("samples", .int(stats.count)), ("p50_ms", .double(stats.p50)),
                ("p95_ms", .double(stats.p95)), ("p99_ms", .double(stats.p99)), ("max_ms", .double(stats.max)),
            ]
            if stats.meanBytes > 0 { fields.append(("mean_bytes", .int(stats.meanBytes))) }
            if stats.name == report.stream.latency.name {
                fields.append(("clients", .int(options.clients)))
                fields.append(("frames_expected", .int(report.stream.expected)))
                fields.append(("frames_delivered", .int(report.stream.delivered)))
            }
            lines.append(line(fields))
        }
        let data = Data((lines.joined(separator: "\n") + "\n").utf8)
        if let handle = FileHandle(forWritingAtPath: path) {
            handle.seekToEndOfFile()
            handle.write(data)
            try handle.close()
        } else {
            try data.write(to: URL(fileURLWithPath: path))
        }
        log("appended \(lines.count) lines to \(path)")
    }

    enum JSONField {
        case string(String)
        case int(Int)
        case double(Double)

        var text: String {
            switch self {
            case .string(let value):
                return "\""
                    + value.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
                    + "\""
            case .int(let value): return String(value)
            case .double(let value): return value.isFinite ? String(format: "%.3f", value) : "null"
            }
        }
    }

    static func execute(_ sql: String, on database: DatabaseConfiguration, logger: Logger) async throws {
        _ = try await database.withConnection(logger: logger) { connection in
            try await connection.query(PostgresQuery(unsafeSQL: sql), logger: logger)
        }
    }

    /// A loopback port nobody listens on (bound to port 0, then released).
    static func freePort() async throws -> Int {
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .bind(host: "127.0.0.1", port: 0).get()
        let port = channel.localAddress?.port ?? 0
        try await channel.close()
        guard port > 0 else { throw BenchError("no free port") }
        return port
    }

    static func waitUntilServing(_ baseURL: String, client: HTTPClient) async throws {
        for _ in 0..<100 {
            if let response = try? await client.execute(
                HTTPClientRequest(url: baseURL + "/api/v1/events?limit=1"), timeout: .seconds(5)),
                response.status == .ok
            {
                _ = try await response.body.collect(upTo: 1 << 20)
                return
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw BenchError("the API did not answer at \(baseURL)")
    }
}
