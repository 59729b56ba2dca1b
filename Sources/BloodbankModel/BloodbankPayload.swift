public import Foundation

/// A typed payload of a catalogued event type.
///
/// The static ``fields`` are the single source of truth: ``EventValidator`` checks raw payloads against
/// them, ``EventCatalogue/jsonSchemas(catalogue:)`` exports them, and ``init(validatedPayload:)`` reads
/// through a reader that takes defaults from them.
public protocol BloodbankPayload: Sendable {
    /// The event type this payload belongs to (the routing key).
    static var eventType: String { get }
    /// One sentence describing the event, for schema and docs.
    static var summary: String { get }
    /// The payload's fields in wire order.
    static var fields: [PayloadField] { get }
    /// Builds the typed value from a payload that already passed validation against ``fields``.
    init(validatedPayload payload: JSONObject) throws(BloodbankModelError)
    /// The wire object for publishing: fields in descriptor order, `nil` optionals omitted (as the Python
    /// producers do with `exclude_none`).
    var jsonObject: JSONObject { get }
}

extension BloodbankPayload {
    /// Validates a raw payload against ``fields`` and decodes it.
    ///
    /// - Throws: `invalid_payload` naming the first offending field (`payload.workflow_id: ...`).
    public init(payload: JSONObject) throws(BloodbankModelError) {
        try PayloadField.validate(payload, against: Self.fields, path: "payload")
        try self.init(validatedPayload: payload)
    }
}

/// The typed payload of a validated event of a catalogued type.
public enum TypedPayload: Sendable {
    /// `bmad.workflow.started`
    case workflowStarted(WorkflowStartedPayload)
    /// `bmad.workflow.phase.completed`
    case phaseCompleted(PhaseCompletedPayload)
    /// `bmad.workflow.handoff.requested`
    case handoffRequested(HandoffRequestedPayload)
    /// `bmad.workflow.completed`
    case workflowCompleted(WorkflowCompletedPayload)
    /// `agent.handoff.accepted`
    case handoffAccepted(HandoffAcceptedPayload)
    /// `agent.letta.checkpoint.saved`
    case checkpointSaved(CheckpointSavedPayload)
    /// `agent.letta.task.completed`
    case taskCompleted(TaskCompletedPayload)
    /// `agent.letta.task.blocked`
    case taskBlocked(TaskBlockedPayload)
    /// `agent.letta.session.failed`
    case sessionFailed(SessionFailedPayload)
    /// `agent.letta.session.paused`
    case sessionPaused(SessionPausedPayload)
    /// `agent.letta.session.resumed`
    case sessionResumed(SessionResumedPayload)
    /// `agent.letta.session.recovery.started`
    case recoveryStarted(SessionRecoveryStartedPayload)
    /// `agent.letta.context.restored`
    case contextRestored(ContextRestoredPayload)
    /// `agent.letta.task.resumed`
    case taskResumed(TaskResumedPayload)
    /// A payload type registered by a custom catalogue, without a dedicated case.
    case other(any BloodbankPayload)

    /// The payload as its protocol type, whatever the case.
    public var payload: any BloodbankPayload {
        switch self {
        case .workflowStarted(let payload): return payload
        case .phaseCompleted(let payload): return payload
        case .handoffRequested(let payload): return payload
        case .workflowCompleted(let payload): return payload
        case .handoffAccepted(let payload): return payload
        case .checkpointSaved(let payload): return payload
        case .taskCompleted(let payload): return payload
        case .taskBlocked(let payload): return payload
        case .sessionFailed(let payload): return payload
        case .sessionPaused(let payload): return payload
        case .sessionResumed(let payload): return payload
        case .recoveryStarted(let payload): return payload
        case .contextRestored(let payload): return payload
        case .taskResumed(let payload): return payload
        case .other(let payload): return payload
        }
    }

    /// The workflow the payload names, if any; the store uses it for `events.workflow_id`.
    public var workflowID: UUID? {
        switch self {
        case .workflowStarted(let payload): return payload.workflowID
        case .phaseCompleted(let payload): return payload.workflowID
        case .handoffRequested(let payload): return payload.workflowID
        case .workflowCompleted(let payload): return payload.workflowID
        case .handoffAccepted(let payload): return payload.workflowID
        case .checkpointSaved(let payload): return payload.workflowID
        case .taskCompleted(let payload): return payload.workflowID
        case .taskBlocked(let payload): return payload.workflowID
        case .sessionFailed(let payload): return payload.workflowID
        case .sessionPaused(let payload): return payload.workflowID
        case .sessionResumed(let payload): return payload.workflowID
        case .recoveryStarted(let payload): return payload.workflowID
        case .contextRestored(let payload): return payload.workflowID
        case .taskResumed(let payload): return payload.workflowID
        case .other: return nil
        }
    }
}

/// The BMAD workflow phases, in order.
///
/// Unknown values are rejected (`invalid_payload`), as the Python model's enum does: a phase the projections
/// do not know cannot be projected, and the JSON Schema `enum` says the same.
public enum WorkflowPhase: String, Sendable, Hashable, CaseIterable, Codable {
    /// Problem analysis, the first phase.
    case analysis
    /// Planning.
    case planning
    /// Solution design.
    case solutioning
    /// Implementation.
    case implementation
}

/// How a workflow ended; unknown values are rejected.
public enum WorkflowCompletionStatus: String, Sendable, Hashable, CaseIterable, Codable {
    /// Finished successfully.
    case completed
    /// Finished with a failure.
    case failed
    /// Stopped before finishing.
    case cancelled
}

/// Why a Letta checkpoint was saved; unknown values are rejected.
public enum CheckpointType: String, Sendable, Hashable, CaseIterable, Codable {
    /// When a task is accepted, before any work (the Letta bridge).
    case initial
    /// Periodic progress.
    case progress
    /// A milestone reached.
    case milestone
    /// Just before handing work to another agent.
    case preHandoff = "pre-handoff"
    /// Just before asking for feedback.
    case preFeedback = "pre-feedback"
    /// Just before the task's outcome is reported (the Letta bridge).
    case final
}

extension PayloadFieldKind {
    /// An enumeration kind whose allowed values are exactly the enum's raw values.
    static func cases<E: CaseIterable & RawRepresentable>(of type: E.Type) -> PayloadFieldKind
    where E.RawValue == String {
        .enumeration(type.allCases.map(\.rawValue))
    }
}
