public import Foundation

/// `bmad.workflow.started`: a BMAD workflow began.
public struct WorkflowStartedPayload: BloodbankPayload, Hashable {
    /// The routing key.
    public static let eventType = "bmad.workflow.started"
    /// Schema and docs summary.
    public static let summary = "A BMAD workflow started."
    /// Field descriptors, the single source of truth for validation and schema.
    public static let fields: [PayloadField] = [
        .required("workflow_id", .uuid, "The workflow's id; every later event of the workflow carries it."),
        .required("project_name", .string, "The project the workflow works on."),
        .optional(
            "current_phase",
            .cases(of: WorkflowPhase.self),
            default: .string(WorkflowPhase.analysis.rawValue),
            "The phase the workflow starts in."
        ),
        .optional("initiated_by", .string, "Who or what started the workflow."),
        .optional("metadata", .object(nil), "Free-form workflow metadata."),
    ]

    /// The workflow's id.
    public var workflowID: UUID
    /// The project name.
    public var projectName: String
    /// The starting phase (`analysis` when not sent).
    public var currentPhase: WorkflowPhase
    /// Who started it.
    public var initiatedBy: String?
    /// Free-form metadata.
    public var metadata: JSONObject?

    /// Creates a payload for publishing.
    public init(
        workflowID: UUID,
        projectName: String,
        currentPhase: WorkflowPhase = .analysis,
        initiatedBy: String? = nil,
        metadata: JSONObject? = nil
    ) {
        self.workflowID = workflowID
        self.projectName = projectName
        self.currentPhase = currentPhase
        self.initiatedBy = initiatedBy
        self.metadata = metadata
    }

    /// Decodes a payload that passed validation against ``fields``.
    public init(validatedPayload payload: JSONObject) throws(BloodbankModelError) {
        let reader = PayloadReader(payload, fields: Self.fields)
        self.workflowID = try reader.require("workflow_id", reader.uuid)
        self.projectName = try reader.require("project_name", reader.string)
        self.currentPhase = try reader.require("current_phase") { name throws(BloodbankModelError) in
            try reader.enumeration(name, as: WorkflowPhase.self)
        }
        self.initiatedBy = try reader.string("initiated_by")
        self.metadata = try reader.object("metadata")
    }

    /// The wire object.
    public var jsonObject: JSONObject {
        var writer = PayloadWriter()
        writer.set("workflow_id", workflowID)
        writer.set("project_name", projectName)
        writer.set("current_phase", currentPhase)
        writer.set("initiated_by", initiatedBy)
        writer.set("metadata", metadata)
        return writer.object
    }
}
