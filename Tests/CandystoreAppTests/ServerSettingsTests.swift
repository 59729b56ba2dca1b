import AMQPClient
import Bloodbank
import BloodbankModel
import CandystoreAPI
import CandystoreApp
import CandystoreConfig
import CandystoreOps
import EventStore
import EventStoreManager
import Foundation
import LettaBridge
import LettaClient
import Testing

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
        let url = #expect(throws: ConfigurationError.self) {
            try CandystoreConfiguration(settings: Settings(["DATABASE_URL": "mysql://x"]))
        }
        #expect(url?.key == "DATABASE_URL")
        #expect(url?.description.contains("(set in the environment)") == true)
        let pool = #expect(throws: ConfigurationError.self) {
            try CandystoreConfiguration(settings: Settings(["DATABASE_POOL_SIZE": "many"]))
        }
        #expect(pool?.description.contains("DATABASE_POOL_SIZE") == true)
        let level = #expect(throws: ConfigurationError.self) {
            try CandystoreConfiguration(settings: Settings(["LOG_LEVEL": "verbose"]))
        }
        #expect(level?.key == "LOG_LEVEL")
    }

    @Test func exchangeNamesFlowIntoTheTopology() throws {
        let configuration = try CandystoreConfiguration(
            settings: Settings(["BLOODBANK_EXCHANGE": "bb.test", "BLOODBANK_DLX": "bb.test.dlx"]))
        let queue = try #require(configuration.topology.queue(named: BloodbankTopology.managerQueue))
        #expect(queue.bindings == [BloodbankTopology.Binding(exchange: "bb.test", routingKey: "#")])
        #expect(queue.arguments["x-dead-letter-exchange"] == .string("bb.test.dlx"))
    }
}

@Suite struct RoleConfigurationTests {
    @Test func managerReadsItsTuning() throws {
        let role = try ManagerRole.Configuration(
            settings: Settings([
                "MANAGER_PREFETCH": "200", "MANAGER_BATCH_SIZE": "50", "MANAGER_BATCH_MAX_WAIT_MS": "7",
                "MANAGER_PORT": "19464", "REDIS_STREAM_CHANNEL": "x:y",
            ]))
        #expect(role.manager.prefetch == 200)
        #expect(role.manager.batchSize == 50)
        #expect(role.manager.batchMaxWait == .milliseconds(7))
        #expect(role.manager.streamChannel == "x:y")
        #expect(role.endpoint == HTTPEndpoint(host: "127.0.0.1", port: 19464))
        #expect(role.amqp.connectionName?.hasPrefix("candystore-manager@") == true)
    }

    @Test func managerRefusesABatchLargerThanThePrefetch() {
        let error = #expect(throws: ConfigurationError.self) {
            try ManagerRole.Configuration(settings: Settings(["MANAGER_PREFETCH": "10", "MANAGER_BATCH_SIZE": "20"]))
        }
        #expect(error?.key == "MANAGER_BATCH_SIZE")
    }

    @Test func apiDefaultsEqualTheExampleFile() throws {
        let api = try APIConfiguration(settings: Settings([:]))
        #expect(api.port == 8088)
        #expect(api.streamBufferSize == 1000)
        #expect(api.maxCausationNodes == 10000)
        #expect(api.heartbeatInterval == .seconds(30))
        #expect(api.token == nil)
        let parsed = try APIConfiguration(
            settings: Settings(["API_TOKEN": "t", "API_CORS_ORIGINS": " http://a , ,http://b", "API_PORT": "0"]))
        #expect(parsed.token == "t")
        #expect(parsed.corsOrigins == ["http://a", "http://b"])
        #expect(parsed.port == 0)
        let error = #expect(throws: ConfigurationError.self) {
            try APIConfiguration(settings: Settings(["API_PORT": "70000"]))
        }
        #expect(error?.description == "API_PORT must be an integer in 0…65535, got 70000 (set in the environment)")
    }

    @Test func bridgeAndLettaReadTheirSettings() throws {
        let role = try LettaBridgeRole.Configuration(
            settings: Settings([
                "LETTA_BRIDGE_CONCURRENCY": "2", "LETTA_BRIDGE_MAX_ATTEMPTS": "3", "LETTA_SERVER_URL": "http://l:1",
                "LETTA_TOKEN": "k", "LETTA_MODEL_ENDPOINT": "http://m/v1", "LETTA_EMBEDDING_ENDPOINT": "",
                "LETTA_BRIDGE_PORT": "19465",
            ]))
        #expect(role.bridge.concurrency == 2)
        #expect(role.bridge.maxAttempts == 3)
        #expect(role.letta.baseURL == "http://l:1")
        #expect(role.letta.authorization == .bearer("k"))
        #expect(role.letta.defaultEmbeddingConfig.embeddingEndpoint == "http://m/v1")
        #expect(role.endpoint?.port == 19465)
        #expect(role.source.app == "letta-bridge")
        let error = #expect(throws: ConfigurationError.self) {
            try LettaBridgeRole.Configuration(settings: Settings(["LETTA_SERVER_URL": "ftp://x"]))
        }
        #expect(error?.key == "LETTA_SERVER_URL")
    }

    @Test func configurationCheckListsEveryProblemByName() {
        let problems = ConfigurationCheck.problems(
            in: Settings(
                environment: ["API_PORT": "x", "LETTA_BRIDGE_CONCURENCY": "3"],
                dotEnv: ["MANAGER_PREFETCH": "0"]))
        #expect(
            problems.contains {
                $0.hasPrefix("unknown variable LETTA_BRIDGE_CONCURENCY") && $0.contains("LETTA_BRIDGE_CONCURRENCY")
            })
        #expect(problems.contains { $0.hasPrefix("MANAGER_PREFETCH must be") && $0.hasSuffix("(set in .env)") })
        #expect(problems.contains { $0.hasPrefix("API_PORT must be") })
        #expect(ConfigurationCheck.problems(in: Settings([:])).isEmpty)
    }

    @Test func apiBaseURLForClients() throws {
        #expect(try Settings([:]).apiBaseURL() == "http://127.0.0.1:8088")
        #expect(try Settings(["API_HOST": "0.0.0.0", "API_PORT": "9"]).apiBaseURL() == "http://127.0.0.1:9")
        #expect(try Settings(["CANDYSTORE_API_URL": "https://api.example/"]).apiBaseURL() == "https://api.example")
        #expect(throws: ConfigurationError.self) { try Settings(["CANDYSTORE_API_URL": "api.example"]).apiBaseURL() }
    }
}

