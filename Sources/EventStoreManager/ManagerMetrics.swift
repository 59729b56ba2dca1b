import CoreMetrics
import Foundation

/// The manager's metrics (swift-metrics; exported in Prometheus format on `/metrics`).
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

    /// Creates the metric handles (bootstrap the metrics system first).
    public init() {}

    func ingested(eventType: String) -> Counter {
        Counter(label: "candystore_events_ingested_total", dimensions: [("event_type", eventType)])
    }

    func deadLettered(reason: String) -> Counter {
        Counter(label: "candystore_events_dead_lettered_total", dimensions: [("reason", reason)])
    }
}
