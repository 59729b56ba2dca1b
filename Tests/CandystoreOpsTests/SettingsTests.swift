import Bloodbank
import CandystoreOps
import Foundation
import Testing

@Suite struct SettingsTests {
    @Test func parsesDotEnvSyntax() {
        let values = Settings.parseDotEnv(
            """
            # comment
            A=1
            export B = two words
            C="quoted # not a comment"
            D='single'
            E=
            not a pair
            F=x=y
            """)
        #expect(values["A"] == "1")
        #expect(values["B"] == "two words")
        #expect(values["C"] == "quoted # not a comment")
        #expect(values["D"] == "single")
        #expect(values["E"] == "")
        #expect(values["F"] == "x=y")
        #expect(values.count == 6)
    }

    @Test func environmentOverridesTheFile() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("env-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try "REDIS_URL=redis://file:1/0\nLOG_LEVEL=debug\n".write(
            to: directory.appendingPathComponent(".env"), atomically: true, encoding: .utf8)
        let settings = try Settings.load(
            environment: ["REDIS_URL": "redis://env:2/0"], currentDirectory: directory.path)
        #expect(settings.string("REDIS_URL", default: "") == "redis://env:2/0")
        #expect(settings.string("LOG_LEVEL", default: "") == "debug")
    }

    @Test func missingExplicitEnvFileIsAnError() {
        #expect(throws: ConfigurationError.self) {
            try Settings.load(environment: ["CANDYSTORE_ENV_FILE": "/nonexistent/.env"], currentDirectory: "/")
        }
    }

    @Test func emptyValuesFallBackToDefaults() throws {
        let settings = Settings(["A": "", "N": "12", "BAD": "x"])
        #expect(settings.string("A", default: "d") == "d")
        #expect(settings.optionalString("A") == nil)
        #expect(try settings.int("N", default: 0) == 12)
        #expect(try settings.int("MISSING", default: 5) == 5)
        let error = try #require(throws: ConfigurationError.self) { try settings.int("BAD", default: 0) }
        #expect(error.description.contains("BAD"))
    }
}

@Suite struct CandystoreConfigurationTests {
    @Test func defaultsAreTheLocalStack() throws {
        let configuration = try CandystoreConfiguration(settings: Settings([:]))
        #expect(configuration.database.port == 5435)
        #expect(configuration.database.database == "event_store")
        #expect(configuration.rabbitMQURL == "amqp://candystore:candystore@127.0.0.1:5675/%2F")
        #expect(configuration.redisURL == "redis://127.0.0.1:6382/0")
        #expect(configuration.redisStreamChannel == "events:stream")
        #expect(configuration.topology.exchange == "bloodbank.events.v1")
        #expect(configuration.migrationsDirectory.lastPathComponent == "migrations")
    }

    @Test func badSettingsNameTheVariable() {
        #expect(throws: ConfigurationError.self) {
            try CandystoreConfiguration(settings: Settings(["DATABASE_URL": "mysql://x"]))
        }
        let error = #expect(throws: ConfigurationError.self) {
            try CandystoreConfiguration(settings: Settings(["DATABASE_POOL_SIZE": "many"]))
        }
        #expect(error?.description.contains("DATABASE_POOL_SIZE") == true)
    }

    @Test func exchangeNamesFlowIntoTheTopology() throws {
        let configuration = try CandystoreConfiguration(
            settings: Settings(["BLOODBANK_EXCHANGE": "bb.test", "BLOODBANK_DLX": "bb.test.dlx"]))
        let queue = try #require(configuration.topology.queue(named: BloodbankTopology.managerQueue))
        #expect(queue.bindings == [BloodbankTopology.Binding(exchange: "bb.test", routingKey: "#")])
        #expect(queue.arguments["x-dead-letter-exchange"] == .string("bb.test.dlx"))
    }
}

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
