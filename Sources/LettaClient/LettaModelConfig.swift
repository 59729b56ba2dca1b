import Foundation

/// Which language model an agent thinks with: Letta's `llm_config`.
///
/// Letta (0.11.x) needs it explicitly when an agent is created, unless the server has a default handle.
/// The fields below are the ones that matter for an OpenAI-compatible endpoint; anything else Letta knows
/// (e.g. `enable_reasoner`, `frequency_penalty`) goes in ``extra`` and is sent and kept verbatim.
public struct LettaLLMConfig: Sendable, Hashable, Codable {
    /// The model name sent to the endpoint (`gpt-4o-mini`, or `stub-model` for the local stub).
    public var model: String
    /// The provider protocol Letta speaks to the endpoint; `openai` for any OpenAI-compatible server.
    public var modelEndpointType: String
    /// The endpoint's base URL, including `/v1` for OpenAI-compatible servers.
    public var modelEndpoint: String?
    /// The context window Letta budgets for (tokens); it summarises history past it.
    public var contextWindow: Int
    /// Optional handle (`openai/gpt-4o-mini`) naming a provider model the server already knows.
    public var handle: String?
    /// Sampling temperature; Letta's default (0.7) when nil.
    public var temperature: Double?
    /// Completion token cap; the endpoint's default when nil.
    public var maxTokens: Int?
    /// Whether Letta asks for the inner monologue as a tool argument (`thinking`); Letta's default when nil.
    public var putInnerThoughtsInKwargs: Bool?
    /// Every other `llm_config` member, passed through unchanged.
    public var extra: [String: LettaJSON]

    /// Creates a configuration for a model behind an endpoint.
    public init(
        model: String,
        modelEndpointType: String = "openai",
        modelEndpoint: String?,
        contextWindow: Int,
        handle: String? = nil,
        temperature: Double? = nil,
        maxTokens: Int? = nil,
        putInnerThoughtsInKwargs: Bool? = nil,
        extra: [String: LettaJSON] = [:]
    ) {
        self.model = model
        self.modelEndpointType = modelEndpointType
        self.modelEndpoint = modelEndpoint
        self.contextWindow = contextWindow
        self.handle = handle
        self.temperature = temperature
        self.maxTokens = maxTokens
        self.putInnerThoughtsInKwargs = putInnerThoughtsInKwargs
        self.extra = extra
    }

    /// The local stack's model stub (`tools/model-stub`, started by `scripts/letta start`).
    public static func modelStub(endpoint: String = "http://127.0.0.1:8299/v1") -> LettaLLMConfig {
        LettaLLMConfig(model: "stub-model", modelEndpoint: endpoint, contextWindow: 32000)
    }

    private static let knownKeys: Set<String> = [
        "model", "model_endpoint_type", "model_endpoint", "context_window", "handle", "temperature", "max_tokens",
        "put_inner_thoughts_in_kwargs",
    ]

    /// Decodes Letta's snake_case object, keeping unknown members in ``extra``.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: DynamicCodingKey.self)
        model = try container.decode(String.self, forKey: DynamicCodingKey("model"))
        modelEndpointType = try container.decode(String.self, forKey: DynamicCodingKey("model_endpoint_type"))
        modelEndpoint = try container.decodeIfPresent(String.self, forKey: DynamicCodingKey("model_endpoint"))
        contextWindow = try container.decode(Int.self, forKey: DynamicCodingKey("context_window"))
        handle = try container.decodeIfPresent(String.self, forKey: DynamicCodingKey("handle"))
        temperature = try container.decodeIfPresent(Double.self, forKey: DynamicCodingKey("temperature"))
        maxTokens = try container.decodeIfPresent(Int.self, forKey: DynamicCodingKey("max_tokens"))
        putInnerThoughtsInKwargs = try container.decodeIfPresent(
            Bool.self,
            forKey: DynamicCodingKey("put_inner_thoughts_in_kwargs")
        )
        extra = try container.extraMembers(excluding: Self.knownKeys)
    }

    /// Encodes Letta's snake_case object; nil members are left out so Letta applies its defaults.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: DynamicCodingKey.self)
        for (key, value) in extra where !Self.knownKeys.contains(key) {
            try container.encode(value, forKey: DynamicCodingKey(key))
        }
        try container.encode(model, forKey: DynamicCodingKey("model"))
        try container.encode(modelEndpointType, forKey: DynamicCodingKey("model_endpoint_type"))
        try container.encodeIfPresent(modelEndpoint, forKey: DynamicCodingKey("model_endpoint"))
        try container.encode(contextWindow, forKey: DynamicCodingKey("context_window"))
        try container.encodeIfPresent(handle, forKey: DynamicCodingKey("handle"))
        try container.encodeIfPresent(temperature, forKey: DynamicCodingKey("temperature"))
        try container.encodeIfPresent(maxTokens, forKey: DynamicCodingKey("max_tokens"))
        try container.encodeIfPresent(
            putInnerThoughtsInKwargs,
            forKey: DynamicCodingKey("put_inner_thoughts_in_kwargs")
        )
    }
}

