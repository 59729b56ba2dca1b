public import Foundation

/// Why a Letta session failed (`agent.letta.session.failed`); unknown values are rejected.
public enum SessionFailureKind: String, Sendable, Hashable, CaseIterable, Codable {
    /// No progress for the configured stall time.
    case stalled
    /// Letta could not be reached.
    case lettaUnavailable = "letta_unavailable"
    /// The agent's turn failed.
    case agentError = "agent_error"
}

/// How a recovered task went on (`agent.letta.task.resumed`); unknown values are rejected.
public enum TaskResumption: String, Sendable, Hashable, CaseIterable, Codable {
    /// The agent had already answered before the crash; its stored reply is the outcome.
    case storedReply = "stored_reply"
    /// The agent's turn was still running; the bridge waited for it.
    case runningTurn = "running_turn"
    /// The turn was lost (e.g. Letta restarted); the agent was asked again from the last checkpoint.
    case newTurn = "new_turn"
}

/// `agent.letta.session.failed`: a Letta session stopped working on its task.
public struct SessionFailedPayload: BloodbankPayload, Hashable {
    /// The routing key.
    public static let eventType = "agent.letta.session.failed"
    /// Schema and docs summary.
    public static let summary = "A Letta session failed (stalled, Letta unavailable or an agent error)."
    /// Field descriptors, the single source of truth for validation and schema.
    public static let fields: [PayloadField] = [
        .required("session_id", .string, "The Letta agent id verbatim (agent-<uuid>)."),
        .required("reason", .string, "Why the session failed."),
        .optional("workflow_id", .uuid, "The workflow's id."),
        .optional("task_id", .string, "The task's id (the handoff event id for the bridge)."),
        .optional("failure", .cases(of: SessionFailureKind.self), "The kind of failure."),
        .optional("checkpoint_id", .string, "The last checkpoint of the session."),
        .optional("retryable", .boolean, "Whether retrying later may succeed."),
    ]

    /// The Letta agent id verbatim.
    public var sessionID: String
    /// Why it failed.
    public var reason: String
    /// The workflow's id.
    public var workflowID: UUID?
    /// The task id.
    public var taskID: String?
    /// The kind of failure.
    public var failure: SessionFailureKind?
    /// The last checkpoint.
    public var checkpointID: String?
    /// Whether a retry may succeed.
    public var retryable: Bool?

    /// Creates a payload for publishing.
    public init(
        sessionID: String, reason: String, workflowID: UUID? = nil, taskID: String? = nil,
        failure: SessionFailureKind? = nil, checkpointID: String? = nil, retryable: Bool? = nil
    ) {
        self.sessionID = sessionID
        self.reason = reason
        self.workflowID = workflowID
        self.taskID = taskID
        self.failure = failure
        self.checkpointID = checkpointID
        self.retryable = retryable
    }

    /// Decodes a payload that passed validation against ``fields``.
    public init(validatedPayload payload: JSONObject) throws(BloodbankModelError) {
        let reader = PayloadReader(payload, fields: Self.fields)
        self.sessionID = try reader.require("session_id", reader.string)
        self.reason = try reader.require("reason", reader.string)
        self.workflowID = try reader.uuid("workflow_id")
        self.taskID = try reader.string("task_id")
        self.failure = try reader.enumeration("failure", as: SessionFailureKind.self)
        self.checkpointID = try reader.string("checkpoint_id")
        self.retryable = try reader.bool("retryable")
    }

    /// The wire object.
    public var jsonObject: JSONObject {
        var writer = PayloadWriter()
        writer.set("session_id", sessionID)
        writer.set("reason", reason)
        writer.set("workflow_id", workflowID)
        writer.set("task_id", taskID)
        writer.set("failure", failure)
        writer.set("checkpoint_id", checkpointID)
        writer.set("retryable", retryable)
        return writer.object
    }
}

