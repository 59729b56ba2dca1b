import AMQPClient
import ArgumentParser
import Bloodbank
import BloodbankModel
import CandystoreOps
import CoreMetrics
import EventStore
import EventStoreManager
import Foundation
import Logging
import NIOConcurrencyHelpers
import NIOCore
import PostgresNIO
import RedisClient
import ServiceLifecycle

/// Ingest benchmark of the Event Store Manager on the real servers (see bench/README.md).
///
/// It runs a real manager in-process against its own scratch database and its own uniquely named exchange and
/// queues (nothing of the running system is touched), then measures:
/// 1. sustained throughput: a backlog of `--backlog` events waits in the queue, the manager starts and drains
///    it; events stored per second;
/// 2. latency at fixed offered rates (`--rates`): events published at that rate for `--seconds`; per event the
///    manager's own receive→commit time (from the delivery's arrival, batching wait included, to the commit of
///    its transaction) and publish→announce (from the publisher's send to the event's arrival on the Redis
///    stream, i.e. what a live reader sees), as p50/p95/p99/max.
///
/// Prints a table and one JSON line per measurement; `bench/ingest/run` appends them to bench/results/ingest.jsonl.
@main
struct IngestBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ingest-bench", abstract: "Event Store Manager throughput and latency on the real servers.")

    @Option(help: "Events queued before the manager starts (sustained throughput run); 0 skips it.")
    var backlog = 50_000
    @Option(help: "Offered rates in events per second, comma-separated.")
    var rates = "250,1000,2000"
    @Option(help: "Seconds per offered rate.")
    var seconds = 20
    @Option(help: "Workflows the events are spread over.")
    var workflows = 100
    @Option(help: "Manager batch size (MANAGER_BATCH_SIZE).")
    var batchSize = 500
    @Option(help: "Manager batch wait in ms (MANAGER_BATCH_MAX_WAIT_MS).")
    var batchWaitMs = 20
    @Option(help: "Manager prefetch (MANAGER_PREFETCH).")
    var prefetch = 1000

    func run() async throws {
        let capture = LatencyCapture()
        MetricsSystem.bootstrap(CaptureMetricsFactory(capture: capture))
        var logger = Logger(label: "ingest-bench")
        logger.logLevel = .warning
        let configuration = try CandystoreConfiguration(settings: try Settings.load())
        let offered = try rates.split(separator: ",").map { text in
            guard let rate = Int(text.trimmingCharacters(in: .whitespaces)), rate > 0 else {
                throw ValidationError("--rates: '\(text)' is not a positive number")
            }
            return rate
        }
        let id = String(UUID().uuidString.lowercased().prefix(8))
        let bench = Bench(
            id: id, configuration: configuration, capture: capture, workflowIDs: (0..<workflows).map { _ in UUID() },
            logger: logger)
        print(
            "ingest-bench \(id): \(ProcessInfo.processInfo.activeProcessorCount) cores, batch \(batchSize), "
                + "wait \(batchWaitMs) ms, prefetch \(prefetch), \(workflows) workflows")
        var manager = ManagerConfiguration(topology: bench.topology)
        manager.batchSize = batchSize
        manager.batchMaxWait = .milliseconds(batchWaitMs)
        manager.prefetch = UInt16(clamping: prefetch)
        manager.streamChannel = bench.streamChannel
        let managerConfiguration = manager
        try await bench.withScratchDatabase { database in
            try await bench.withTopology {
                if backlog > 0 {
                    let result = try await bench.sustained(
                        count: backlog, manager: managerConfiguration, database: database)
                    Report.print(result)
                }
                for rate in offered {
                    let result = try await bench.fixedRate(
                        rate: rate, seconds: seconds, manager: managerConfiguration, database: database)
                    Report.print(result)
                }
            }
        }
    }
}

/// One measurement, printed as a table row and as a JSON line.
struct Measurement: Sendable {
    var name: String
    var fields: [(String, Double)]
}

enum Report {
    static func print(_ measurement: Measurement) {
        let text = measurement.fields.map { "\($0.0)=\(format($0.1))" }.joined(separator: "  ")
        Swift.print("\(measurement.name.padding(toLength: 22, withPad: " ", startingAt: 0)) \(text)")
        var json = "{\"bench\":\"ingest\",\"run\":\"\(measurement.name)\""
        for (key, value) in measurement.fields { json += ",\"\(key)\":\(format(value))" }
        Swift.print("JSON " + json + "}")
    }

    static func format(_ value: Double) -> String {
        value == value.rounded() && abs(value) < 1e15 ? String(Int64(value)) : String(format: "%.2f", value)
    }

