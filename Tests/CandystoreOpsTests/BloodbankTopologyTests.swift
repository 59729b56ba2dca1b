import Bloodbank
import Testing

@Suite struct BloodbankTopologyTests {
    @Test func matchesTheBriefArgumentForArgument() throws {
        let topology = BloodbankTopology()
        #expect(topology.exchanges.map(\.name) == ["bloodbank.events.v1", "bloodbank.dlx"])
        #expect(topology.exchanges.allSatisfy { $0.type == "topic" && $0.durable })
        let manager = try #require(topology.queue(named: "event_store_manager_queue"))
        #expect(
            manager.arguments == [
                "x-queue-type": .string("classic"), "x-max-length": .int(100_000),
                "x-overflow": .string("reject-publish"), "x-dead-letter-exchange": .string("bloodbank.dlx"),
                "x-dead-letter-routing-key": .string("event_store_manager_dlq"),
            ])
        #expect(manager.bindings == [.init(exchange: "bloodbank.events.v1", routingKey: "#")])
        let dlq = try #require(topology.queue(named: "event_store_manager_dlq"))
        #expect(dlq.arguments == ["x-queue-type": .string("classic"), "x-message-ttl": .int(604_800_000)])
        #expect(dlq.bindings == [.init(exchange: "bloodbank.dlx", routingKey: "event_store_manager_dlq")])
        let letta = try #require(topology.queue(named: "letta_handoff_queue"))
        #expect(letta.arguments["x-max-length"] == .int(10_000))
        #expect(letta.bindings == [.init(exchange: "bloodbank.events.v1", routingKey: "bmad.workflow.handoff.#")])
        #expect(topology.queue(named: "letta_handoff_dlq") != nil)
        #expect(topology.queues.allSatisfy { $0.durable })
        #expect(BloodbankTopology.Argument.int(5).description == "5")
    }
}
