public import AsyncHTTPClient
import Foundation
public import Logging
import NIOCore

/// A client for the REST API of a Letta server (tested against Letta 0.11.7): agents, their core memory,
/// and messages.
///
/// Stateless apart from its configuration: every call is one HTTP exchange with its own deadline, so the
/// client is a plain `Sendable` value rather than a `Service` — there is no background work to own. Share
/// one `HTTPClient` (the default is `HTTPClient.shared`), or let ``withClient(configuration:logger:_:)``
/// create and shut down a dedicated one with the configured connect timeout.
///
/// ```swift
/// let letta = LettaClient(configuration: .init(baseURL: "http://127.0.0.1:8283"))
/// let agent = try await letta.createAgent(
///     name: "architect-wf-1", tags: ["workflow:wf-1"],
///     memoryBlocks: [LettaMemoryBlockCreate(label: "task", value: "Design the schema")])
/// let reply = try await letta.sendMessage(agentID: agent.id, text: "Start the task")
/// print(reply.text, reply.usage.totalTokens)
/// ```
public struct LettaClient: Sendable {
    /// The configuration in force.
    public let configuration: Configuration
    private let transport: any LettaHTTPTransport
    private let logger: Logger

    /// Creates a client that sends through `httpClient` (by default the process-wide shared one).
    public init(configuration: Configuration, httpClient: HTTPClient = .shared, logger: Logger? = nil) {
        let logger = logger ?? Logger(label: "candystore.letta-client")
        self.init(
            configuration: configuration,
            transport: AsyncHTTPClientTransport(
                httpClient: httpClient,
                maxResponseBytes: configuration.maxResponseBytes,
                logger: logger
            ),
            logger: logger
        )
    }

    /// Creates a client over any transport; tests use a fake.
    package init(configuration: Configuration, transport: any LettaHTTPTransport, logger: Logger? = nil) {
        self.configuration = configuration
        self.transport = transport
        self.logger = logger ?? Logger(label: "candystore.letta-client")
    }

    /// Runs `body` with a client on a dedicated `HTTPClient` (configured connect timeout), shut down on exit.
    public static func withClient<Result: Sendable>(
        configuration: Configuration,
        logger: Logger? = nil,
        _ body: (LettaClient) async throws -> Result
    ) async throws -> Result {
        try configuration.validate()
        var httpConfiguration = HTTPClient.Configuration()
        httpConfiguration.timeout.connect = .nanoseconds(configuration.connectTimeout.inNanoseconds)
        let httpClient = HTTPClient(eventLoopGroupProvider: .singleton, configuration: httpConfiguration)
        let client = LettaClient(configuration: configuration, httpClient: httpClient, logger: logger)
        let result: Result
        do {
            result = try await body(client)
        } catch {
            try? await httpClient.shutdown()
            throw error
        }
        try await httpClient.shutdown()
        return result
    }

    // MARK: - Operations

    /// `GET /v1/health/`: the server's version and status; answers without credentials on Letta 0.11.x.
    public func health() async throws(LettaClientError) -> LettaHealth {
        try await call(LettaHealth.self, method: "GET", path: "/v1/health/")
    }

    /// `POST /v1/agents/`: creates an agent with tags, core memory blocks and explicit model configuration.
    ///
    /// Letta 0.11.x rejects a creation without `llm_config` and `embedding_config`; nil parameters take the
    /// configuration's defaults. Letta does not make names unique (two creations with one name make two
    /// agents), so a get-or-create looks the agent up by a tag it owns first, with
    /// ``listAgents(tags:matchAllTags:name:limit:)``. A block whose value exceeds its `limit` is rejected with
    /// ``LettaClientError/Code/badRequest`` (HTTP 422).
    public func createAgent(
        name: String,
        tags: [String] = [],
        memoryBlocks: [LettaMemoryBlockCreate] = [],
        llmConfig: LettaLLMConfig? = nil,
        embeddingConfig: LettaEmbeddingConfig? = nil,
        system: String? = nil,
        description: String? = nil,
        agentType: String? = nil,
        metadata: [String: LettaJSON]? = nil
    ) async throws(LettaClientError) -> LettaAgent {
        let body = CreateAgentBody(
            name: name,
            tags: tags,
            memoryBlocks: memoryBlocks,
            llmConfig: llmConfig ?? configuration.defaultLLMConfig,
            embeddingConfig: embeddingConfig ?? configuration.defaultEmbeddingConfig,
            system: system,
            description: description,
            agentType: agentType,
            metadata: metadata
        )
        return try await call(LettaAgent.self, method: "POST", path: "/v1/agents/", body: body)
    }