    /// Nearest-rank percentile of sorted values.
    static func percentile(_ sorted: [Double], _ p: Double) -> Double {
        guard !sorted.isEmpty else { return .nan }
        let rank = Int((p / 100 * Double(sorted.count)).rounded(.up)) - 1
        return sorted[min(max(rank, 0), sorted.count - 1)]
    }

    static func latencyFields(_ prefix: String, milliseconds values: [Double]) -> [(String, Double)] {
        let sorted = values.sorted()
        return [
            ("\(prefix)_p50_ms", percentile(sorted, 50)), ("\(prefix)_p95_ms", percentile(sorted, 95)),
            ("\(prefix)_p99_ms", percentile(sorted, 99)), ("\(prefix)_max_ms", sorted.last ?? .nan),
        ]
    }
}

/// The resources of one run and the two measurements.
struct Bench: Sendable {
    let id: String
    let configuration: CandystoreConfiguration
    let capture: LatencyCapture
    let workflowIDs: [UUID]
    let logger: Logger

    var topology: BloodbankTopology {
        BloodbankTopology(
            exchange: "bench.\(id).events", deadLetterExchange: "bench.\(id).dlx", queuePrefix: "bench_\(id)_")
    }
    var streamChannel: String { "bench:\(id):stream" }

    func withScratchDatabase(_ body: (DatabaseConfiguration) async throws -> Void) async throws {
        let name = "candystore_bench_\(id)"
        let admin = configuration.database.with(database: "postgres")
        try await admin.withConnection(logger: logger) { connection in
            _ = try await connection.query(PostgresQuery(unsafeSQL: "CREATE DATABASE \(name)"), logger: logger)
        }
        let database = configuration.database.with(database: name)
        do {
            try await MigrationRunner(
                database: database, migrations: try Migration.load(from: configuration.migrationsDirectory),
                logger: logger
            ).up()
            try await body(database)
        } catch {
            try? await drop(name, admin: admin)
            throw error
        }
        try await drop(name, admin: admin)
    }

    private func drop(_ name: String, admin: DatabaseConfiguration) async throws {
        try await admin.withConnection(logger: logger) { connection in
            _ = try await connection.query(
                PostgresQuery(unsafeSQL: "DROP DATABASE IF EXISTS \(name) WITH (FORCE)"), logger: logger)
        }
    }

    /// Declares the bench's exchanges and queues, runs `body`, deletes them.
    func withTopology(_ body: () async throws -> Void) async throws {
        try await withAMQP(name: "ingest-bench-setup") { amqp in try await topology.declare(on: amqp) }
        do {
            try await body()
        } catch {
            await deleteTopology()
            throw error
        }
        await deleteTopology()
    }

    private func deleteTopology() async {
        try? await withAMQP(name: "ingest-bench-cleanup") { amqp in
            for queue in topology.queues { _ = try? await amqp.queueDelete(queue.name) }
            try? await amqp.exchangeDelete(topology.exchange)
            try? await amqp.exchangeDelete(topology.deadLetterExchange)
        }
    }

    /// Runs an AMQP client while `body` runs.
    func withAMQP<T: Sendable>(name: String, _ body: @Sendable (AMQPClient) async throws -> T) async throws -> T {
        var amqpConfiguration = try AMQPConfiguration(url: configuration.rabbitMQURL)
        amqpConfiguration.connectionName = "\(name)-\(id)"
        let amqp = AMQPClient(configuration: amqpConfiguration, logger: logger)
        return try await withThrowingTaskGroup(of: T?.self) { group in
            group.addTask {
                try await amqp.run()
                return nil
            }
            defer { group.cancelAll() }
            return try await body(amqp)
        }
    }

    /// A realistic event: a phase completion of one of the workflows, about 400 bytes on the wire.
    func envelope(_ index: Int) throws -> EventEnvelope {
        let envelope = try EventEnvelope(
            eventType: "bmad.workflow.phase.completed",
            payload: [
                "workflow_id": .string(BloodbankUUID.format(workflowIDs[index % workflowIDs.count])),
                "phase": "planning", "next_phase": "solutioning", "from_agent": "bmad-pm",
                "summary": .string("step \(index) of the ingest benchmark"),
            ],
            source: EventSource(host: "bench", type: "benchmark", app: "ingest-bench"))
        // An invalid event would be dead-lettered and the run would wait for it forever: fail here instead.
        _ = try EventValidator().validate(envelope)
        return envelope
    }

