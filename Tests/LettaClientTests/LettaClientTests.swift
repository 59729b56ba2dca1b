import Foundation
import Testing

@testable import LettaClient

@Suite struct LettaClientRequestTests {
    private func client(
        _ transport: FakeLettaTransport,
        configure: (inout LettaClient.Configuration) -> Void = { _ in }
    ) -> LettaClient {
        var configuration = LettaClient.Configuration(baseURL: "http://letta.test:8283/")
        configure(&configuration)
        return LettaClient(configuration: configuration, transport: transport)
    }

    @Test func createAgentSendsSnakeCaseBodyWithDefaultConfigs() async throws {
        let fake = FakeLettaTransport(json: LettaFixtures.agent)
        let letta = client(fake)
        let agent = try await letta.createAgent(
            name: "architect-wf-1",
            tags: ["workflow:wf-1", "candystore"],
            memoryBlocks: [
                LettaMemoryBlockCreate(label: "task", value: "Design the schema", limit: 5000),
                LettaMemoryBlockCreate(label: "persona", value: "An architect"),
            ],
            description: "handoff"
        )
        #expect(agent.id == LettaFixtures.agentID)

        let request = try #require(await fake.requests.first)
        #expect(request.method == "POST")
        #expect(request.url == "http://letta.test:8283/v1/agents/")
        let body = try jsonObject(await fake.onlyRequestBody())
        #expect(body["name"] as? String == "architect-wf-1")
        #expect(body["tags"] as? [String] == ["workflow:wf-1", "candystore"])
        #expect(body["description"] as? String == "handoff")
        #expect(body["system"] == nil)
        let blocks = try #require(body["memory_blocks"] as? [[String: Any]])
        #expect(blocks.count == 2)
        #expect(blocks[0]["label"] as? String == "task")
        #expect(blocks[0]["limit"] as? Int == 5000)
        #expect(blocks[1]["limit"] == nil, "a nil limit is left out so Letta applies its default")
        let llm = try #require(body["llm_config"] as? [String: Any])
        #expect(llm["model"] as? String == "stub-model")
        #expect(llm["model_endpoint_type"] as? String == "openai")
        #expect(llm["model_endpoint"] as? String == "http://127.0.0.1:8299/v1")
        #expect(llm["context_window"] as? Int == 32000)
        #expect(llm["temperature"] == nil)
        let embedding = try #require(body["embedding_config"] as? [String: Any])
        #expect(embedding["embedding_model"] as? String == "stub-embedding")
        #expect(embedding["embedding_dim"] as? Int == 1536)
    }

