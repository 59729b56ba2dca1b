public import Foundation

/// `agent.letta.checkpoint.saved`: a Letta agent saved a checkpoint of its work.
public struct CheckpointSavedPayload: BloodbankPayload, Hashable {
    /// The routing key.
    public static let eventType = "agent.letta.checkpoint.saved"
    /// Schema and docs summary.
    public static let summary = "A Letta agent saved a checkpoint."
    /// Field descriptors, the single source of truth for validation and schema.
    public static let fields: [PayloadField] = [
        .required("session_id", .string, "The Letta agent id verbatim (agent-<uuid>)."),
        .required("checkpoint_id", .string, "The checkpoint's id."),
        .optional("agent_instance_id", .string, "The agent instance that saved it."),
        .optional("checkpoint_type", .cases(of: CheckpointType.self), "Why the checkpoint was saved."),
        .optional("summary", .string, "What the checkpoint captures."),
        .optional("context_snapshot", .object(nil), "The agent's context at the checkpoint."),
        .optional("metrics", .object(Metrics.fields), "Resource use up to the checkpoint."),
        .optional("workflow_id", .uuid, "The workflow the checkpointed task belongs to."),
        .optional("task_id", .string, "The checkpointed task (the handoff event id for the bridge)."),
    ]

    /// Resource use reported with a checkpoint.
    public struct Metrics: Sendable, Hashable {
        /// Descriptors of the nested object.
        public static let fields: [PayloadField] = [
            .optional("tokens_used", .integer, "Tokens consumed so far."),
            .optional("duration_seconds", .number, "Wall time so far, in seconds."),
        ]
        /// Tokens consumed.
        public var tokensUsed: Int64?
        /// Wall time in seconds (a `Double` view; the stored payload keeps the exact literal).
        public var durationSeconds: Double?

        /// Creates metrics.
        public init(tokensUsed: Int64? = nil, durationSeconds: Double? = nil) {
            self.tokensUsed = tokensUsed
            self.durationSeconds = durationSeconds
        }
    }

    /// The Letta agent id verbatim.
    public var sessionID: String
    /// The checkpoint id.
    public var checkpointID: String
    /// The agent instance.
    public var agentInstanceID: String?
    /// Why it was saved.
    public var checkpointType: CheckpointType?
    /// A summary.
    public var summary: String?
    /// The context snapshot.
    public var contextSnapshot: JSONObject?
    /// Resource use.
    public var metrics: Metrics?
    /// The workflow of the task.
    public var workflowID: UUID?
    /// The task.
    public var taskID: String?

    /// Creates a payload for publishing.
    public init(
        sessionID: String,
        checkpointID: String,
        agentInstanceID: String? = nil,
        checkpointType: CheckpointType? = nil,
        summary: String? = nil,
        contextSnapshot: JSONObject? = nil,
        metrics: Metrics? = nil,
        workflowID: UUID? = nil,
        taskID: String? = nil
    ) {
        self.sessionID = sessionID
        self.checkpointID = checkpointID
        self.agentInstanceID = agentInstanceID
        self.checkpointType = checkpointType
        self.summary = summary
        self.contextSnapshot = contextSnapshot
        self.metrics = metrics
        self.workflowID = workflowID
        self.taskID = taskID
    }

    /// Decodes a payload that passed validation against ``fields``.
    public init(validatedPayload payload: JSONObject) throws(BloodbankModelError) {
        let reader = PayloadReader(payload, fields: Self.fields)
        self.sessionID = try reader.require("session_id", reader.string)
        self.checkpointID = try reader.require("checkpoint_id", reader.string)
        self.agentInstanceID = try reader.string("agent_instance_id")
        self.checkpointType = try reader.enumeration("checkpoint_type", as: CheckpointType.self)
        self.summary = try reader.string("summary")
        self.contextSnapshot = try reader.object("context_snapshot")
        if let metrics = try reader.nested("metrics") {
            self.metrics = Metrics(
                tokensUsed: try metrics.int64("tokens_used"),
                durationSeconds: try metrics.double("duration_seconds")
            )
        } else {
            self.metrics = nil
        }
        self.workflowID = try reader.uuid("workflow_id")
        self.taskID = try reader.string("task_id")
    }

    /// The wire object.
    public var jsonObject: JSONObject {
        var writer = PayloadWriter()
        writer.set("session_id", sessionID)
        writer.set("checkpoint_id", checkpointID)
        writer.set("agent_instance_id", agentInstanceID)
        writer.set("checkpoint_type", checkpointType)
        writer.set("summary", summary)
        writer.set("context_snapshot", contextSnapshot)
        if let metrics {
            var nested = PayloadWriter()
            nested.set("tokens_used", metrics.tokensUsed)
            nested.set("duration_seconds", metrics.durationSeconds)
            writer.set("metrics", nested.object)
        }
        writer.set("workflow_id", workflowID)
        writer.set("task_id", taskID)
        return writer.object
    }
}
