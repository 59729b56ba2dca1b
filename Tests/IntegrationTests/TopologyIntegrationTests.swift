import Bloodbank
import CandystoreOps
import Foundation
import Testing

/// The Bloodbank topology on the real broker, checked through the management API argument for argument.
@Suite(.serialized) struct TopologyIntegrationTests {
    let configuration = IntegrationEnvironment.configuration

    func client() throws -> RabbitMQManagementClient {
        try RabbitMQManagementClient(url: configuration.rabbitMQManagementURL)
    }

    @Test func declareIsIdempotentAndMatchesTheBrief() async throws {
        let client = try client()
        try await client.declare(configuration.topology)
        try await client.declare(configuration.topology)
        #expect(try await TopologyVerifier(client: client).differences(from: configuration.topology).isEmpty)

        let exchange = try #require(try await client.exchange(named: "bloodbank.events.v1"))
        #expect(exchange.type == "topic" && exchange.durable)
        let dlx = try #require(try await client.exchange(named: "bloodbank.dlx"))
        #expect(dlx.type == "topic" && dlx.durable)

        let manager = try #require(try await client.queue(named: "event_store_manager_queue"))
        #expect(manager.durable)
        #expect(
            manager.arguments == [
                "x-queue-type": .string("classic"), "x-max-length": .int(100_000),
                "x-overflow": .string("reject-publish"), "x-dead-letter-exchange": .string("bloodbank.dlx"),
                "x-dead-letter-routing-key": .string("event_store_manager_dlq"),
            ])
        #expect(
            try await client.bindings(ofQueue: "event_store_manager_queue") == [
                .init(exchange: "bloodbank.events.v1", routingKey: "#")
            ])

        let dlq = try #require(try await client.queue(named: "event_store_manager_dlq"))
        #expect(dlq.arguments == ["x-queue-type": .string("classic"), "x-message-ttl": .int(604_800_000)])
        #expect(
            try await client.bindings(ofQueue: "event_store_manager_dlq") == [
                .init(exchange: "bloodbank.dlx", routingKey: "event_store_manager_dlq")
            ])

        let letta = try #require(try await client.queue(named: "letta_handoff_queue"))
        #expect(letta.arguments["x-queue-type"] == .string("classic"))
        #expect(letta.arguments["x-max-length"] == .int(10_000))
        #expect(
            try await client.bindings(ofQueue: "letta_handoff_queue") == [
                .init(exchange: "bloodbank.events.v1", routingKey: "bmad.workflow.handoff.#")
            ])
        #expect(try await client.queue(named: "letta_handoff_dlq") != nil)
    }

    @Test func verifierReportsEveryDifference() async throws {
        let client = try client()
        try await client.declare(configuration.topology)
        var expected = configuration.topology
        expected.queues[0].arguments["x-max-length"] = .int(5)
        expected.queues[0].arguments["x-extra"] = .string("yes")
        expected.queues[0].bindings.append(.init(exchange: "bloodbank.events.v1", routingKey: "never.bound"))
        expected.exchanges[1].type = "fanout"
        expected.queues.append(.init(name: "candystore_test_absent_queue", durable: true, arguments: [:], bindings: []))
        let differences = try await TopologyVerifier(client: client).differences(from: expected)
        #expect(differences.count == 5, "\(differences)")
        #expect(differences.contains { $0.contains("x-max-length is 100000, expected 5") })
        #expect(differences.contains { $0.contains("x-extra is absent") })
        #expect(differences.contains { $0.contains("never.bound") })
        #expect(differences.contains { $0.contains("type topic, expected fanout") })
        #expect(differences.contains { $0.contains("candystore_test_absent_queue is missing") })
    }

    @Test func inequivalentRedeclareIsRefusedByTheBroker() async throws {
        let client = try client()
        let name = "candystore_test_\(UUID().uuidString.prefix(8))"
        var topology = BloodbankTopology()
        topology.exchanges = []
        topology.queues = [.init(name: name, durable: true, arguments: ["x-max-length": .int(10)], bindings: [])]
        try await client.declare(topology)
        topology.queues[0].arguments["x-max-length"] = .int(11)
        let error = await #expect(throws: RabbitMQManagementClient.ManagementError.self) {
            try await client.declare(topology)
        }
        #expect(error?.status == 400)
        #expect(error?.message.contains("inequivalent") == true)
        try await client.deleteQueue(named: name)
        #expect(try await client.queue(named: name) == nil)
    }
}
