package import BloodbankModel
package import EventStore
package import Foundation

/// The decisions of one manager micro-batch as a pure value: events in, small actions out; the manager only
/// performs the actions (in the style of the AMQP client's state machines).
///
/// Order: dead-letter every invalid delivery (`invalid_*`), store the valid ones in one transaction, dead-letter
/// the rows the database refused (`unstorable`), announce the stored events, acknowledge the whole batch.
/// Duplicates and conflicts are acknowledged with the rest (the store already holds their id). The batch is
/// acknowledged only after the commit and after every dead-letter copy was confirmed; when a step gives up
/// (shutdown) the plan abandons the batch: nothing is acknowledged and the broker redelivers all of it.
///
/// One plan per batch, no I/O: a pipelined manager can hold the plan of batch N+1 (decoded, dead-letters
/// sent) while batch N is in its transaction, as long as it acknowledges the batches in order.
package struct BatchPlan {
    /// What the validator said about one delivery of the batch.
    package enum Input: Equatable, Sendable {
        /// A valid event with this id.
        case valid(eventID: UUID)
        /// Not a valid event: dead-letter it with this code and reason.
        case invalid(code: String, reason: String)
    }

    /// One stored event to announce: the delivery it came from and its position.
    package struct Announcement: Equatable, Sendable {
        /// Index of the delivery (first occurrence of the event id) in the batch.
        package var index: Int
        /// The position the store assigned.
        package var position: Int64

        /// Creates an announcement.
        package init(index: Int, position: Int64) {
            self.index = index
            self.position = position
        }
    }

    /// The next thing the manager does.
    package enum Action: Equatable, Sendable {
        /// Publish a copy of delivery `index` to the DLX with these headers; then report
        /// ``deadLettered()`` or ``gaveUp()``.
        case deadLetter(index: Int, code: String, reason: String)
        /// Write the events of these deliveries in one transaction; then report ``stored(_:)`` or ``gaveUp()``.
        case store([Int])
        /// Publish the stored events on the live stream (failures never block); then report ``announced()``.
        case announce([Announcement])
        /// Acknowledge every delivery of the batch. The plan is finished.
        case acknowledge
        /// Leave the whole batch unacknowledged (the broker redelivers it). The plan is finished.
        case abandon
    }

    private enum Phase {
        case deadLetteringInvalid
        case storing
        case deadLetteringRejected
        case announcing
        /// Done; any further event repeats the final action.
        case finished(Action)
    }

    private let inputs: [Input]
    private var phase: Phase = .deadLetteringInvalid
    private var pending: [Action] = []
    private var announcements: [Announcement] = []

    /// A plan for a batch whose deliveries validated as `inputs` (in delivery order).
    package init(_ inputs: [Input]) {
        self.inputs = inputs
    }

    /// Deliveries whose events the store gets, in delivery order.
    package var validIndices: [Int] {
        inputs.indices.filter { if case .valid = inputs[$0] { true } else { false } }
    }

    /// The first action.
    package mutating func start() -> Action {
        pending = inputs.enumerated().compactMap { index, input in
            guard case .invalid(let code, let reason) = input else { return nil }
            return .deadLetter(index: index, code: code, reason: reason)
        }
        phase = .deadLetteringInvalid
        return next()
    }

    /// The broker confirmed the dead-letter copy.
    package mutating func deadLettered() -> Action {
        next()
    }

    /// A step gave up (shutdown): abandon the batch.
    package mutating func gaveUp() -> Action {
        phase = .finished(.abandon)
        pending = []
        return .abandon
    }

    /// The transaction committed with `outcome`.
    package mutating func stored(_ outcome: WriteOutcome) -> Action {
        guard case .storing = phase else { return next() }
        // Deliveries of each id in batch order: the n-th rejected occurrence of an id is its n-th delivery.
        var deliveries: [UUID: [Int]] = [:]
        for (index, input) in inputs.enumerated() {
            if case .valid(let id) = input { deliveries[id, default: []].append(index) }
        }
        var used: [UUID: Int] = [:]
        pending = outcome.rejected.compactMap { rejected in
            let occurrence = used[rejected.eventID, default: 0]
            guard let list = deliveries[rejected.eventID], occurrence < list.count else { return nil }
            used[rejected.eventID] = occurrence + 1
            return .deadLetter(index: list[occurrence], code: "unstorable", reason: rejected.reason)
        }
        announcements = outcome.stored.compactMap { event in
            deliveries[event.envelope.eventID]?.first.map { Announcement(index: $0, position: event.position) }
        }
        phase = .deadLetteringRejected
        return next()
    }

    /// The stored events were announced (or the announcement failed and was logged).
    package mutating func announced() -> Action {
        next()
    }

    private mutating func next() -> Action {
        while true {
            switch phase {
            case .deadLetteringInvalid:
                if !pending.isEmpty { return pending.removeFirst() }
                let valid = validIndices
                if valid.isEmpty {
                    phase = .finished(.acknowledge)
                    return .acknowledge
                }
                phase = .storing
                return .store(valid)
            case .storing:
                // Waiting for `stored(_:)` or `gaveUp()`; repeat the request.
                return .store(validIndices)
            case .deadLetteringRejected:
                if !pending.isEmpty { return pending.removeFirst() }
                phase = .announcing
                if !announcements.isEmpty { return .announce(announcements) }
            case .announcing:
                phase = .finished(.acknowledge)
                return .acknowledge
            case .finished(let action):
                return action
            }
        }
    }
}
