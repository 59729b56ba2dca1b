public import BloodbankModel
import CoreMetrics
import Foundation

/// The manager's metrics (swift-metrics; exported in Prometheus format on `/metrics`).
///
/// `event_type` labels are bounded: catalogued types by name, every other type under `other`, so made-up types
/// cannot grow the number of series (issue 14).
///
/// Names: `candystore_events_ingested_total{event_type}`, `candystore_events_duplicate_total`,
/// `candystore_events_conflict_total`, `candystore_events_dead_lettered_total{reason}`,
/// `candystore_projection_failures_total`, `candystore_store_retries_total`,
/// `candystore_stream_publish_failures_total`, `candystore_batch_size` (histogram),
/// `candystore_receive_to_commit_seconds` and `candystore_event_to_commit_seconds` (histograms),
/// `candystore_consumer_lag_messages` (gauge: messages waiting in the queue),
/// `candystore_last_position` (gauge).
public struct ManagerMetrics: Sendable {
    let duplicates = Counter(label: "candystore_events_duplicate_total")
    let conflicts = Counter(label: "candystore_events_conflict_total")
    let projectionFailures = Counter(label: "candystore_projection_failures_total")
    let storeRetries = Counter(label: "candystore_store_retries_total")
    let streamFailures = Counter(label: "candystore_stream_publish_failures_total")
    let batchSize = Recorder(label: "candystore_batch_size")
    let receiveToCommit = Timer(label: "candystore_receive_to_commit_seconds")
    let eventToCommit = Timer(label: "candystore_event_to_commit_seconds")
    let consumerLag = Gauge(label: "candystore_consumer_lag_messages")
    let lastPosition = Gauge(label: "candystore_last_position")

    /// The event types counted under their own name.
    let knownEventTypes: Set<String>

    /// The label value of every event type outside ``knownEventTypes``.
    public static let otherEventType = "other"

    /// Creates the metric handles (bootstrap the metrics system first); `catalogue` names the event types
    /// that get their own `event_type` label.
    public init(catalogue: EventCatalogue = .standard) {
        knownEventTypes = Set(catalogue.eventTypes)
    }

    /// The `event_type` label for `eventType`.
    package func label(eventType: String) -> String {
        knownEventTypes.contains(eventType) ? eventType : Self.otherEventType
    }

    func ingested(eventType: String) -> Counter {
        Counter(label: "candystore_events_ingested_total", dimensions: [("event_type", label(eventType: eventType))])
    }

    func deadLettered(reason: String) -> Counter {
        Counter(label: "candystore_events_dead_lettered_total", dimensions: [("reason", reason)])
    }
}