    /// `GET /v1/agents/`: agents carrying `tags` (any of them, or all with `matchAllTags`), optionally only
    /// those named `name`; newest first, at most `limit` (Letta's default is 50).
    public func listAgents(
        tags: [String] = [],
        matchAllTags: Bool = false,
        name: String? = nil,
        limit: Int? = nil
    ) async throws(LettaClientError) -> [LettaAgent] {
        var query = tags.map { (name: "tags", value: $0) }
        if matchAllTags { query.append((name: "match_all_tags", value: "true")) }
        if let name { query.append((name: "name", value: name)) }
        if let limit { query.append((name: "limit", value: String(limit))) }
        return try await call([LettaAgent].self, method: "GET", path: "/v1/agents/", query: query)
    }

    /// `GET /v1/agents/{id}`: one agent; ``LettaClientError/Code/notFound`` when there is none.
    public func agent(id: String) async throws(LettaClientError) -> LettaAgent {
        try await call(LettaAgent.self, method: "GET", path: "/v1/agents/\(try Self.segment(id))")
    }

    /// `GET /v1/agents/{id}/core-memory/blocks`: the agent's core memory blocks, as they are now (the agent
    /// may have edited them).
    public func memoryBlocks(agentID: String) async throws(LettaClientError) -> [LettaMemoryBlock] {
        try await call(
            [LettaMemoryBlock].self,
            method: "GET",
            path: "/v1/agents/\(try Self.segment(agentID))/core-memory/blocks"
        )
    }

    /// `POST /v1/agents/{id}/messages`: sends one user message and waits for the agent's whole turn.
    ///
    /// Returns the assistant text (the agent's `send_message` calls) and usage. A model failure surfaces as
    /// ``LettaClientError/Code/serverError`` (Letta answers 500); a turn that ends without an assistant message
    /// throws ``LettaClientError/Code/noReply``. The deadline is ``Configuration/messageTimeout``.
    public func sendMessage(agentID: String, text: String) async throws(LettaClientError) -> LettaReply {
        let body = SendMessageBody(messages: [.init(role: "user", content: text)])
        let request = try makeRequest(
            method: "POST",
            path: "/v1/agents/\(try Self.segment(agentID))/messages",
            body: body,
            timeout: configuration.messageTimeout
        )
        let response = try await exchange(request)
        return try Self.decode(LettaResponseBody.self, from: response, request: request).reply(request: request.summary)
    }

    /// `PATCH /v1/agents/{id}`: replaces the agent's tags (the whole list); returns the updated agent.
    public func updateAgentTags(id: String, tags: [String]) async throws(LettaClientError) -> LettaAgent {
        try await call(
            LettaAgent.self, method: "PATCH", path: "/v1/agents/\(try Self.segment(id))",
            body: UpdateTagsBody(tags: tags))
    }

    /// `GET /v1/agents/{id}/messages`: the agent's stored messages, oldest first, at most `limit` (newest ones);
    /// with `after`, only those after that message id (a cursor).
    public func messages(agentID: String, limit: Int = 100, after: String? = nil) async throws(LettaClientError)
        -> [LettaMessage]
    {
        var query: [(name: String, value: String)] = [(name: "limit", value: String(limit))]
        if let after { query.append((name: "after", value: after)) }
        return try await call(
            [LettaMessage].self, method: "GET", path: "/v1/agents/\(try Self.segment(agentID))/messages", query: query)
    }

    /// `POST /v1/blocks/` then `PATCH /v1/agents/{id}/core-memory/blocks/attach/{block}`: adds a new core memory
    /// block to an existing agent; returns the block.
    public func attachNewBlock(agentID: String, block: LettaMemoryBlockCreate) async throws(LettaClientError)
        -> LettaMemoryBlock
    {
        let created = try await call(LettaMemoryBlock.self, method: "POST", path: "/v1/blocks/", body: block)
        guard let blockID = created.id else {
            throw LettaClientError(code: .invalidResponse, message: "Letta created a block without an id")
        }
        _ = try await call(
            LettaAgent.self, method: "PATCH",
            path: "/v1/agents/\(try Self.segment(agentID))/core-memory/blocks/attach/\(try Self.segment(blockID))")
        return created
    }

    /// `DELETE /v1/agents/{id}`: deletes the agent and its messages; ``LettaClientError/Code/notFound`` when
    /// it does not exist.
    public func deleteAgent(id: String) async throws(LettaClientError) {
        let request = try makeRequest(method: "DELETE", path: "/v1/agents/\(try Self.segment(id))")
        _ = try await exchange(request)
    }

