public import Foundation

/// `agent.letta.task.blocked`: a Letta agent cannot continue a task without help.
public struct TaskBlockedPayload: BloodbankPayload, Hashable {
    /// The routing key.
    public static let eventType = "agent.letta.task.blocked"
    /// Schema and docs summary.
    public static let summary = "A Letta agent is blocked on a task."
    /// Field descriptors, the single source of truth for validation and schema.
    public static let fields: [PayloadField] = [
        .required("session_id", .string, "The Letta agent id verbatim (agent-<uuid>)."),
        .required("workflow_id", .uuid, "The workflow's id."),
        .required("reason", .string, "Why the agent is blocked."),
        .optional("task_id", .string, "The task's id."),
        .optional("needs", .anyOf([.string, .array(.string)]), "What would unblock it: one text or a list."),
        .optional("retryable", .boolean, "Whether retrying later may succeed."),
    ]

    /// The Letta agent id verbatim.
    public var sessionID: String
    /// The workflow's id.
    public var workflowID: UUID
    /// Why it is blocked.
    public var reason: String
    /// The task id.
    public var taskID: String?
    /// What would unblock it; a single string on the wire becomes a one-element list (`[]` when not sent).
    public var needs: [String]
    /// Whether a retry may succeed.
    public var retryable: Bool?

    /// Creates a payload for publishing.
    public init(
        sessionID: String,
        workflowID: UUID,
        reason: String,
        taskID: String? = nil,
        needs: [String] = [],
        retryable: Bool? = nil
    ) {
        self.sessionID = sessionID
        self.workflowID = workflowID
        self.reason = reason
        self.taskID = taskID
        self.needs = needs
        self.retryable = retryable
    }

    /// Decodes a payload that passed validation against ``fields``.
    public init(validatedPayload payload: JSONObject) throws(BloodbankModelError) {
        let reader = PayloadReader(payload, fields: Self.fields)
        self.sessionID = try reader.require("session_id", reader.string)
        self.workflowID = try reader.require("workflow_id", reader.uuid)
        self.reason = try reader.require("reason", reader.string)
        self.taskID = try reader.string("task_id")
        switch reader.value("needs") {
        case .none:
            self.needs = []
        case .string(let text)?:
            self.needs = [text]
        case let value?:
            self.needs = (value.arrayValue ?? []).compactMap(\.stringValue)
        }
        self.retryable = try reader.bool("retryable")
    }

    /// The wire object (``needs`` is written as a list when not empty).
    public var jsonObject: JSONObject {
        var writer = PayloadWriter()
        writer.set("session_id", sessionID)
        writer.set("workflow_id", workflowID)
        writer.set("reason", reason)
        writer.set("task_id", taskID)
        if !needs.isEmpty { writer.set("needs", needs.map(JSONValue.string)) }
        writer.set("retryable", retryable)
        return writer.object
    }
}