    @Test func listAgentsRepeatsTagsAndEscapesQueryValues() async throws {
        let fake = FakeLettaTransport(json: "[\(LettaFixtures.agent)]")
        let agents = try await client(fake).listAgents(
            tags: ["workflow:wf 1", "a&b=c"],
            matchAllTags: true,
            name: "architect",
            limit: 5
        )
        #expect(agents.map(\.id) == [LettaFixtures.agentID])
        let request = try #require(await fake.requests.first)
        #expect(request.method == "GET")
        #expect(
            request.url
                == "http://letta.test:8283/v1/agents/?tags=workflow%3Awf%201&tags=a%26b%3Dc"
                + "&match_all_tags=true&name=architect&limit=5"
        )
        #expect(request.body == nil)
    }

    @Test func listAgentsWithoutFiltersHasNoQuery() async throws {
        let fake = FakeLettaTransport(json: "[]")
        let agents = try await client(fake).listAgents()
        #expect(agents.isEmpty)
        #expect(await fake.requests.first?.url == "http://letta.test:8283/v1/agents/")
    }

    @Test func pathsEscapeTheAgentIDAsOneSegment() async throws {
        let fake = FakeLettaTransport(json: "[]")
        _ = try await client(fake).memoryBlocks(agentID: "agent-1/../x")
        #expect(
            await fake.requests.first?.url == "http://letta.test:8283/v1/agents/agent-1%2F..%2Fx/core-memory/blocks")

        let error = await #expect(throws: LettaClientError.self) {
            try await client(fake).agent(id: "")
        }
        #expect(error?.code == .invalidConfiguration)
        #expect(await fake.requests.count == 1, "nothing is sent for an empty id")
    }

    @Test func bearerTokenAndExtraHeadersAreSent() async throws {
        let fake = FakeLettaTransport(json: #"{"version":"0.11.7","status":"ok"}"#)
        let letta = client(fake) {
            $0.authorization = .bearer("secret-token")
            $0.additionalHeaders = ["X-Project": "candystore"]
        }
        let health = try await letta.health()
        #expect(health == LettaHealth(version: "0.11.7", status: "ok"))
        let request = try #require(await fake.requests.first)
        #expect(request.url == "http://letta.test:8283/v1/health/")
        #expect(request.header("authorization") == "Bearer secret-token")
        #expect(request.header("x-project") == "candystore")
        #expect(request.header("accept") == "application/json")
        #expect(request.header("connection") == "close", "no pooled connection Letta may have dropped")
        #expect(request.timeout == .seconds(30))
    }

    @Test func passwordUsesLettasBarePasswordHeader() throws {
        let fake = FakeLettaTransport(json: "{}")
        let letta = client(fake) { $0.authorization = .password("pw") }
        let request = try letta.makeRequest(method: "GET", path: "/v1/agents/")
        #expect(request.header("X-BARE-PASSWORD") == "password pw")
        #expect(request.header("Authorization") == nil)
    }

    @Test func sendMessageUsesTheMessageTimeoutAndReturnsTheAssistantText() async throws {
        let fake = FakeLettaTransport(json: LettaFixtures.messageResponse)
        let letta = client(fake) { $0.messageTimeout = .seconds(123) }
        let reply = try await letta.sendMessage(agentID: LettaFixtures.agentID, text: "Please design the schema")

        #expect(reply.text == "Task accepted by the stub model: Please design the event schema for workflow abc")
        #expect(reply.stopReason == "end_turn")
        #expect(reply.usage == LettaUsage(completionTokens: 43, promptTokens: 1826, totalTokens: 1869, stepCount: 1))
        #expect(reply.messages.map(\.messageType) == ["reasoning_message", "assistant_message"])
        #expect(reply.messages[0].text == "The user handed me a task; I acknowledge it with send_message.")

        let request = try #require(await fake.requests.first)
        #expect(request.url == "http://letta.test:8283/v1/agents/\(LettaFixtures.agentID)/messages")
        #expect(request.timeout == .seconds(123))
        let body = try jsonObject(await fake.onlyRequestBody())
        let messages = try #require(body["messages"] as? [[String: String]])
        #expect(messages == [["role": "user", "content": "Please design the schema"]])
    }

    @Test func deleteAgentSendsDelete() async throws {
        let fake = FakeLettaTransport(json: #"{"message":"Agent id=agent-1 successfully deleted"}"#)
        try await client(fake).deleteAgent(id: "agent-1")
        let request = try #require(await fake.requests.first)
        #expect(request.method == "DELETE")
        #expect(request.url == "http://letta.test:8283/v1/agents/agent-1")
    }
}

@Suite struct LettaClientDecodingTests {
    @Test func agentStateDecodesTheFieldsTheBridgeReads() throws {
        let agent = try JSONDecoder().decode(LettaAgent.self, from: Data(LettaFixtures.agent.utf8))
        #expect(agent.id == LettaFixtures.agentID)
        #expect(agent.name == "exp-agent-1")
        #expect(agent.tags == ["candystore", "workflow:abc"])
        #expect(agent.agentType == "memgpt_v2_agent")
        #expect(agent.description == "experiment")
        #expect(agent.createdAt == "2026-11-25T15:41:12")
        #expect(agent.metadata == nil)
        #expect(agent.memoryBlocks.map(\.label) == ["persona", "task"])
        let task = try #require(agent.memoryBlock(labeled: "task"))
        #expect(task.value == "Design the event schema for workflow abc")
        #expect(task.limit == 5000)
        #expect(task.readOnly == false)
        #expect(agent.llmConfig?.model == "stub-model")
        #expect(agent.llmConfig?.temperature == 0.7)
        #expect(agent.llmConfig?.extra["enable_reasoner"] == .bool(true))
        #expect(agent.embeddingConfig?.embeddingDim == 1536)
        #expect(agent.embeddingConfig?.extra["batch_size"] == .integer(32))
    }

    @Test func llmConfigRoundTripKeepsUnknownMembers() throws {
        let json = """
            {"model":"gpt-4o-mini","model_endpoint_type":"openai","model_endpoint":"https://example.invalid/v1",
             "context_window":128000,"enable_reasoner":false,"reasoning_effort":null,"max_reasoning_tokens":0}
            """
        let config = try JSONDecoder().decode(LettaLLMConfig.self, from: Data(json.utf8))
        #expect(config.contextWindow == 128000)
        #expect(
            config.extra == [
                "enable_reasoner": .bool(false), "reasoning_effort": .null, "max_reasoning_tokens": .integer(0),
            ])
        let again = try JSONDecoder().decode(LettaLLMConfig.self, from: JSONEncoder().encode(config))
        #expect(again == config)
    }

    @Test func extraCannotOverrideModelledMembers() throws {
        let config = LettaLLMConfig(
            model: "real",
            modelEndpoint: nil,
            contextWindow: 1000,
            extra: ["model": .string("shadow"), "frequency_penalty": .number(0.5)]
        )
        let object = try #require(
            try JSONSerialization.jsonObject(with: JSONEncoder().encode(config)) as? [String: Any]
        )
        #expect(object["model"] as? String == "real")
        #expect(object["frequency_penalty"] as? Double == 0.5)
        #expect(object["model_endpoint"] == nil)
    }

    @Test func assistantContentAsPartsIsJoined() throws {
        let json = """
            {"messages":[{"message_type":"assistant_message","content":[{"type":"text","text":"Hello "},
              {"type":"text","text":"world"}]},{"message_type":"assistant_message","content":"Second"}],
             "stop_reason":"end_turn"}
            """
        let body = try JSONDecoder().decode(LettaResponseBody.self, from: Data(json.utf8))
        let reply = try body.reply(request: "POST /v1/agents/x/messages")
        #expect(reply.text == "Hello world\n\nSecond")
        #expect(reply.stopReason == "end_turn")
        #expect(reply.usage == LettaUsage())
    }

    @Test func toolMessagesKeepNameArgumentsAndReturn() throws {
        let json = """
            [{"message_type":"tool_call_message",
              "tool_call":{"name":"memory_insert","arguments":"{\\"label\\":\\"task\\"}","tool_call_id":"call_1"}},
             {"message_type":"tool_return_message","tool_return":"OK","status":"success"},
             {"message_type":"something_new","id":"message-9"}]
            """
        let messages = try JSONDecoder().decode([LettaMessage].self, from: Data(json.utf8))
        #expect(messages[0].toolName == "memory_insert")
        #expect(messages[0].toolArguments == #"{"label":"task"}"#)
        #expect(messages[1].toolReturn == "OK")
        #expect(messages[1].status == "success")
        #expect(messages[2] == LettaMessage(id: "message-9", messageType: "something_new"))
    }

    @Test func aTurnWithoutAssistantMessageIsNoReply() throws {
        let json = """
            {"messages":[{"message_type":"reasoning_message","reasoning":"hmm"}],
             "stop_reason":{"message_type":"stop_reason","stop_reason":"max_steps"},
             "usage":{"completion_tokens":1,"prompt_tokens":2,"total_tokens":3,"step_count":50}}
            """
        let body = try JSONDecoder().decode(LettaResponseBody.self, from: Data(json.utf8))
        let error = #expect(throws: LettaClientError.self) { try body.reply(request: "POST /v1/agents/x/messages") }
        #expect(error?.code == .noReply)
        #expect(error?.message.contains("max_steps") == true)
        #expect(error?.message.contains("reasoning_message") == true)
    }
}