    // MARK: - Request building and decoding (pure)

    /// Builds the request for a call: URL from base + path + query, configured headers, JSON body.
    package func makeRequest(
        method: String,
        path: String,
        query: [(name: String, value: String)] = [],
        body: (any Encodable)? = nil,
        timeout: Duration? = nil
    ) throws(LettaClientError) -> LettaHTTPRequest {
        try configuration.validate()
        var base = configuration.baseURL
        while base.hasSuffix("/") { base.removeLast() }
        var url = base + path
        if !query.isEmpty {
            url +=
                "?" + query.map { "\(Self.queryEscape($0.name))=\(Self.queryEscape($0.value))" }.joined(separator: "&")
        }
        var data: Data?
        if let body {
            do {
                data = try JSONEncoder().encode(body)
            } catch {
                throw LettaClientError(
                    code: .invalidConfiguration,
                    message: "cannot encode the request body: \(error)",
                    request: "\(method) \(path)",
                    underlying: error
                )
            }
        }
        return LettaHTTPRequest(
            method: method,
            url: url,
            headers: configuration.headers.map { LettaHTTPRequest.Header(name: $0.name, value: $0.value) },
            body: data,
            timeout: timeout ?? configuration.requestTimeout
        )
    }

    private func call<Response: Decodable>(
        _ type: Response.Type,
        method: String,
        path: String,
        query: [(name: String, value: String)] = [],
        body: (any Encodable)? = nil
    ) async throws(LettaClientError) -> Response {
        let request = try makeRequest(method: method, path: path, query: query, body: body)
        let response = try await exchange(request)
        return try Self.decode(type, from: response, request: request)
    }

    /// Sends and turns non-2xx answers into errors carrying Letta's message.
    private func exchange(_ request: LettaHTTPRequest) async throws(LettaClientError) -> LettaHTTPResponse {
        let response = try await transport.send(request)
        guard (200..<300).contains(response.status) else {
            let error = LettaClientError.http(status: response.status, body: response.body, request: request.summary)
            logger.debug("letta error", metadata: ["error": "\(error)"])
            throw error
        }
        return response
    }

    /// Decodes a 2xx body; a body of the wrong shape is ``LettaClientError/Code/invalidResponse``.
    package static func decode<Response: Decodable>(
        _ type: Response.Type,
        from response: LettaHTTPResponse,
        request: LettaHTTPRequest
    ) throws(LettaClientError) -> Response {
        do {
            return try JSONDecoder().decode(type, from: response.body)
        } catch {
            let excerpt = String(decoding: response.body.prefix(200), as: UTF8.self)
            throw LettaClientError(
                code: .invalidResponse,
                message: "unexpected \(type) from Letta: \(error); body starts: \(excerpt)",
                httpStatus: response.status,
                request: request.summary,
                underlying: error
            )
        }
    }

    /// Characters left unescaped in query names and values (RFC 3986 unreserved), so tags such as
    /// `workflow:wf-1` or `a&b` arrive intact.
    private static let unreserved = CharacterSet(
        charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~"
    )

    static func queryEscape(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: unreserved) ?? text
    }

    /// An id as one path segment: an empty id or one with `/` would address another route.
    static func segment(_ id: String) throws(LettaClientError) -> String {
        guard !id.isEmpty, let escaped = id.addingPercentEncoding(withAllowedCharacters: unreserved) else {
            throw LettaClientError(code: .invalidConfiguration, message: "an agent id must not be empty")
        }
        return escaped
    }
}

// MARK: - Request bodies

/// `CreateAgent` as sent: snake_case, nil members left out so Letta applies its defaults.
struct CreateAgentBody: Encodable {
    var name: String
    var tags: [String]
    var memoryBlocks: [LettaMemoryBlockCreate]
    var llmConfig: LettaLLMConfig
    var embeddingConfig: LettaEmbeddingConfig
    var system: String?
    var description: String?
    var agentType: String?
    var metadata: [String: LettaJSON]?

    private enum CodingKeys: String, CodingKey {
        case name, tags, system, description, metadata
        case memoryBlocks = "memory_blocks"
        case llmConfig = "llm_config"
        case embeddingConfig = "embedding_config"
        case agentType = "agent_type"
    }
}

/// `UpdateAgent` with only `tags`.
struct UpdateTagsBody: Encodable {
    var tags: [String]
}

/// `LettaRequest` as sent: one or more messages with a role and text content.
struct SendMessageBody: Encodable {
    struct Message: Encodable {
        var role: String
        var content: String
    }

    var messages: [Message]
}