@Suite struct LettaClientConfigurationTests {
    @Test func defaultsPointAtTheLocalStack() throws {
        let configuration = try LettaClient.Configuration(settings: Settings([:]))
        #expect(configuration.baseURL == "http://127.0.0.1:8283")
        #expect(configuration.authorization == nil)
        #expect(configuration.defaultLLMConfig == .modelStub())
        #expect(configuration.defaultEmbeddingConfig == .modelStub())
        #expect(configuration.requestTimeout == .seconds(30))
        #expect(configuration.messageTimeout == .seconds(300))
    }

    @Test func settingsOverrideEveryKnob() throws {
        let configuration = try LettaClient.Configuration(
            settings: Settings([
                "LETTA_SERVER_URL": "https://letta.example.invalid",
                "LETTA_TOKEN": "tok",
                "LETTA_MODEL": "gpt-4o-mini",
                "LETTA_MODEL_ENDPOINT": "https://llm.example.invalid/v1",
                "LETTA_EMBEDDING_ENDPOINT": "",
                "LETTA_MODEL_CONTEXT_WINDOW": "128000",
                "LETTA_MODEL_HANDLE": "openai/gpt-4o-mini",
                "LETTA_EMBEDDING_MODEL": "text-embedding-3-small",
                "LETTA_EMBEDDING_DIM": "512",
                "LETTA_EMBEDDING_ENDPOINT_TYPE": "openai",
                "LETTA_REQUEST_TIMEOUT_SECONDS": "5",
                "LETTA_MESSAGE_TIMEOUT_SECONDS": "600",
            ]))
        #expect(configuration.baseURL == "https://letta.example.invalid")
        #expect(configuration.authorization == .bearer("tok"))
        #expect(configuration.defaultLLMConfig.model == "gpt-4o-mini")
        #expect(configuration.defaultLLMConfig.contextWindow == 128000)
        #expect(configuration.defaultLLMConfig.handle == "openai/gpt-4o-mini")
        // The embedding endpoint follows the model endpoint unless set.
        #expect(configuration.defaultEmbeddingConfig.embeddingEndpoint == "https://llm.example.invalid/v1")
        #expect(configuration.defaultEmbeddingConfig.embeddingModel == "text-embedding-3-small")
        #expect(configuration.defaultEmbeddingConfig.embeddingDim == 512)
        #expect(configuration.requestTimeout == .seconds(5))
        #expect(configuration.messageTimeout == .seconds(600))
    }

    @Test func badValuesAreRejectedNamingTheVariable() {
        let badNumber = #expect(throws: ConfigurationError.self) {
            try LettaClient.Configuration(settings: Settings(["LETTA_EMBEDDING_DIM": "many"]))
        }
        #expect(badNumber?.key == "LETTA_EMBEDDING_DIM")
        let badURL = #expect(throws: ConfigurationError.self) {
            try LettaClient.Configuration(settings: Settings(["LETTA_SERVER_URL": "127.0.0.1:8283"]))
        }
        #expect(badURL?.key == "LETTA_SERVER_URL")
    }
}