/// `agent.letta.session.paused`: a Letta session was paused (its work stopped, to be resumed later).
public struct SessionPausedPayload: BloodbankPayload, Hashable {
    /// The routing key.
    public static let eventType = "agent.letta.session.paused"
    /// Schema and docs summary.
    public static let summary = "A Letta session was paused."
    /// Field descriptors, the single source of truth for validation and schema.
    public static let fields: [PayloadField] = [
        .required("session_id", .string, "The Letta agent id verbatim (agent-<uuid>)."),
        .optional("workflow_id", .uuid, "The workflow's id."),
        .optional("task_id", .string, "The task's id."),
        .optional("reason", .string, "Why the session was paused."),
        .optional("checkpoint_id", .string, "The checkpoint the session can be resumed from."),
    ]

    /// The Letta agent id verbatim.
    public var sessionID: String
    /// The workflow's id.
    public var workflowID: UUID?
    /// The task id.
    public var taskID: String?
    /// Why it was paused.
    public var reason: String?
    /// The checkpoint to resume from.
    public var checkpointID: String?

    /// Creates a payload for publishing.
    public init(
        sessionID: String, workflowID: UUID? = nil, taskID: String? = nil, reason: String? = nil,
        checkpointID: String? = nil
    ) {
        self.sessionID = sessionID
        self.workflowID = workflowID
        self.taskID = taskID
        self.reason = reason
        self.checkpointID = checkpointID
    }

    /// Decodes a payload that passed validation against ``fields``.
    public init(validatedPayload payload: JSONObject) throws(BloodbankModelError) {
        let reader = PayloadReader(payload, fields: Self.fields)
        self.sessionID = try reader.require("session_id", reader.string)
        self.workflowID = try reader.uuid("workflow_id")
        self.taskID = try reader.string("task_id")
        self.reason = try reader.string("reason")
        self.checkpointID = try reader.string("checkpoint_id")
    }

    /// The wire object.
    public var jsonObject: JSONObject {
        var writer = PayloadWriter()
        writer.set("session_id", sessionID)
        writer.set("workflow_id", workflowID)
        writer.set("task_id", taskID)
        writer.set("reason", reason)
        writer.set("checkpoint_id", checkpointID)
        return writer.object
    }
}

/// `agent.letta.session.resumed`: a paused or failed Letta session works again.
public struct SessionResumedPayload: BloodbankPayload, Hashable {
    /// The routing key.
    public static let eventType = "agent.letta.session.resumed"
    /// Schema and docs summary.
    public static let summary = "A Letta session was resumed."
    /// Field descriptors, the single source of truth for validation and schema.
    public static let fields: [PayloadField] = [
        .required("session_id", .string, "The Letta agent id verbatim (agent-<uuid>)."),
        .optional("workflow_id", .uuid, "The workflow's id."),
        .optional("task_id", .string, "The task's id."),
        .optional("checkpoint_id", .string, "The checkpoint the session resumed from."),
    ]

    /// The Letta agent id verbatim.
    public var sessionID: String
    /// The workflow's id.
    public var workflowID: UUID?
    /// The task id.
    public var taskID: String?
    /// The checkpoint resumed from.
    public var checkpointID: String?

    /// Creates a payload for publishing.
    public init(sessionID: String, workflowID: UUID? = nil, taskID: String? = nil, checkpointID: String? = nil) {
        self.sessionID = sessionID
        self.workflowID = workflowID
        self.taskID = taskID
        self.checkpointID = checkpointID
    }

    /// Decodes a payload that passed validation against ``fields``.
    public init(validatedPayload payload: JSONObject) throws(BloodbankModelError) {
        let reader = PayloadReader(payload, fields: Self.fields)
        self.sessionID = try reader.require("session_id", reader.string)
        self.workflowID = try reader.uuid("workflow_id")
        self.taskID = try reader.string("task_id")
        self.checkpointID = try reader.string("checkpoint_id")
    }

