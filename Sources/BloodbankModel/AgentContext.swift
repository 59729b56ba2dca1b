/// Metadata about the agent that produced an event (`agent_context` on the wire).
///
/// The ten known keys are typed; list and state fields stay `JSONValue` because producers disagree on
/// their element shapes, and any other member is kept in ``additionalFields`` and re-encoded after the
/// known keys, so nothing a producer sent is lost.
public struct AgentContext: Sendable, Hashable {
    /// The agent kind, an open set (`letta`, `claude-code`, `bmad-architect`, ...); `unknown` if absent.
    public var type: String
    /// The agent's name.
    public var name: String?
    /// The system prompt in use.
    public var systemPrompt: String?
    /// The agent instance id (for Letta, the agent id such as `agent-<uuid>`).
    public var instanceID: String?
    /// MCP servers available to the agent; a missing key decodes as `[]`, an explicit `null` stays `nil`.
    public var mcpServers: [JSONValue]?
    /// Files the agent referenced; missing → `[]`, `null` → `nil`.
    public var fileReferences: [JSONValue]?
    /// URLs the agent referenced; missing → `[]`, `null` → `nil`.
    public var urlReferences: [JSONValue]?
    /// Version-control or workspace state, any JSON; `nil` encodes as `null`.
    public var codeState: JSONValue?
    /// The checkpoint the agent was at (indexed by the store).
    public var checkpointID: String?
    /// Free-form metadata; `nil` encodes as `null`.
    public var meta: JSONObject?
    /// Members beyond the ten known keys, in arrival order.
    public var additionalFields: JSONObject

    /// The known keys in wire order.
    public static let knownKeys = [
        "type", "name", "system_prompt", "instance_id", "mcp_servers", "file_references", "url_references",
        "code_state", "checkpoint_id", "meta",
    ]

    /// Creates a context; list fields default to empty lists as the Python model does.
    public init(
        type: String,
        name: String? = nil,
        systemPrompt: String? = nil,
        instanceID: String? = nil,
        mcpServers: [JSONValue]? = [],
        fileReferences: [JSONValue]? = [],
        urlReferences: [JSONValue]? = [],
        codeState: JSONValue? = nil,
        checkpointID: String? = nil,
        meta: JSONObject? = nil,
        additionalFields: JSONObject = JSONObject()
    ) {
        self.type = type
        self.name = name
        self.systemPrompt = systemPrompt
        self.instanceID = instanceID
        self.mcpServers = mcpServers
        self.fileReferences = fileReferences
        self.urlReferences = urlReferences
        self.codeState = codeState
        self.checkpointID = checkpointID
        self.meta = meta
        self.additionalFields = additionalFields
    }

    /// Decodes the object form; a known key with the wrong JSON type is an `invalid_envelope` error.
    public init(decoding object: JSONObject) throws(BloodbankModelError) {
        func string(_ key: String) throws(BloodbankModelError) -> String? {
            switch object[key] {
            case .none, .null?: return nil
            case .string(let text)?: return text
            case let other?:
                throw .envelope("agent_context.\(key)", "expected a string or null, \(FieldChecks.got(other))")
            }
        }
        func list(_ key: String) throws(BloodbankModelError) -> [JSONValue]? {
            switch object[key] {
            case .none: return []
            case .null?: return nil
            case .array(let elements)?: return elements
            case let other?:
                throw .envelope("agent_context.\(key)", "expected an array or null, \(FieldChecks.got(other))")
            }
        }
        self.type = try string("type") ?? "unknown"
        self.name = try string("name")
        self.systemPrompt = try string("system_prompt")
        self.instanceID = try string("instance_id")
        self.mcpServers = try list("mcp_servers")
        self.fileReferences = try list("file_references")
        self.urlReferences = try list("url_references")
        switch object["code_state"] {
        case .none, .null?: self.codeState = nil
        case let other?: self.codeState = other
        }
        self.checkpointID = try string("checkpoint_id")
        switch object["meta"] {
        case .none, .null?: self.meta = nil
        case .object(let meta)?: self.meta = meta
        case let other?: throw .envelope("agent_context.meta", "expected an object or null, \(FieldChecks.got(other))")
        }
        var extra = JSONObject()
        for (key, value) in zip(object.keys, object.values) where !Self.knownKeys.contains(key) {
            extra.append(key, value)
        }
        self.additionalFields = extra
    }

    /// The canonical wire object: the ten known keys in order, then ``additionalFields``.
    public var jsonValue: JSONValue {
        var object: JSONObject = [
            "type": .string(type),
            "name": name.map(JSONValue.string) ?? .null,
            "system_prompt": systemPrompt.map(JSONValue.string) ?? .null,
            "instance_id": instanceID.map(JSONValue.string) ?? .null,
            "mcp_servers": mcpServers.map(JSONValue.array) ?? .null,
            "file_references": fileReferences.map(JSONValue.array) ?? .null,
            "url_references": urlReferences.map(JSONValue.array) ?? .null,
            "code_state": codeState ?? .null,
            "checkpoint_id": checkpointID.map(JSONValue.string) ?? .null,
            "meta": meta.map(JSONValue.object) ?? .null,
        ]
        for (key, value) in zip(additionalFields.keys, additionalFields.values) {
            object.append(key, value)
        }
        return .object(object)
    }
}