@Suite struct LettaClientErrorTests {
    private func failing(status: Int, body: String) async -> LettaClientError? {
        let fake = FakeLettaTransport(status: status, json: body)
        let letta = LettaClient(configuration: .init(baseURL: "http://letta.test"), transport: fake)
        return await #expect(throws: LettaClientError.self) { try await letta.agent(id: "agent-x") }
    }

    @Test func stringDetailBecomesTheMessage() async throws {
        let error = try #require(await failing(status: 404, body: LettaFixtures.notFound))
        #expect(error.code == .notFound)
        #expect(error.httpStatus == 404)
        #expect(error.message == "Agent with ID agent-00000000-0000-4000-8000-000000000000 not found")
        #expect(error.details == [error.message])
        #expect(error.request == "GET /v1/agents/agent-x")
        #expect(!error.isRetryable)
        #expect(
            error.description
                == "LettaClientError(notFound, HTTP 404, GET /v1/agents/agent-x): Agent with ID "
                + "agent-00000000-0000-4000-8000-000000000000 not found"
        )
    }

    @Test func validationListIsFlattenedWithLocations() async throws {
        let error = try #require(await failing(status: 422, body: LettaFixtures.validation))
        #expect(error.code == .badRequest)
        #expect(
            error.details == [
                "body.name: Input should be a valid string", "body.memory_blocks.0.value: Field required",
            ])
        #expect(
            error.message == "body.name: Input should be a valid string; body.memory_blocks.0.value: Field required")
    }

    @Test func statusesMapToCodes() async throws {
        let cases: [(Int, LettaClientError.Code, Bool)] = [
            (400, .badRequest, false), (401, .unauthorized, false), (403, .unauthorized, false),
            (409, .badRequest, false), (429, .unexpectedStatus, true), (500, .serverError, true),
            (503, .serverError, true), (302, .unexpectedStatus, false),
        ]
        for (status, code, retryable) in cases {
            let error = try #require(await failing(status: status, body: #"{"detail":"x"}"#))
            #expect(error.code == code, "HTTP \(status)")
            #expect(error.isRetryable == retryable, "HTTP \(status)")
        }
    }

    @Test func otherBodyShapesStillGiveAMessage() {
        #expect(
            LettaErrorDetail.flatten(body: Data(#"{"message":"Agent id=x successfully deleted"}"#.utf8)) == [
                "Agent id=x successfully deleted"
            ])
        #expect(LettaErrorDetail.flatten(body: Data(#"{"error":{"message":"model failed"}}"#.utf8)) == ["model failed"])
        #expect(LettaErrorDetail.flatten(body: Data(#"{"detail":{"reason":"busy"}}"#.utf8)) == [#"{"reason":"busy"}"#])
        #expect(LettaErrorDetail.flatten(body: Data("<html>Bad Gateway</html>\n".utf8)) == ["<html>Bad Gateway</html>"])
        #expect(LettaErrorDetail.flatten(body: Data()) == [])
        let long = String(repeating: "x", count: 2000)
        #expect(LettaErrorDetail.flatten(body: Data(long.utf8)).first?.count == LettaErrorDetail.maxRawCharacters + 1)
    }

    @Test func emptyErrorBodyNamesTheStatus() async throws {
        let error = try #require(await failing(status: 502, body: ""))
        #expect(error.code == .serverError)
        #expect(error.message == "HTTP 502 with an empty body")
    }

    @Test func wrongShapeOn200IsInvalidResponse() async throws {
        let error = try #require(await failing(status: 200, body: #"{"unexpected":true}"#))
        #expect(error.code == .invalidResponse)
        #expect(error.httpStatus == 200)
        #expect(error.underlying is DecodingError)
    }

    @Test func transportErrorsPassThrough() async throws {
        let fake = FakeLettaTransport { request throws(LettaClientError) in
            throw LettaClientError(code: .timeout, message: "slow", request: request.summary)
        }
        let letta = LettaClient(configuration: .init(), transport: fake)
        let error = await #expect(throws: LettaClientError.self) { try await letta.health() }
        #expect(error?.code == .timeout)
        #expect(error?.isRetryable == true)
    }

    @Test func connectionRefusedIsConnectionFailed() async throws {
        // Port 1 on loopback: nothing listens there, the kernel refuses at once. A real socket, no server.
        // AsyncHTTPClient retries refused connects until the deadline, so the error comes after requestTimeout.
        let letta = LettaClient(configuration: .init(baseURL: "http://127.0.0.1:1", requestTimeout: .seconds(1)))
        let error = await #expect(throws: LettaClientError.self) { try await letta.health() }
        #expect(error?.code == .connectionFailed)
        #expect(error?.isRetryable == true)
        #expect(error?.request == "GET /v1/health/")
    }
}
