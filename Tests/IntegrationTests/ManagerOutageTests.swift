import AMQPClient
import Bloodbank
import BloodbankModel
import CandystoreOps
import EventStore
import EventStoreManager
import Foundation
import Testing

/// Outages of the real servers while the manager ingests: nothing lost, nothing stored twice.
///
/// These tests stop and start the shared PostgreSQL, RabbitMQ and Redis (through `scripts/dev`), so
/// `scripts/test` runs them on their own, after every other suite (`--filter OutageTests`).
@Suite(.serialized) struct ManagerOutageTests {
    static let repository = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// Runs `scripts/dev <arguments>` and fails the test if it fails.
    static func dev(_ arguments: String...) async throws {
        try await ChildProcess.run(
            repository.appendingPathComponent("scripts/dev").path, arguments, currentDirectory: repository.path)
    }

    /// `count` phase events spread over 100 workflows (realistic workflow sizes for the projections).
    static func envelopes(_ count: Int) throws -> [EventEnvelope] {
        let workflows = (0..<100).map { _ in UUID() }
        return try (0..<count).map { index in
            try EventEnvelope(
                eventType: "bmad.workflow.phase.completed",
                payload: [
                    "workflow_id": .string(BloodbankUUID.format(workflows[index % workflows.count])),
                    "phase": "implementation",
                    "summary": .string("step \(index)"),
                ],
                source: EventSource(host: "test", type: "test", app: "outage-tests"))
        }
    }

    /// Publishes every envelope until the broker confirmed it, retrying through outages (at-least-once).
    static func publishUntilConfirmed(_ envelopes: [EventEnvelope], with publisher: BloodbankPublisher) async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            var inFlight = 0
            for envelope in envelopes {
                if inFlight == 100 {
                    try await group.next()
                    inFlight -= 1
                }
                group.addTask {
                    let deadline = ContinuousClock.now + .seconds(180)
                    while true {
                        do {
                            try await publisher.publish(envelope)
                            return
                        } catch {
                            if ContinuousClock.now > deadline { throw error }
                            try await Task.sleep(for: .milliseconds(200))
                        }
                    }
                }
                inFlight += 1
            }
            try await group.waitForAll()
        }
    }

    static func expectExactlyOnce(_ harness: ManagerHarness, count: Int) async throws {
        try await harness.waitUntil(timeout: .seconds(180), "\(count) events stored") {
            try await harness.eventCount() >= count
        }
        try await Task.sleep(for: .seconds(1))
        #expect(try await harness.eventCount() == count)
        #expect(try await harness.positions() == Array(1...Int64(count)))
        let dlq = try await harness.management.queue(named: harness.topology.managerDeadLetterQueueName)
        #expect(dlq?.messages ?? 0 == 0)
    }

    @Test func rabbitMQRestartedMidStream() async throws {
        try await ManagerHarness.with { harness in
            let events = try Self.envelopes(10_000)
            // Everything is published (and confirmed) first; the broker is then restarted while the manager is
            // still working through the backlog, with deliveries in flight and unacknowledged.
            try await harness.withPublisher { publisher, _ in
                try await Self.publishUntilConfirmed(events, with: publisher)
            }
            try await harness.runningManager { manager in
                try await harness.waitUntil("a first part stored") { manager.statistics.stored >= 1_000 }
                let storedBeforeRestart = manager.statistics.stored
                #expect(storedBeforeRestart < 10_000, "the restart should happen mid-stream")
                try await Self.dev("stop", "rabbitmq")
                try await Task.sleep(for: .seconds(2))
                try await Self.dev("start", "rabbitmq")
                try await Self.expectExactlyOnce(harness, count: 10_000)
            }
        }
    }

    @Test func postgresStoppedForTenSecondsMidStream() async throws {
        try await ManagerHarness.with { harness in
            let events = try Self.envelopes(3_000)
            try await harness.runningManager { manager in
                try await harness.withPublisher { publisher, _ in
                    async let publishing: Void = Self.publishUntilConfirmed(events, with: publisher)
                    try await harness.waitUntil("a first part stored") { manager.statistics.stored >= 500 }
                    try await Self.dev("stop", "postgres")
                    try await Task.sleep(for: .seconds(10))
                    try await Self.dev("start", "postgres")
                    try await publishing
                    try await Self.expectExactlyOnce(harness, count: 3_000)
                }
            }
        }
    }

    @Test func redisDownDoesNotBlockPersistence() async throws {
        try await ManagerHarness.with { harness in
            let events = try Self.envelopes(500)
            try await Self.dev("stop", "redis")
            do {
                try await harness.runningManager { _ in
                    try await harness.withPublisher { publisher, _ in
                        try await Self.publishUntilConfirmed(events, with: publisher)
                        try await Self.expectExactlyOnce(harness, count: 500)
                    }
                }
                try await Self.dev("start", "redis")
            } catch {
                try? await Self.dev("start", "redis")
                throw error
            }
        }
    }

    @Test func managerKilledWithSIGKILLMidStreamStoresEverythingOnce() async throws {
        try await ManagerHarness.with { harness in
            let binary = Self.repository.appendingPathComponent(".build/debug/candystore").path
            #expect(FileManager.default.isExecutableFile(atPath: binary), "build the candystore binary first")
            var environment = ProcessInfo.processInfo.environment
            environment["DATABASE_URL"] =
                "postgres://\(harness.database.username):\(harness.database.password ?? "")@\(harness.database.host):\(harness.database.port)/\(harness.database.database)"
            environment["BLOODBANK_EXCHANGE"] = harness.topology.exchange
            environment["BLOODBANK_DLX"] = harness.topology.deadLetterExchange
            environment["BLOODBANK_QUEUE_PREFIX"] = harness.topology.queuePrefix
            environment["REDIS_STREAM_CHANNEL"] = "test:\(harness.id):stream"
            environment["MANAGER_PORT"] = "0"
            environment["LOG_LEVEL"] = "warning"
            let settings = environment
            @Sendable func launch() throws -> ChildProcess {
                try ChildProcess.spawn(
                    binary, ["manager"], environment: settings, currentDirectory: Self.repository.path)
            }
            let events = try Self.envelopes(20_000)
            let first = try launch()
            try await harness.withPublisher { publisher, _ in
                async let publishing: Void = Self.publishUntilConfirmed(events, with: publisher)
                try await harness.waitUntil(timeout: .seconds(120), "part of the stream stored") {
                    try await harness.eventCount() >= 4_000
                }
                first.kill(SIGKILL)
                #expect(try await first.wait() == .signalled(SIGKILL))
                let stored = try await harness.eventCount()
                #expect(stored < 20_000)
                let second = try launch()
                do {
                    try await publishing
                    try await Self.expectExactlyOnce(harness, count: 20_000)
                } catch {
                    second.kill(SIGKILL)
                    _ = try? await second.wait()
                    throw error
                }
                // A graceful stop (SIGTERM) of the restarted manager must end it cleanly.
                second.kill(SIGTERM)
                #expect(try await second.wait() == .exited(0))
            }
        }
    }
}
