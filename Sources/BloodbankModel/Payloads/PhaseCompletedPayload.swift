public import Foundation

/// `bmad.workflow.phase.completed`: a workflow finished one phase.
public struct PhaseCompletedPayload: BloodbankPayload, Hashable {
    /// The routing key.
    public static let eventType = "bmad.workflow.phase.completed"
    /// Schema and docs summary.
    public static let summary = "A BMAD workflow completed a phase."
    /// Field descriptors, the single source of truth for validation and schema.
    public static let fields: [PayloadField] = [
        .required("workflow_id", .uuid, "The workflow's id."),
        .required("phase", .cases(of: WorkflowPhase.self), "The phase that completed."),
        .optional("next_phase", .cases(of: WorkflowPhase.self), "The phase that follows, if any."),
        .optional("from_agent", .string, "The agent that completed the phase."),
        .optional("summary", .string, "What the phase produced."),
        .optional(
            "artifacts",
            .array(nil),
            default: [],
            "Artifacts of the phase (paths or objects; producers differ, so elements are free-form)."
        ),
    ]

    /// The workflow's id.
    public var workflowID: UUID
    /// The completed phase.
    public var phase: WorkflowPhase
    /// The next phase.
    public var nextPhase: WorkflowPhase?
    /// The agent that completed the phase.
    public var fromAgent: String?
    /// A summary.
    public var summary: String?
    /// The artifacts (`[]` when not sent).
    public var artifacts: [JSONValue]

    /// Creates a payload for publishing.
    public init(
        workflowID: UUID,
        phase: WorkflowPhase,
        nextPhase: WorkflowPhase? = nil,
        fromAgent: String? = nil,
        summary: String? = nil,
        artifacts: [JSONValue] = []
    ) {
        self.workflowID = workflowID
        self.phase = phase
        self.nextPhase = nextPhase
        self.fromAgent = fromAgent
        self.summary = summary
        self.artifacts = artifacts
    }

    /// Decodes a payload that passed validation against ``fields``.
    public init(validatedPayload payload: JSONObject) throws(BloodbankModelError) {
        let reader = PayloadReader(payload, fields: Self.fields)
        self.workflowID = try reader.require("workflow_id", reader.uuid)
        self.phase = try reader.require("phase") { name throws(BloodbankModelError) in
            try reader.enumeration(name, as: WorkflowPhase.self)
        }
        self.nextPhase = try reader.enumeration("next_phase", as: WorkflowPhase.self)
        self.fromAgent = try reader.string("from_agent")
        self.summary = try reader.string("summary")
        self.artifacts = try reader.array("artifacts") ?? []
    }

    /// The wire object.
    public var jsonObject: JSONObject {
        var writer = PayloadWriter()
        writer.set("workflow_id", workflowID)
        writer.set("phase", phase)
        writer.set("next_phase", nextPhase)
        writer.set("from_agent", fromAgent)
        writer.set("summary", summary)
        writer.set("artifacts", artifacts)
        return writer.object
    }
}
