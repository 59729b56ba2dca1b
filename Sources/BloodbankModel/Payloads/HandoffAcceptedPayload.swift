public import Foundation

/// `agent.handoff.accepted`: the receiving agent (a Letta agent via the bridge) took a handoff.
public struct HandoffAcceptedPayload: BloodbankPayload, Hashable {
    /// The routing key.
    public static let eventType = "agent.handoff.accepted"
    /// Schema and docs summary.
    public static let summary = "An agent accepted a handed-off task."
    /// Field descriptors, the single source of truth for validation and schema.
    public static let fields: [PayloadField] = [
        .required("workflow_id", .uuid, "The workflow's id."),
        .required("agent_type", .string, "The accepting agent's kind, e.g. letta."),
        .required("session_id", .string, "The Letta agent id verbatim (agent-<uuid>)."),
        .required("accepted_from", .string, "The agent that handed the task off."),
        .optional("to_agent", .string, "The name of the accepting agent."),
        .optional("checkpoint_id", .string, "The checkpoint the accepting agent starts from."),
    ]

    /// The workflow's id.
    public var workflowID: UUID
    /// The accepting agent's kind.
    public var agentType: String
    /// The Letta agent id verbatim, e.g. `agent-<uuid>` (a string: test ids such as `agent-1234` exist).
    public var sessionID: String
    /// The handing-off agent.
    public var acceptedFrom: String
    /// The accepting agent's name.
    public var toAgent: String?
    /// The starting checkpoint.
    public var checkpointID: String?

    /// The UUID inside ``sessionID``, which keys `agent_sessions`; `nil` when it has none.
    public var sessionUUID: UUID? {
        BloodbankUUID.fromLettaAgentID(sessionID)
    }

    /// Creates a payload for publishing.
    public init(
        workflowID: UUID,
        agentType: String,
        sessionID: String,
        acceptedFrom: String,
        toAgent: String? = nil,
        checkpointID: String? = nil
    ) {
        self.workflowID = workflowID
        self.agentType = agentType
        self.sessionID = sessionID
        self.acceptedFrom = acceptedFrom
        self.toAgent = toAgent
        self.checkpointID = checkpointID
    }

    /// Decodes a payload that passed validation against ``fields``.
    public init(validatedPayload payload: JSONObject) throws(BloodbankModelError) {
        let reader = PayloadReader(payload, fields: Self.fields)
        self.workflowID = try reader.require("workflow_id", reader.uuid)
        self.agentType = try reader.require("agent_type", reader.string)
        self.sessionID = try reader.require("session_id", reader.string)
        self.acceptedFrom = try reader.require("accepted_from", reader.string)
        self.toAgent = try reader.string("to_agent")
        self.checkpointID = try reader.string("checkpoint_id")
    }

    /// The wire object.
    public var jsonObject: JSONObject {
        var writer = PayloadWriter()
        writer.set("workflow_id", workflowID)
        writer.set("agent_type", agentType)
        writer.set("session_id", sessionID)
        writer.set("accepted_from", acceptedFrom)
        writer.set("to_agent", toAgent)
        writer.set("checkpoint_id", checkpointID)
        return writer.object
    }
}
