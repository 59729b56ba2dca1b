import Foundation

@testable import LettaClient

/// A scripted Letta: records every request and answers with the handler's response. No socket.
actor FakeLettaTransport: LettaHTTPTransport {
    typealias Handler = @Sendable (LettaHTTPRequest) throws(LettaClientError) -> LettaHTTPResponse

    private(set) var requests: [LettaHTTPRequest] = []
    private let handler: Handler

    init(_ handler: @escaping Handler) {
        self.handler = handler
    }

    /// Always the same status and JSON body.
    init(status: Int = 200, json: String) {
        self.handler = { _ in LettaHTTPResponse(status: status, body: Data(json.utf8)) }
    }

    func send(_ request: LettaHTTPRequest) async throws(LettaClientError) -> LettaHTTPResponse {
        requests.append(request)
        return try handler(request)
    }

    /// The body of the only request.
    func onlyRequestBody() throws -> Data {
        guard requests.count == 1, let body = requests[0].body else {
            throw FakeError("expected exactly one request with a body, got \(requests.count)")
        }
        return body
    }
}

/// A JSON body as a dictionary, to check member names and values as Letta will read them.
func jsonObject(_ body: Data) throws -> [String: Any] {
    guard let object = try JSONSerialization.jsonObject(with: body) as? [String: Any] else {
        throw FakeError("the body is not a JSON object")
    }
    return object
}

struct FakeError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// Bodies captured from a real Letta 0.11.7 server (trimmed of fields the client ignores).
enum LettaFixtures {
    static let agentID = "agent-9eb71a23-9118-4464-b55f-1ce4e8586cc1"

    static let agent = """
        {"created_by_id":"user-00000000-0000-4000-8000-000000000000","created_at":"2026-11-25T15:41:12",
         "updated_at":"2026-11-25T15:41:12","id":"agent-9eb71a23-9118-4464-b55f-1ce4e8586cc1",
         "name":"exp-agent-1","tool_rules":[{"tool_name":"send_message","type":"exit_loop"}],
         "message_ids":["message-91715240-188a-440a-8989-53efaf18a4c7"],"system":"<base_instructions>…",
         "agent_type":"memgpt_v2_agent",
         "llm_config":{"model":"stub-model","model_endpoint_type":"openai","model_endpoint":"http://127.0.0.1:8299/v1",
           "provider_name":null,"provider_category":null,"model_wrapper":null,"context_window":32000,
           "put_inner_thoughts_in_kwargs":true,"handle":null,"temperature":0.7,"max_tokens":null,
           "enable_reasoner":true,"reasoning_effort":null,"max_reasoning_tokens":0},
         "embedding_config":{"embedding_endpoint_type":"openai","embedding_endpoint":"http://127.0.0.1:8299/v1",
           "embedding_model":"stub-embedding","embedding_dim":1536,"embedding_chunk_size":300,"handle":null,
           "batch_size":32,"azure_endpoint":null},
         "response_format":null,"description":"experiment","metadata":null,
         "memory":{"agent_type":"memgpt_v2_agent","blocks":[
           {"value":"I am a Letta agent working for Candystore.","limit":20000,"label":"persona","read_only":false,
            "description":"The persona block","metadata":{},"id":"block-dbc665c3-dbb1-4429-bfaf-bf9b8b350e75"},
           {"value":"Design the event schema for workflow abc","limit":5000,"label":"task","read_only":false,
            "description":null,"metadata":{},"id":"block-0b0c4a54-7f55-4b0b-9a55-0d2e8c3b1f10"}],
           "file_blocks":[],"prompt_template":""},
         "tools":[{"name":"send_message"}],"sources":[],"tags":["candystore","workflow:abc"],
         "tool_exec_environment_variables":[],"identity_ids":[],"hidden":null,"timezone":"UTC"}
        """

    static let messageResponse = """
        {"messages":[
          {"id":"message-333b4cb7-9da0-402d-9369-c0f48cb9300d","date":"2026-11-25T15:41:14+00:00","name":null,
           "message_type":"reasoning_message","otid":"333b4cb7-9da0-402d-9369-c0f48cb93000",
           "step_id":"step-e68e0d88-2c7e-4aed-9273-474764ca6823","source":"non_reasoner_model",
           "reasoning":"The user handed me a task; I acknowledge it with send_message.","signature":null},
          {"id":"message-333b4cb7-9da0-402d-9369-c0f48cb9300d","date":"2026-11-25T15:41:14+00:00","name":null,
           "message_type":"assistant_message","otid":"333b4cb7-9da0-402d-9369-c0f48cb93001",
           "content":"Task accepted by the stub model: Please design the event schema for workflow abc"}],
         "stop_reason":{"message_type":"stop_reason","stop_reason":"end_turn"},
         "usage":{"message_type":"usage_statistics","completion_tokens":43,"prompt_tokens":1826,
           "total_tokens":1869,"step_count":1,"steps_messages":null,"run_ids":null}}
        """

    static let notFound = #"{"detail":"Agent with ID agent-00000000-0000-4000-8000-000000000000 not found"}"#

    static let validation = """
        {"detail":[{"type":"string_type","loc":["body","name"],"msg":"Input should be a valid string","input":5},
                   {"type":"missing","loc":["body","memory_blocks",0,"value"],"msg":"Field required","input":{}}]}
        """
}