/// Which embedding model an agent's archival memory and search use: Letta's `embedding_config`.
///
/// Required at agent creation (Letta 0.11.x) even when nothing is ever embedded.
public struct LettaEmbeddingConfig: Sendable, Hashable, Codable {
    /// The provider protocol; `openai` for any OpenAI-compatible server.
    public var embeddingEndpointType: String
    /// The endpoint's base URL, including `/v1` for OpenAI-compatible servers.
    public var embeddingEndpoint: String?
    /// The embedding model name sent to the endpoint.
    public var embeddingModel: String
    /// The vector dimension the endpoint returns; must match the model.
    public var embeddingDim: Int
    /// Characters per chunk when Letta splits documents for embedding.
    public var embeddingChunkSize: Int?
    /// Optional handle (`openai/text-embedding-3-small`) naming a provider model the server already knows.
    public var handle: String?
    /// Every other `embedding_config` member, passed through unchanged.
    public var extra: [String: LettaJSON]

    /// Creates a configuration for an embedding model behind an endpoint.
    public init(
        embeddingEndpointType: String = "openai",
        embeddingEndpoint: String?,
        embeddingModel: String,
        embeddingDim: Int,
        embeddingChunkSize: Int? = 300,
        handle: String? = nil,
        extra: [String: LettaJSON] = [:]
    ) {
        self.embeddingEndpointType = embeddingEndpointType
        self.embeddingEndpoint = embeddingEndpoint
        self.embeddingModel = embeddingModel
        self.embeddingDim = embeddingDim
        self.embeddingChunkSize = embeddingChunkSize
        self.handle = handle
        self.extra = extra
    }

    /// The local stack's model stub (`tools/model-stub`): deterministic vectors of dimension 1536.
    public static func modelStub(endpoint: String = "http://127.0.0.1:8299/v1") -> LettaEmbeddingConfig {
        LettaEmbeddingConfig(embeddingEndpoint: endpoint, embeddingModel: "stub-embedding", embeddingDim: 1536)
    }

    private static let knownKeys: Set<String> = [
        "embedding_endpoint_type", "embedding_endpoint", "embedding_model", "embedding_dim", "embedding_chunk_size",
        "handle",
    ]

    /// Decodes Letta's snake_case object, keeping unknown members in ``extra``.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: DynamicCodingKey.self)
        embeddingEndpointType = try container.decode(String.self, forKey: DynamicCodingKey("embedding_endpoint_type"))
        embeddingEndpoint = try container.decodeIfPresent(String.self, forKey: DynamicCodingKey("embedding_endpoint"))
        embeddingModel = try container.decode(String.self, forKey: DynamicCodingKey("embedding_model"))
        embeddingDim = try container.decode(Int.self, forKey: DynamicCodingKey("embedding_dim"))
        embeddingChunkSize = try container.decodeIfPresent(Int.self, forKey: DynamicCodingKey("embedding_chunk_size"))
        handle = try container.decodeIfPresent(String.self, forKey: DynamicCodingKey("handle"))
        extra = try container.extraMembers(excluding: Self.knownKeys)
    }

    /// Encodes Letta's snake_case object; nil members are left out so Letta applies its defaults.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: DynamicCodingKey.self)
        for (key, value) in extra where !Self.knownKeys.contains(key) {
            try container.encode(value, forKey: DynamicCodingKey(key))
        }
        try container.encode(embeddingEndpointType, forKey: DynamicCodingKey("embedding_endpoint_type"))
        try container.encodeIfPresent(embeddingEndpoint, forKey: DynamicCodingKey("embedding_endpoint"))
        try container.encode(embeddingModel, forKey: DynamicCodingKey("embedding_model"))
        try container.encode(embeddingDim, forKey: DynamicCodingKey("embedding_dim"))
        try container.encodeIfPresent(embeddingChunkSize, forKey: DynamicCodingKey("embedding_chunk_size"))
        try container.encodeIfPresent(handle, forKey: DynamicCodingKey("handle"))
    }
}
