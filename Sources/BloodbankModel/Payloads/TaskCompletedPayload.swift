public import Foundation

/// `agent.letta.task.completed`: a Letta agent finished a handed-off task.
public struct TaskCompletedPayload: BloodbankPayload, Hashable {
    /// The routing key.
    public static let eventType = "agent.letta.task.completed"
    /// Schema and docs summary.
    public static let summary = "A Letta agent completed a task."
    /// Field descriptors, the single source of truth for validation and schema.
    public static let fields: [PayloadField] = [
        .required("session_id", .string, "The Letta agent id verbatim (agent-<uuid>)."),
        .required("workflow_id", .uuid, "The workflow's id."),
        .optional("task_id", .string, "The task's id."),
        .optional("agent_instance_id", .string, "The agent instance that did the work."),
        .optional("final_checkpoint_id", .string, "The last checkpoint saved for the task."),
        .optional("artifacts", .array(.object(Artifact.fields)), default: [], "What the task produced."),
        .optional("validation", .object(Validation.fields), "Quality checks run on the result."),
        .optional("next_action", .string, "What should happen next."),
        .optional("summary", .string, "What was done."),
    ]

    /// One produced artifact.
    public struct Artifact: Sendable, Hashable {
        /// Descriptors of the nested object.
        public static let fields: [PayloadField] = [
            .optional("type", .string, "The artifact kind (file, test, doc, ...)."),
            .optional("path", .string, "Where the artifact is."),
            .optional("status", .string, "The artifact's state (created, modified, ...)."),
        ]
        /// The artifact kind.
        public var type: String?
        /// Where it is.
        public var path: String?
        /// Its state.
        public var status: String?

        /// Creates an artifact.
        public init(type: String? = nil, path: String? = nil, status: String? = nil) {
            self.type = type
            self.path = path
            self.status = status
        }
    }

    /// Quality checks on the result.
    public struct Validation: Sendable, Hashable {
        /// Descriptors of the nested object.
        public static let fields: [PayloadField] = [
            .optional("tests_passed", .boolean, "Whether the tests passed."),
            .optional("lint_passed", .boolean, "Whether the linter passed."),
            .optional("coverage_pct", .number, "Line coverage in percent."),
        ]
        /// Whether tests passed.
        public var testsPassed: Bool?
        /// Whether lint passed.
        public var lintPassed: Bool?
        /// Coverage in percent.
        public var coveragePct: Double?

        /// Creates a validation summary.
        public init(testsPassed: Bool? = nil, lintPassed: Bool? = nil, coveragePct: Double? = nil) {
            self.testsPassed = testsPassed
            self.lintPassed = lintPassed
            self.coveragePct = coveragePct
        }
    }

    /// The Letta agent id verbatim.
    public var sessionID: String
    /// The workflow's id.
    public var workflowID: UUID
    /// The task id.
    public var taskID: String?
    /// The agent instance.
    public var agentInstanceID: String?
    /// The final checkpoint.
    public var finalCheckpointID: String?
    /// Produced artifacts (`[]` when not sent).
    public var artifacts: [Artifact]
    /// Quality checks.
    public var validation: Validation?
    /// What should happen next.
    public var nextAction: String?
    /// A summary.
    public var summary: String?

    /// Creates a payload for publishing.
    public init(
        sessionID: String,
        workflowID: UUID,
        taskID: String? = nil,
        agentInstanceID: String? = nil,
        finalCheckpointID: String? = nil,
        artifacts: [Artifact] = [],
        validation: Validation? = nil,
        nextAction: String? = nil,
        summary: String? = nil
    ) {
        self.sessionID = sessionID
        self.workflowID = workflowID
        self.taskID = taskID
        self.agentInstanceID = agentInstanceID
        self.finalCheckpointID = finalCheckpointID
        self.artifacts = artifacts
        self.validation = validation
        self.nextAction = nextAction
        self.summary = summary
    }

    /// Decodes a payload that passed validation against ``fields``.
    public init(validatedPayload payload: JSONObject) throws(BloodbankModelError) {
        let reader = PayloadReader(payload, fields: Self.fields)
        self.sessionID = try reader.require("session_id", reader.string)
        self.workflowID = try reader.require("workflow_id", reader.uuid)
        self.taskID = try reader.string("task_id")
        self.agentInstanceID = try reader.string("agent_instance_id")
        self.finalCheckpointID = try reader.string("final_checkpoint_id")
        var artifacts: [Artifact] = []
        for item in try reader.nestedArray("artifacts") ?? [] {
            artifacts.append(
                Artifact(
                    type: try item.string("type"), path: try item.string("path"), status: try item.string("status"))
            )
        }
        self.artifacts = artifacts
        if let validation = try reader.nested("validation") {
            self.validation = Validation(
                testsPassed: try validation.bool("tests_passed"),
                lintPassed: try validation.bool("lint_passed"),
                coveragePct: try validation.double("coverage_pct")
            )
        } else {
            self.validation = nil
        }
        self.nextAction = try reader.string("next_action")
        self.summary = try reader.string("summary")
    }

    /// The wire object.
    public var jsonObject: JSONObject {
        var writer = PayloadWriter()
        writer.set("session_id", sessionID)
        writer.set("workflow_id", workflowID)
        writer.set("task_id", taskID)
        writer.set("agent_instance_id", agentInstanceID)
        writer.set("final_checkpoint_id", finalCheckpointID)
        writer.set(
            "artifacts",
            artifacts.map { artifact -> JSONValue in
                var nested = PayloadWriter()
                nested.set("type", artifact.type)
                nested.set("path", artifact.path)
                nested.set("status", artifact.status)
                return .object(nested.object)
            }
        )
        if let validation {
            var nested = PayloadWriter()
            nested.set("tests_passed", validation.testsPassed)
            nested.set("lint_passed", validation.lintPassed)
            nested.set("coverage_pct", validation.coveragePct)
            writer.set("validation", nested.object)
        }
        writer.set("next_action", nextAction)
        writer.set("summary", summary)
        return writer.object
    }
}