    func publish(_ envelope: EventEnvelope, on amqp: AMQPClient) async throws {
        let confirm = try await amqp.basicPublish(
            exchange: topology.exchange, routingKey: envelope.eventType,
            body: ByteBuffer(bytes: envelope.encodedBytes()),
            properties: AMQPProperties(
                contentType: "application/json", deliveryMode: 2,
                messageID: BloodbankUUID.format(envelope.eventID)))
        guard case .ack = confirm else { throw ValidationError("publish not acknowledged: \(confirm)") }
    }

    /// Runs a manager (with its own AMQP, PostgreSQL and Redis clients) while `body` runs, then stops it.
    func withManager<T: Sendable>(
        _ configuration: ManagerConfiguration, database: DatabaseConfiguration,
        _ body: @Sendable (EventStoreManager) async throws -> T
    ) async throws -> T {
        var amqpConfiguration = try AMQPConfiguration(url: self.configuration.rabbitMQURL)
        amqpConfiguration.connectionName = "ingest-bench-manager-\(id)"
        let amqp = AMQPClient(configuration: amqpConfiguration, logger: logger)
        let postgres = PostgresClient(configuration: database.clientConfiguration, backgroundLogger: logger)
        let redis = RedisClient(
            configuration: try RedisClient.Configuration(url: self.configuration.redisURL), logger: logger)
        let manager = EventStoreManager(
            configuration: configuration, amqp: amqp,
            writer: EventWriter(client: postgres, logger: logger), stream: redis,
            topology: topology, logger: logger)
        return try await withRunningServices([postgres, redis, amqp, manager], logger: logger) {
            try await body(manager)
        }
    }

    /// Queue `count` events, start the manager, time the drain.
    func sustained(count: Int, manager: ManagerConfiguration, database: DatabaseConfiguration) async throws
        -> Measurement
    {
        let envelopes = try (0..<count).map(envelope)
        let clock = ContinuousClock()
        let publishStart = clock.now
        try await withAMQP(name: "ingest-bench-publisher") { amqp in
            try await withThrowingTaskGroup(of: Void.self) { group in
                for (index, envelope) in envelopes.enumerated() {
                    if index >= 500 { try await group.next() }
                    group.addTask { try await publish(envelope, on: amqp) }
                }
                try await group.waitForAll()
            }
        }
        let publishSeconds = (clock.now - publishStart).seconds
        capture.reset()
        let drainStart = clock.now
        try await withManager(manager, database: database) { manager in
            while manager.statistics.stored < count {
                try await Task.sleep(for: .milliseconds(5))
            }
        }
        let drainSeconds = (clock.now - drainStart).seconds
        let stored = try await rowCount(database)
        guard stored == count else { throw ValidationError("expected \(count) rows, found \(stored)") }
        try await truncate(database)
        return Measurement(
            name: "sustained",
            fields: [
                ("events", Double(count)), ("publish_per_s", Double(count) / publishSeconds),
                ("drain_s", drainSeconds), ("ingest_per_s", Double(count) / drainSeconds),
            ] + Report.latencyFields("receive_to_commit", milliseconds: capture.take()))
    }

