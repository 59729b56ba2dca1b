public import BloodbankModel
import Foundation

/// Filters and pagination of `GET /api/v1/workflows`.
public struct WorkflowQuery: Sendable, Hashable {
    /// `project` (alias `project_name`): exact project name.
    public var projectName: String?
    /// `phase`: the current phase (analysis, planning, solutioning, implementation).
    public var phase: String?
    /// `status`: active, completed, failed or cancelled (`active=true|false` is a shorthand).
    public var status: String?
    /// Page size, 1 … 1000.
    public var limit = EventQuery.defaultLimit
    /// Rows to skip.
    public var offset = 0
    /// Whether to compute the total (`X-Total-Count`).
    public var includeTotalCount = false

    /// The phases a workflow can be in.
    public static let phases = ["analysis", "planning", "solutioning", "implementation"]
    /// The statuses a workflow can have.
    public static let statuses = ["active", "completed", "failed", "cancelled"]

    /// All workflows, first page.
    public init() {}

    /// Parses query parameters; throws `invalidParameter` naming the parameter.
    public init(parameters: [String: String]) throws(EventQueryError) {
        let alias = try QueryParsing.text(parameters, "project_name")
        projectName = try QueryParsing.text(parameters, "project") ?? alias
        if let phase = parameters["phase"] {
            guard Self.phases.contains(phase) else {
                throw .invalid("phase", "expected one of \(Self.phases.joined(separator: ", ")), got \"\(phase)\"")
            }
            self.phase = phase
        }
        if let status = parameters["status"] {
            guard Self.statuses.contains(status) else {
                throw .invalid(
                    "status", "expected one of \(Self.statuses.joined(separator: ", ")), got \"\(status)\"")
            }
            self.status = status
        }
        if let active = try QueryParsing.bool(parameters, "active") {
            if active {
                status = "active"
            } else if status == nil {
                status = "!active"
            }
        }
        limit = try QueryParsing.limit(parameters, default: EventQuery.defaultLimit, maximum: EventQuery.maximumLimit)
        offset = try QueryParsing.integer(parameters, "offset", range: 0...1_000_000_000) ?? 0
        includeTotalCount = try QueryParsing.bool(parameters, "count") ?? false
    }
}

/// One page of workflows.
public struct WorkflowPage: Sendable {
    /// Workflow projections, most recently updated first.
    public var workflows: [JSONValue]
    /// Total matching, when asked for.
    public var totalCount: Int64?
    /// Whether another page may follow (the page was full).
    public var hasMore: Bool

    /// Creates a page.
    public init(workflows: [JSONValue], totalCount: Int64?, hasMore: Bool) {
        self.workflows = workflows
        self.totalCount = totalCount
        self.hasMore = hasMore
    }
}

/// One entry of a workflow timeline.
public struct TimelineEntry: Sendable {
    /// The event.
    public var event: StoredEvent
    /// Who acted: `agent_context.name`, else the payload's acting agent, else the source app or host.
    public var agent: String?
    /// A one-line description: the payload's `summary`, else one derived from the event type.
    public var summary: String

    /// `{timestamp, event_type, event_id, agent, summary, position}`.
    public var jsonValue: JSONValue {
        .object([
            "timestamp": .string(event.envelope.timestamp.description),
            "event_type": .string(event.envelope.eventType),
            "event_id": .string(BloodbankUUID.format(event.envelope.eventID)),
            "agent": agent.map { .string($0) } ?? .null,
            "summary": .string(summary),
            "position": .number(JSONNumber(event.position)),
        ])
    }

    /// Derives agent and summary from the event.
    public init(event: StoredEvent) {
        self.event = event
        let payload = event.envelope.payload
        func text(_ key: String) -> String? {
            if case .string(let value)? = payload[key], !value.isEmpty { return value }
            return nil
        }
        agent =
            event.envelope.agentContext?.name ?? text("from_agent") ?? text("agent_type") ?? text("agent_instance_id")
            ?? event.envelope.source.app ?? event.envelope.source.host
        if let summary = text("summary") {
            self.summary = summary
            return
        }
        switch event.envelope.eventType {
        case "bmad.workflow.started":
            summary = "workflow started for \(text("project_name") ?? "unknown project")"
        case "bmad.workflow.phase.completed":
            summary =
                "phase \(text("phase") ?? "?") completed" + (text("next_phase").map { ", next: \($0)" } ?? "")
        case "bmad.workflow.handoff.requested":
            summary = "handoff requested from \(text("from_agent") ?? "?") to \(text("to_agent") ?? "?")"
        case "bmad.workflow.completed":
            summary = "workflow \(text("status") ?? "completed")"
        case "agent.handoff.accepted":
            summary = "handoff accepted by \(text("agent_type") ?? "?") (session \(text("session_id") ?? "?"))"
        case "agent.letta.checkpoint.saved":
            summary = "checkpoint \(text("checkpoint_id") ?? "?") saved"
        case "agent.letta.task.completed":
            summary = "task completed"
        case "agent.letta.task.blocked":
            summary = "task blocked: \(text("reason") ?? "no reason given")"
        default:
            summary = event.envelope.eventType
        }
    }
}
