import BloodbankModel
import EventStore
public import Foundation
import NIOConcurrencyHelpers

/// What the manager has done since it started, as `/health` reports it.
public struct ManagerStatistics: Sendable, Equatable {
    /// Whether the consume loop is running.
    public var running = false
    /// Events stored (inserted) so far.
    public var stored = 0
    /// Duplicates acknowledged without storing.
    public var duplicates = 0
    /// Conflicting duplicates (same id, different body).
    public var conflicts = 0
    /// Messages dead-lettered.
    public var deadLettered = 0
    /// Position of the last stored event.
    public var lastPosition: Int64?
    /// When the last batch committed.
    public var lastCommitAt: Date?
    /// The last database error, while retrying.
    public var lastStoreError: String?
    /// Messages waiting in the queue at the last sample.
    public var queueDepth: Int?
}

/// Thread-safe holder of ``ManagerStatistics``.
final class ManagerState: Sendable {
    private let box = NIOLockedValueBox(ManagerStatistics())

    var statistics: ManagerStatistics { box.withLockedValue { $0 } }

    func setRunning(_ running: Bool) { box.withLockedValue { $0.running = running } }
    func recordDeadLetter() { box.withLockedValue { $0.deadLettered += 1 } }
    func recordLag(_ depth: Int) { box.withLockedValue { $0.queueDepth = depth } }
    func recordStoreFailure(_ message: String) { box.withLockedValue { $0.lastStoreError = message } }

    func recordBatch(_ outcome: WriteOutcome) {
        box.withLockedValue { statistics in
            statistics.stored += outcome.stored.count
            statistics.duplicates += outcome.duplicates.count
            statistics.conflicts += outcome.conflicts.count
            if let last = outcome.stored.last { statistics.lastPosition = last.position }
            statistics.lastCommitAt = Date()
            statistics.lastStoreError = nil
        }
    }
}
