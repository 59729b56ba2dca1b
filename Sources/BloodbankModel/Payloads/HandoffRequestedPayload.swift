public import Foundation

/// `bmad.workflow.handoff.requested`: a BMAD agent hands a task to another (usually Letta) agent.
///
/// Two spellings of the task exist: the sprint plan's single `task`, and the architecture's `task_type` +
/// `task_description`. Both are accepted and kept as sent; ``taskText`` gives consumers one answer.
public struct HandoffRequestedPayload: BloodbankPayload, Hashable {
    /// The routing key.
    public static let eventType = "bmad.workflow.handoff.requested"
    /// Schema and docs summary.
    public static let summary = "A BMAD agent requested a handoff of a task to another agent."
    /// Field descriptors, the single source of truth for validation and schema.
    public static let fields: [PayloadField] = [
        .required("workflow_id", .uuid, "The workflow's id."),
        .required("from_agent", .name, "The agent handing the task off."),
        .required("to_agent", .name, "The agent that should take the task (the Letta agent's name)."),
        .optional("task", .string, "The task in one text (sprint plan spelling)."),
        .optional("task_type", .string, "The kind of task (architecture spelling, with task_description)."),
        .optional("task_description", .string, "The task description (architecture spelling)."),
        .optional("context", .object(nil), default: .object(JSONObject()), "Context handed to the receiver."),
        .optional("deadline", .timestamp, "When the task should be done."),
        .optional("priority", .anyOf([.string, .integer]), "Priority, a label such as high or a number."),
    ]

    /// The workflow's id.
    public var workflowID: UUID
    /// The handing-off agent.
    public var fromAgent: String
    /// The receiving agent.
    public var toAgent: String
    /// The task, plan spelling.
    public var task: String?
    /// The task kind, architecture spelling.
    public var taskType: String?
    /// The task description, architecture spelling.
    public var taskDescription: String?
    /// Context for the receiver (`{}` when not sent).
    public var context: JSONObject
    /// The deadline.
    public var deadline: EventTimestamp?
    /// The priority as sent (a string or an integer).
    public var priority: JSONValue?

    /// The task whatever the spelling: `task` if sent, else `task_description` (prefixed by `task_type: `
    /// when both are sent), else `task_type`.
    public var taskText: String? {
        if let task { return task }
        switch (taskType, taskDescription) {
        case (let type?, let description?): return "\(type): \(description)"
        case (nil, let description?): return description
        case (let type?, nil): return type
        case (nil, nil): return nil
        }
    }

    /// Creates a payload for publishing.
    public init(
        workflowID: UUID,
        fromAgent: String,
        toAgent: String,
        task: String? = nil,
        taskType: String? = nil,
        taskDescription: String? = nil,
        context: JSONObject = JSONObject(),
        deadline: EventTimestamp? = nil,
        priority: JSONValue? = nil
    ) {
        self.workflowID = workflowID
        self.fromAgent = fromAgent
        self.toAgent = toAgent
        self.task = task
        self.taskType = taskType
        self.taskDescription = taskDescription
        self.context = context
        self.deadline = deadline
        self.priority = priority
    }

    /// Decodes a payload that passed validation against ``fields``.
    public init(validatedPayload payload: JSONObject) throws(BloodbankModelError) {
        let reader = PayloadReader(payload, fields: Self.fields)
        self.workflowID = try reader.require("workflow_id", reader.uuid)
        self.fromAgent = try reader.require("from_agent", reader.string)
        self.toAgent = try reader.require("to_agent", reader.string)
        self.task = try reader.string("task")
        self.taskType = try reader.string("task_type")
        self.taskDescription = try reader.string("task_description")
        self.context = try reader.object("context") ?? JSONObject()
        self.deadline = try reader.timestamp("deadline")
        self.priority = reader.value("priority")
    }

    /// The wire object.
    public var jsonObject: JSONObject {
        var writer = PayloadWriter()
        writer.set("workflow_id", workflowID)
        writer.set("from_agent", fromAgent)
        writer.set("to_agent", toAgent)
        writer.set("task", task)
        writer.set("task_type", taskType)
        writer.set("task_description", taskDescription)
        writer.set("context", context)
        writer.set("deadline", deadline)
        writer.set("priority", priority)
        return writer.object
    }
}
