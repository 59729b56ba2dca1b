import AMQPClient
import Bloodbank
import BloodbankModel
import CandystoreOps
import EventStoreManager
import Foundation
import NIOCore
import PostgresNIO
import Testing

/// The Event Store Manager end to end on the real servers: exactly-once storage under duplicates and
/// redeliveries, gapless positions, poison messages to the DLQ with reasons.
@Suite(.serialized) struct ManagerIntegrationTests {
    static func payload(workflow: UUID, index: Int) -> JSONObject {
        [
            "workflow_id": .string(BloodbankUUID.format(workflow)), "phase": "analysis",
            "summary": .string("step \(index)"),
        ]
    }

    @Test func tenThousandEventsWithDuplicatesAndRedeliveriesAreStoredExactlyOnce() async throws {
        try await ManagerHarness.with { harness in
            // 100 workflows of 100 events: realistic sizes for the projections (which recompute a workflow per
            // batch); the subject here is exactly-once storage.
            let workflows = (0..<100).map { _ in UUID() }
            let envelopes = try (0..<10_000).map { index in
                try EventEnvelope(
                    eventType: "bmad.workflow.phase.completed",
                    payload: Self.payload(workflow: workflows[index % 100], index: index),
                    source: EventSource(host: "test", type: "test", app: "tests"))
            }
            try await harness.runningManager { manager in
                try await harness.withPublisher { publisher, amqp in
                    // First half, then force-close the manager's connection (unacked deliveries come back
                    // redelivered), then the second half plus 1,000 re-published duplicates.
                    try await Self.publishAll(envelopes[0..<5_000], with: publisher)
                    try await harness.waitUntil(timeout: .seconds(180), "some events stored") {
                        manager.statistics.stored > 1_000
                    }
                    for connection in try await harness.management.connections()
                    where connection.clientProvidedName == "test-manager-\(harness.id)" {
                        try await harness.management.closeConnection(named: connection.name)
                    }
                    try await Self.publishAll(envelopes[5_000...], with: publisher)
                    try await Self.publishAll(envelopes[0..<500] + envelopes[9_500...], with: publisher)
                    try await harness.waitUntil(timeout: .seconds(300), "all 10,000 stored") {
                        try await harness.eventCount() >= 10_000 && manager.statistics.duplicates >= 1_000
                    }
                }
            }
            #expect(try await harness.eventCount() == 10_000)
            #expect(try await harness.positions() == Array(1...10_000))
            let dlq = try await harness.management.queue(named: harness.topology.managerDeadLetterQueueName)
            #expect(dlq?.messages ?? 0 == 0)
            let distinct = try await IntegrationEnvironment.rows(
                "SELECT count(DISTINCT event_id), count(DISTINCT workflow_id), count(*) FILTER (WHERE workflow_id IS NULL) FROM events",
                in: harness.database)
            let (ids, workflowCount, withoutWorkflow) = try distinct[0].decode((Int, Int, Int).self)
            #expect(ids == 10_000 && workflowCount == 100 && withoutWorkflow == 0)
        }
    }

    @Test func poisonMessagesGoToTheDeadLetterQueueWithReasons() async throws {
        try await ManagerHarness.with { harness in
            let workflow = UUID()
            let good = try (0..<4).map { index in
                try EventEnvelope(
                    eventType: "bmad.workflow.phase.completed", payload: Self.payload(workflow: workflow, index: index),
                    source: EventSource(host: "test", type: "test", app: "tests"))
            }
            let badPayload = try EventEnvelope(
                eventType: "bmad.workflow.started", payload: ["project_name": "no workflow id"],
                source: EventSource(host: "test", type: "test", app: "tests"))
            var missingType = good[0].jsonValue.objectValue!
            missingType["event_type"] = nil
            missingType["event_id"] = .string(BloodbankUUID.format(UUID()))
            let missingTypeBytes = JSONValue.object(missingType).encodedBytes()
            // Over MAX_EVENT_BYTES (1 MiB by default), otherwise a perfectly valid event: too_large, never parsed.
            let huge = try EventEnvelope(
                eventType: "demo.huge.event", payload: ["blob": .string(String(repeating: "x", count: 1_100_000))],
                source: EventSource(host: "test", type: "test", app: "tests"))
            // A handoff to an agent with an empty name (issue 14: it created a Letta agent named "").
            let nameless = try EventEnvelope(
                eventType: "bmad.workflow.handoff.requested",
                payload: [
                    "workflow_id": .string(BloodbankUUID.format(workflow)), "from_agent": "bmad-pm", "to_agent": "",
                ],
                source: EventSource(host: "test", type: "test", app: "tests"))
            try await harness.runningManager { manager in
                try await harness.withPublisher { publisher, amqp in
                    try await publisher.publish(good[0])
                    try await harness.publishRaw(Array("{not json".utf8), routingKey: "bad.json", amqp: amqp)
                    try await publisher.publish(good[1])
                    try await harness.publishRaw(
                        missingTypeBytes, routingKey: "bad.envelope", amqp: amqp)
                    try await publisher.publish(good[2])
                    try await harness.publishRaw(
                        badPayload.encodedBytes(), routingKey: badPayload.eventType, amqp: amqp)
                    try await publisher.publish(good[3])
                    try await harness.publishRaw(huge.encodedBytes(), routingKey: huge.eventType, amqp: amqp)
                    try await harness.publishRaw(nameless.encodedBytes(), routingKey: nameless.eventType, amqp: amqp)
                    try await harness.waitUntil("4 stored and 5 dead-lettered") {
                        manager.statistics.stored == 4 && manager.statistics.deadLettered == 5
                    }
                }
            }
            #expect(try await harness.eventCount() == 4)
            // Read the DLQ: every message carries the error code and a reason.
            let reasons = try await harness.withPublisher { _, amqp in
                try await amqp.withChannel { channel in
                    var found: [String: String] = [:]
                    while let message = try await channel.basicGet(
                        queue: harness.topology.managerDeadLetterQueueName, noAck: true)
                    {
                        let code = message.properties.headers?["x-candystore-error"]
                        let reason = message.properties.headers?["x-candystore-reason"]
                        if case .string(let code)? = code, case .string(let reason)? = reason {
                            found[code, default: ""] += reason + "\n"
                        }
                    }
                    return found
                }
            }
            #expect(Set(reasons.keys) == ["invalid_json", "invalid_envelope", "invalid_payload", "too_large"])
            #expect(reasons["invalid_payload"]?.contains("workflow_id") == true)
            #expect(reasons["invalid_payload"]?.contains("payload.to_agent: expected a name") == true)
            #expect(reasons["too_large"]?.contains("the limit is 1048576 bytes") == true)
            #expect(reasons["invalid_envelope"]?.contains("event_type") == true)
        }
    }

    static func publishAll(_ envelopes: some Collection<EventEnvelope>, with publisher: BloodbankPublisher) async throws
    {
        // Pipelined: up to 200 confirms outstanding.
        try await withThrowingTaskGroup(of: Void.self) { group in
            var inFlight = 0
            for envelope in envelopes {
                if inFlight == 200 {
                    try await group.next()
                    inFlight -= 1
                }
                group.addTask { try await publisher.publish(envelope) }
                inFlight += 1
            }
            try await group.waitForAll()
        }
    }
}
