public import Foundation

/// `bmad.workflow.completed`: a workflow ended.
public struct WorkflowCompletedPayload: BloodbankPayload, Hashable {
    /// The routing key.
    public static let eventType = "bmad.workflow.completed"
    /// Schema and docs summary.
    public static let summary = "A BMAD workflow ended."
    /// Field descriptors, the single source of truth for validation and schema.
    public static let fields: [PayloadField] = [
        .required("workflow_id", .uuid, "The workflow's id."),
        .optional("status", .cases(of: WorkflowCompletionStatus.self), "How the workflow ended."),
        .optional("summary", .string, "What the workflow achieved."),
    ]

    /// The workflow's id.
    public var workflowID: UUID
    /// How it ended; `nil` when the producer did not say.
    public var status: WorkflowCompletionStatus?
    /// A summary.
    public var summary: String?

    /// Creates a payload for publishing.
    public init(workflowID: UUID, status: WorkflowCompletionStatus? = nil, summary: String? = nil) {
        self.workflowID = workflowID
        self.status = status
        self.summary = summary
    }

    /// Decodes a payload that passed validation against ``fields``.
    public init(validatedPayload payload: JSONObject) throws(BloodbankModelError) {
        let reader = PayloadReader(payload, fields: Self.fields)
        self.workflowID = try reader.require("workflow_id", reader.uuid)
        self.status = try reader.enumeration("status", as: WorkflowCompletionStatus.self)
        self.summary = try reader.string("summary")
    }

    /// The wire object.
    public var jsonObject: JSONObject {
        var writer = PayloadWriter()
        writer.set("workflow_id", workflowID)
        writer.set("status", status)
        writer.set("summary", summary)
        return writer.object
    }
}