    /// Offer `rate` events per second for `seconds` to a running manager.
    func fixedRate(rate: Int, seconds: Int, manager: ManagerConfiguration, database: DatabaseConfiguration)
        async throws -> Measurement
    {
        let total = rate * seconds
        let envelopes = try (0..<total).map(envelope)
        let sent = NIOLockedValueBox([String: ContinuousClock.Instant]())
        let clock = ContinuousClock()
        let redis = RedisClient(
            configuration: try RedisClient.Configuration(url: configuration.redisURL), logger: logger)
        capture.reset()
        let (announced, elapsed) = try await withManager(manager, database: database) { manager in
            try await withThrowingTaskGroup(of: [Double]?.self) { tasks in
                tasks.addTask {
                    do { try await redis.run() } catch is CancellationError {}
                    return nil
                }
                let subscribed = AsyncStream<Void>.makeStream()
                tasks.addTask {
                    try? await redis.withSubscription(channels: [streamChannel]) { subscription in
                        var latencies: [Double] = []
                        latencies.reserveCapacity(total)
                        for try await event in subscription {
                            switch event {
                            case .subscribed: subscribed.continuation.finish()
                            case .disconnected: continue
                            case .message(_, let payload):
                                let now = clock.now
                                guard let id = Self.eventID(payload), let start = sent.withLockedValue({ $0[id] })
                                else { continue }
                                latencies.append((now - start).seconds * 1000)
                                if latencies.count == total { return latencies }
                            }
                        }
                        return latencies
                    }
                }
                for await _ in subscribed.stream {}
                let start = clock.now
                try await withAMQP(name: "ingest-bench-publisher") { amqp in
                    // Paced publishing: every 10 ms, the events due by then go out (pipelined, confirmed).
                    try await withThrowingTaskGroup(of: Void.self) { group in
                        var next = 0
                        var tick = 0
                        while next < total {
                            tick += 1
                            let due = min(total, Int(Double(rate) * Double(tick) / 100))
                            while next < due {
                                let envelope = envelopes[next]
                                sent.withLockedValue { $0[BloodbankUUID.format(envelope.eventID)] = clock.now }
                                group.addTask { try await publish(envelope, on: amqp) }
                                next += 1
                            }
                            try await clock.sleep(until: start + .milliseconds(10 * tick))
                        }
                        try await group.waitForAll()
                    }
                }
                let publishElapsed = clock.now - start
                // Every event must be stored; then the stream has a few seconds to deliver the last announcements.
                let deadline = clock.now + .seconds(120)
                while manager.statistics.stored < total, clock.now < deadline {
                    try await Task.sleep(for: .milliseconds(10))
                }
                tasks.addTask {
                    try? await Task.sleep(for: .seconds(5))
                    return []
                }
                var announced: [Double] = []
                while let result = try await tasks.next() {
                    guard let latencies = result else { continue }
                    if announced.isEmpty { announced = latencies }
                    tasks.cancelAll()
                }
                return (announced, publishElapsed)
            }
        }
        let stored = try await rowCount(database)
        guard stored == total else { throw ValidationError("expected \(total) rows, found \(stored)") }
        try await truncate(database)
        return Measurement(
            name: "rate_\(rate)",
            fields: [("offered_per_s", Double(rate)), ("achieved_per_s", Double(total) / elapsed.seconds)]
                + Report.latencyFields("receive_to_commit", milliseconds: capture.take())
                + Report.latencyFields("publish_to_stream", milliseconds: announced))
    }

    static func eventID(_ payload: ByteBuffer) -> String? {
        guard case .object(let object) = try? JSONValue(parsing: String(buffer: payload)) else { return nil }
        return object["event_id"]?.stringValue
    }

    func rowCount(_ database: DatabaseConfiguration) async throws -> Int {
        try await database.withConnection(logger: logger) { connection in
            var count = 0
            for try await row in try await connection.query("SELECT count(*) FROM events", logger: logger) {
                count = try row.decode(Int.self)
            }
            return count
        }
    }

    /// Empties the store between runs so each starts from the same state (positions restart too).
    func truncate(_ database: DatabaseConfiguration) async throws {
        try await database.withConnection(logger: logger) { connection in
            _ = try await connection.query(
                "TRUNCATE events, workflow_state, agent_sessions RESTART IDENTITY CASCADE", logger: logger)
        }
    }
}

extension Duration {
    var seconds: Double {
        let (seconds, attoseconds) = components
        return Double(seconds) + Double(attoseconds) / 1e18
    }
}

/// Receive→commit samples (milliseconds) recorded by the manager's `candystore_receive_to_commit_seconds` timer.
final class LatencyCapture: Sendable {
    private let values = NIOLockedValueBox([Double]())

    func record(nanoseconds: Int64) {
        values.withLockedValue { $0.append(Double(nanoseconds) / 1e6) }
    }

    func reset() { values.withLockedValue { $0.removeAll() } }

    func take() -> [Double] {
        values.withLockedValue { values in
            defer { values.removeAll() }
            return values
        }
    }
}

/// A metrics backend that keeps the manager's receive→commit samples and ignores everything else.
struct CaptureMetricsFactory: MetricsFactory {
    let capture: LatencyCapture

    func makeCounter(label: String, dimensions: [(String, String)]) -> any CounterHandler {
        NOOPMetricsHandler.instance
    }
    func makeRecorder(label: String, dimensions: [(String, String)], aggregate: Bool) -> any RecorderHandler {
        NOOPMetricsHandler.instance
    }
    func makeTimer(label: String, dimensions: [(String, String)]) -> any TimerHandler {
        label == "candystore_receive_to_commit_seconds" ? CaptureTimer(capture: capture) : NOOPMetricsHandler.instance
    }
    func destroyCounter(_ handler: any CounterHandler) {}
    func destroyRecorder(_ handler: any RecorderHandler) {}
    func destroyTimer(_ handler: any TimerHandler) {}
}

final class CaptureTimer: TimerHandler {
    let capture: LatencyCapture
    init(capture: LatencyCapture) { self.capture = capture }
    func recordNanoseconds(_ duration: Int64) { capture.record(nanoseconds: duration) }
}