    /// The wire object.
    public var jsonObject: JSONObject {
        var writer = PayloadWriter()
        writer.set("session_id", sessionID)
        writer.set("workflow_id", workflowID)
        writer.set("task_id", taskID)
        writer.set("checkpoint_id", checkpointID)
        return writer.object
    }
}

/// `agent.letta.session.recovery.started`: the bridge took up an accepted task whose outcome was never published.
public struct SessionRecoveryStartedPayload: BloodbankPayload, Hashable {
    /// The routing key.
    public static let eventType = "agent.letta.session.recovery.started"
    /// Schema and docs summary.
    public static let summary = "Recovery of an accepted Letta task without an outcome started."
    /// Field descriptors, the single source of truth for validation and schema.
    public static let fields: [PayloadField] = [
        .required("session_id", .string, "The Letta agent id verbatim (agent-<uuid>)."),
        .required("workflow_id", .uuid, "The workflow's id."),
        .required("reason", .string, "Why recovery was needed (e.g. the handoff was redelivered after acceptance)."),
        .optional("task_id", .string, "The task's id (the handoff event id for the bridge)."),
        .optional("checkpoint_id", .string, "The last checkpoint, the one recovery resumes from."),
    ]

    /// The Letta agent id verbatim.
    public var sessionID: String
    /// The workflow's id.
    public var workflowID: UUID
    /// Why recovery was needed.
    public var reason: String
    /// The task id.
    public var taskID: String?
    /// The checkpoint recovery resumes from.
    public var checkpointID: String?

    /// Creates a payload for publishing.
    public init(sessionID: String, workflowID: UUID, reason: String, taskID: String? = nil, checkpointID: String? = nil)
    {
        self.sessionID = sessionID
        self.workflowID = workflowID
        self.reason = reason
        self.taskID = taskID
        self.checkpointID = checkpointID
    }

    /// Decodes a payload that passed validation against ``fields``.
    public init(validatedPayload payload: JSONObject) throws(BloodbankModelError) {
        let reader = PayloadReader(payload, fields: Self.fields)
        self.sessionID = try reader.require("session_id", reader.string)
        self.workflowID = try reader.require("workflow_id", reader.uuid)
        self.reason = try reader.require("reason", reader.string)
        self.taskID = try reader.string("task_id")
        self.checkpointID = try reader.string("checkpoint_id")
    }

    /// The wire object.
    public var jsonObject: JSONObject {
        var writer = PayloadWriter()
        writer.set("session_id", sessionID)
        writer.set("workflow_id", workflowID)
        writer.set("reason", reason)
        writer.set("task_id", taskID)
        writer.set("checkpoint_id", checkpointID)
        return writer.object
    }
}

/// `agent.letta.context.restored`: a Letta agent's context was restored from a checkpoint.
public struct ContextRestoredPayload: BloodbankPayload, Hashable {
    /// The routing key.
    public static let eventType = "agent.letta.context.restored"
    /// Schema and docs summary.
    public static let summary = "A Letta agent's context was restored from a checkpoint."
    /// Field descriptors, the single source of truth for validation and schema.
    public static let fields: [PayloadField] = [
        .required("session_id", .string, "The Letta agent id verbatim (agent-<uuid>)."),
        .required("checkpoint_id", .string, "The checkpoint restored."),
        .optional("workflow_id", .uuid, "The workflow's id."),
        .optional("task_id", .string, "The task's id."),
        .optional("message_count", .integer, "Messages in the restored context."),
        .optional("memory_blocks", .array(.string), "Labels of the memory blocks restored."),
    ]

    /// The Letta agent id verbatim.
    public var sessionID: String
    /// The checkpoint restored.
    public var checkpointID: String
    /// The workflow's id.
    public var workflowID: UUID?
    /// The task id.
    public var taskID: String?
    /// Messages in the restored context.
    public var messageCount: Int64?
    /// Labels of the restored memory blocks (`[]` when not sent).
    public var memoryBlocks: [String]

