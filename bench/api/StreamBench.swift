import BloodbankModel
import EventStore
import Foundation
import HummingbirdWSClient
import Logging
import NIOConcurrencyHelpers
import NIOWebSocket
import PostgresNIO
import RedisClient

/// Commit → WebSocket frame latency: `clients` stream clients are connected (each has sent a subscribe frame
/// and got its acknowledgement); then `events` events are committed one by one with the real `EventWriter`
/// (one transaction each, projections included) and announced on the bench's Redis channel the way the
/// manager does. Each client timestamps every event frame on arrival; latency = arrival − the instant the
/// writer's commit returned.
enum StreamBench {
    struct Result {
        let latency: LatencyStats
        let expected: Int
        let delivered: Int
        let commit: LatencyStats
    }

    /// Arrivals recorded by the clients: (position, instant).
    final class Arrivals: Sendable {
        let storage = NIOLockedValueBox<[(Int64, ContinuousClock.Instant)]>([])
        let ready = NIOLockedValueBox(0)
    }

    static func run(
        wsURL: String, clients: Int, events: Int, interval: Duration, workflowID: String,
        database: DatabaseConfiguration, redisURL: String, channel: String, logger: Logger
    ) async throws -> Result {
        let clock = ContinuousClock()
        let arrivals = Arrivals()
        let commitTimes = NIOLockedValueBox<[Int64: ContinuousClock.Instant]>([:])
        let commitDurations = NIOLockedValueBox<[Double]>([])
        let postgres = PostgresClient(configuration: database.clientConfiguration, backgroundLogger: logger)
        let writer = EventWriter(client: postgres, logger: logger)
        let redis = try RedisConnection.Configuration(url: redisURL)

        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await postgres.run() }
            for _ in 0..<clients {
                group.addTask {
                    try await client(url: wsURL, expected: events, arrivals: arrivals, logger: logger)
                }
            }
            // Wait until every client is subscribed (its session is registered with the hub and live).
            let deadline = clock.now + .seconds(60)
            while arrivals.ready.withLockedValue({ $0 }) < clients {
                guard clock.now < deadline else { throw BenchError("clients did not subscribe within 60 s") }
                try await Task.sleep(for: .milliseconds(20))
            }
            log("  \(clients) WebSocket clients subscribed; committing \(events) events…")
            try await RedisConnection.withConnection(configuration: redis) { connection in
                let validator = EventValidator()
                for index in 0..<events {
                    let envelope = try EventEnvelope(
                        eventType: "agent.tool.called",
                        payload: [
                            "workflow_id": .string(workflowID), "tool": "bench",
                            "arguments": ["index": .number(JSONNumber(index))],
                        ])
                    let event = try validator.validate(envelope)
                    let started = clock.now
                    let outcome = try await writer.write([event])
                    let committed = clock.now
                    guard let stored = outcome.stored.first else { throw BenchError("event \(index) not stored") }
                    commitTimes.withLockedValue { $0[stored.position] = committed }
                    commitDurations.withLockedValue { $0.append((committed - started).milliseconds) }
                    _ = try await connection.publish(channel: channel, message: ByteBuffer(bytes: stored.jsonBytes()))
                    try await Task.sleep(until: committed + interval)
                }
            }
            // Clients finish when they have every frame; give stragglers 10 s.
            let finished = clock.now + .seconds(10)
            while arrivals.storage.withLockedValue({ $0.count }) < clients * events, clock.now < finished {
                try await Task.sleep(for: .milliseconds(50))
            }
            group.cancelAll()
        }
        let times = commitTimes.withLockedValue { $0 }
        let received = arrivals.storage.withLockedValue { $0 }
        let latencies = received.compactMap { position, arrived in times[position].map { (arrived - $0).milliseconds } }
        return Result(
            latency: LatencyStats(
                name: "stream: commit → frame, \(clients) clients", milliseconds: latencies, bytes: [], statuses: [:]),
            expected: clients * events, delivered: latencies.count,
            commit: LatencyStats(
                name: "stream: EventWriter commit (1 event)", milliseconds: commitDurations.withLockedValue { $0 },
                bytes: [], statuses: [:]))
    }

    /// One stream client: subscribe, wait for the acknowledgement, then timestamp event frames until it has
    /// `expected` of them.
    static func client(url: String, expected: Int, arrivals: Arrivals, logger: Logger) async throws {
        let clock = ContinuousClock()
        try await WebSocketClient.connect(
            url: url, configuration: .init(maxFrameSize: 1 << 20), logger: logger
        ) { inbound, outbound, _ in
            try await outbound.write(.text(#"{"type":"subscribe","filters":{}}"#))
            var received: [(Int64, ContinuousClock.Instant)] = []
            var subscribed = false
            for try await message in inbound.messages(maxSize: 1 << 20) {
                let now = clock.now
                guard case .text(let text) = message else { continue }
                if let position = eventPosition(text) {
                    received.append((position, now))
                    if received.count == expected { break }
                } else if !subscribed, text.hasPrefix(#"{"type":"subscribed""#) {
                    subscribed = true
                    arrivals.ready.withLockedValue { $0 += 1 }
                }
            }
            arrivals.storage.withLockedValue { $0.append(contentsOf: received) }
            try await outbound.close(.normalClosure, reason: nil)
        }
    }

    /// The position of an event frame (`{"type":"event","position":N,…`), read without parsing the body.
    static func eventPosition(_ text: String) -> Int64? {
        let prefix = #"{"type":"event","position":"#
        guard text.hasPrefix(prefix) else { return nil }
        var value: Int64 = 0
        for byte in text.utf8.dropFirst(prefix.utf8.count) {
            guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { break }
            value = value * 10 + Int64(byte - UInt8(ascii: "0"))
        }
        return value
    }
}

/// A benchmark failure with a message.
struct BenchError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
