public import Foundation

/// The live stream's per-client filter (query string or a `subscribe` frame).
public struct EventStreamFilter: Sendable, Hashable {
    /// Event type patterns (empty = all).
    public var eventTypes: [EventTypePattern]
    /// Only events whose `workflow_id` column is this one.
    public var workflowID: UUID?

    /// Creates a filter.
    public init(eventTypes: [EventTypePattern] = [], workflowID: UUID? = nil) {
        self.eventTypes = eventTypes
        self.workflowID = workflowID
    }

    /// Parses `event_type` and `workflow_id` query parameters.
    public init(parameters: [String: String]) throws(EventQueryError) {
        eventTypes =
            try parameters["event_type"].map { text throws(EventQueryError) in
                try EventTypePattern.list(text)
            } ?? []
        workflowID = try QueryParsing.uuid(parameters, "workflow_id")
    }

    /// Whether the filter accepts everything.
    public var isEmpty: Bool { eventTypes.isEmpty && workflowID == nil }
}