    /// Creates a payload for publishing.
    public init(
        sessionID: String, checkpointID: String, workflowID: UUID? = nil, taskID: String? = nil,
        messageCount: Int64? = nil, memoryBlocks: [String] = []
    ) {
        self.sessionID = sessionID
        self.checkpointID = checkpointID
        self.workflowID = workflowID
        self.taskID = taskID
        self.messageCount = messageCount
        self.memoryBlocks = memoryBlocks
    }

    /// Decodes a payload that passed validation against ``fields``.
    public init(validatedPayload payload: JSONObject) throws(BloodbankModelError) {
        let reader = PayloadReader(payload, fields: Self.fields)
        self.sessionID = try reader.require("session_id", reader.string)
        self.checkpointID = try reader.require("checkpoint_id", reader.string)
        self.workflowID = try reader.uuid("workflow_id")
        self.taskID = try reader.string("task_id")
        self.messageCount = try reader.int64("message_count")
        self.memoryBlocks = (reader.value("memory_blocks")?.arrayValue ?? []).compactMap(\.stringValue)
    }

    /// The wire object.
    public var jsonObject: JSONObject {
        var writer = PayloadWriter()
        writer.set("session_id", sessionID)
        writer.set("checkpoint_id", checkpointID)
        writer.set("workflow_id", workflowID)
        writer.set("task_id", taskID)
        writer.set("message_count", messageCount)
        if !memoryBlocks.isEmpty { writer.set("memory_blocks", memoryBlocks.map(JSONValue.string)) }
        return writer.object
    }
}

/// `agent.letta.task.resumed`: a recovered task goes on (its outcome follows).
public struct TaskResumedPayload: BloodbankPayload, Hashable {
    /// The routing key.
    public static let eventType = "agent.letta.task.resumed"
    /// Schema and docs summary.
    public static let summary = "A recovered Letta task was resumed from its last checkpoint."
    /// Field descriptors, the single source of truth for validation and schema.
    public static let fields: [PayloadField] = [
        .required("session_id", .string, "The Letta agent id verbatim (agent-<uuid>)."),
        .required("workflow_id", .uuid, "The workflow's id."),
        .optional("task_id", .string, "The task's id (the handoff event id for the bridge)."),
        .optional("checkpoint_id", .string, "The checkpoint the task resumed from."),
        .optional("resumption", .cases(of: TaskResumption.self), "How the task went on."),
    ]

    /// The Letta agent id verbatim.
    public var sessionID: String
    /// The workflow's id.
    public var workflowID: UUID
    /// The task id.
    public var taskID: String?
    /// The checkpoint resumed from.
    public var checkpointID: String?
    /// How the task went on.
    public var resumption: TaskResumption?

    /// Creates a payload for publishing.
    public init(
        sessionID: String, workflowID: UUID, taskID: String? = nil, checkpointID: String? = nil,
        resumption: TaskResumption? = nil
    ) {
        self.sessionID = sessionID
        self.workflowID = workflowID
        self.taskID = taskID
        self.checkpointID = checkpointID
        self.resumption = resumption
    }

    /// Decodes a payload that passed validation against ``fields``.
    public init(validatedPayload payload: JSONObject) throws(BloodbankModelError) {
        let reader = PayloadReader(payload, fields: Self.fields)
        self.sessionID = try reader.require("session_id", reader.string)
        self.workflowID = try reader.require("workflow_id", reader.uuid)
        self.taskID = try reader.string("task_id")
        self.checkpointID = try reader.string("checkpoint_id")
        self.resumption = try reader.enumeration("resumption", as: TaskResumption.self)
    }

    /// The wire object.
    public var jsonObject: JSONObject {
        var writer = PayloadWriter()
        writer.set("session_id", sessionID)
        writer.set("workflow_id", workflowID)
        writer.set("task_id", taskID)
        writer.set("checkpoint_id", checkpointID)
        writer.set("resumption", resumption)
        return writer.object
    }
}
