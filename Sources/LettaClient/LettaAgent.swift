import Foundation

/// A Letta agent as the server describes it (`AgentState`), reduced to what a caller of this client needs.
///
/// Letta returns far more (tools, tool rules, message ids); those are not decoded, so a new Letta field
/// never breaks decoding.
public struct LettaAgent: Sendable, Hashable, Decodable {
    /// The agent id, `agent-<uuid>`; the bridge publishes it verbatim as the session id.
    public var id: String
    /// The agent's name (unique per user on a Letta server).
    public var name: String
    /// Tags, used to find the agent again (e.g. by workflow).
    public var tags: [String]
    /// Free-text description.
    public var description: String?
    /// The system prompt in force.
    public var system: String?
    /// Letta's agent architecture (`memgpt_v2_agent` by default on 0.11.x).
    public var agentType: String?
    /// The model configuration in force.
    public var llmConfig: LettaLLMConfig?
    /// The embedding configuration in force.
    public var embeddingConfig: LettaEmbeddingConfig?
    /// The core memory blocks (as listed in `memory.blocks`).
    public var memoryBlocks: [LettaMemoryBlock]
    /// Arbitrary metadata set at creation.
    public var metadata: [String: LettaJSON]?
    /// Creation time as Letta writes it (ISO 8601, often without a zone: UTC).
    public var createdAt: String?

    private enum CodingKeys: String, CodingKey {
        case id, name, tags, description, system, memory, metadata
        case agentType = "agent_type"
        case llmConfig = "llm_config"
        case embeddingConfig = "embedding_config"
        case createdAt = "created_at"
    }

    private struct Memory: Decodable {
        var blocks: [LettaMemoryBlock]?
    }

    /// Decodes Letta's `AgentState`; missing optional parts become empty or nil.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        id = try container.decode(String.self, forKey: .id)
        name = try container.decodeIfPresent(String.self, forKey: .name) ?? ""
        tags = try container.decodeIfPresent([String].self, forKey: .tags) ?? []
        description = try container.decodeIfPresent(String.self, forKey: .description)
        system = try container.decodeIfPresent(String.self, forKey: .system)
        agentType = try container.decodeIfPresent(String.self, forKey: .agentType)
        llmConfig = try container.decodeIfPresent(LettaLLMConfig.self, forKey: .llmConfig)
        embeddingConfig = try container.decodeIfPresent(LettaEmbeddingConfig.self, forKey: .embeddingConfig)
        memoryBlocks = try container.decodeIfPresent(Memory.self, forKey: .memory)?.blocks ?? []
        metadata = try container.decodeIfPresent([String: LettaJSON].self, forKey: .metadata)
        createdAt = try container.decodeIfPresent(String.self, forKey: .createdAt)
    }

    /// The block with this label, if the agent has one.
    public func memoryBlock(labeled label: String) -> LettaMemoryBlock? {
        memoryBlocks.first { $0.label == label }
    }
}

/// One block of an agent's core memory: a labelled piece of text always in the agent's context.
public struct LettaMemoryBlock: Sendable, Hashable, Decodable {
    /// Block id, `block-<uuid>`.
    public var id: String?
    /// The block's label (`persona`, `human`, `task`, ...), unique within an agent.
    public var label: String
    /// The text.
    public var value: String
    /// Maximum characters the agent may keep in the block.
    public var limit: Int?
    /// What the block is for, as shown to the agent.
    public var description: String?
    /// Whether the agent is prevented from editing the block.
    public var readOnly: Bool?

    private enum CodingKeys: String, CodingKey {
        case id, label, value, limit, description
        case readOnly = "read_only"
    }
}

/// A memory block to create with an agent: label, initial text and optional character limit.
public struct LettaMemoryBlockCreate: Sendable, Hashable, Encodable {
    /// The block's label, unique within the agent.
    public var label: String
    /// The initial text.
    public var value: String
    /// Maximum characters; Letta's default (20 000 on 0.11.x) when nil.
    public var limit: Int?
    /// What the block is for, shown to the agent.
    public var description: String?
    /// Whether the agent may not edit the block (e.g. a task statement it must keep verbatim).
    public var readOnly: Bool?

    /// Creates a block description for `LettaClient.createAgent`; a nil `limit` takes Letta's default.
    public init(label: String, value: String, limit: Int? = nil, description: String? = nil, readOnly: Bool? = nil) {
        self.label = label
        self.value = value
        self.limit = limit
        self.description = description
        self.readOnly = readOnly
    }

    private enum CodingKeys: String, CodingKey {
        case label, value, limit, description
        case readOnly = "read_only"
    }
}

/// What `GET /v1/health/` answers.
public struct LettaHealth: Sendable, Hashable, Decodable {
    /// The server's Letta version, e.g. `0.11.7`.
    public var version: String
    /// `ok` when the server is up.
    public var status: String
}
