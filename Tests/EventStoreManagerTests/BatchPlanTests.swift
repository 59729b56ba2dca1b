import BloodbankModel
import EventStore
import EventStoreManager
import Foundation
import Testing

/// The manager's per-batch decisions, without servers: what is dead-lettered, stored, announced and
/// acknowledged, and in which order.
@Suite struct BatchPlanTests {
    typealias Action = BatchPlan.Action

    static func stored(_ id: UUID, at position: Int64) throws -> StoredEvent {
        let envelope = try EventEnvelope(eventType: "demo.thing.happened", payload: [:], eventID: id)
        return StoredEvent(position: position, envelope: envelope, workflowID: nil)
    }

    @Test func invalidMessagesAreDeadLetteredFirstThenTheRestIsStoredAnnouncedAndAcknowledged() throws {
        let (a, b) = (UUID(), UUID())
        var plan = BatchPlan([
            .valid(eventID: a), .invalid(code: "invalid_json", reason: "not JSON"), .valid(eventID: b),
            .invalid(code: "invalid_envelope", reason: "no event_id"),
        ])
        #expect(plan.start() == .deadLetter(index: 1, code: "invalid_json", reason: "not JSON"))
        #expect(plan.deadLettered() == .deadLetter(index: 3, code: "invalid_envelope", reason: "no event_id"))
        #expect(plan.deadLettered() == .store([0, 2]))
        let outcome = WriteOutcome(stored: [try Self.stored(a, at: 7), try Self.stored(b, at: 8)])
        #expect(
            plan.stored(outcome)
                == .announce([.init(index: 0, position: 7), .init(index: 2, position: 8)]))
        #expect(plan.announced() == .acknowledge)
    }

    @Test func aBatchOfOnlyInvalidMessagesIsAcknowledgedAfterItsDeadLettersWithoutAWrite() {
        var plan = BatchPlan([.invalid(code: "invalid_json", reason: "x")])
        #expect(plan.start() == .deadLetter(index: 0, code: "invalid_json", reason: "x"))
        #expect(plan.deadLettered() == .acknowledge)
        #expect(BatchPlan([]).validIndices.isEmpty)
        var empty = BatchPlan([])
        #expect(empty.start() == .acknowledge)
    }

    @Test func duplicatesAndConflictsAreAcknowledgedWithoutAnnouncement() {
        let (a, b) = (UUID(), UUID())
        var plan = BatchPlan([.valid(eventID: a), .valid(eventID: b)])
        #expect(plan.start() == .store([0, 1]))
        #expect(plan.stored(WriteOutcome(duplicates: [a], conflicts: [b])) == .acknowledge)
    }

    @Test func rowsTheDatabaseRefusedAreDeadLetteredAsUnstorableBeforeTheAnnouncement() throws {
        let (good, bad) = (UUID(), UUID())
        var plan = BatchPlan([.valid(eventID: bad), .valid(eventID: good), .valid(eventID: bad)])
        #expect(plan.start() == .store([0, 1, 2]))
        let outcome = WriteOutcome(
            stored: [try Self.stored(good, at: 3)],
            rejected: [(bad, "numeric field overflow"), (bad, "numeric field overflow")])
        // Each refused occurrence dead-letters its own delivery, in batch order.
        #expect(plan.stored(outcome) == .deadLetter(index: 0, code: "unstorable", reason: "numeric field overflow"))
        #expect(plan.deadLettered() == .deadLetter(index: 2, code: "unstorable", reason: "numeric field overflow"))
        #expect(plan.deadLettered() == .announce([.init(index: 1, position: 3)]))
        #expect(plan.announced() == .acknowledge)
    }

    @Test func aRepeatedIdIsAnnouncedFromItsFirstDelivery() throws {
        let id = UUID()
        var plan = BatchPlan([.valid(eventID: id), .valid(eventID: id)])
        #expect(plan.start() == .store([0, 1]))
        let outcome = WriteOutcome(stored: [try Self.stored(id, at: 1)], duplicates: [id])
        #expect(plan.stored(outcome) == .announce([.init(index: 0, position: 1)]))
        #expect(plan.announced() == .acknowledge)
    }

    @Test func givingUpOnADeadLetterAbandonsTheBatchBeforeTheWrite() {
        var plan = BatchPlan([.invalid(code: "invalid_json", reason: "x"), .valid(eventID: UUID())])
        #expect(plan.start() == .deadLetter(index: 0, code: "invalid_json", reason: "x"))
        #expect(plan.gaveUp() == .abandon)
        // Finished: nothing is acknowledged, whatever is reported late.
        #expect(plan.deadLettered() == .abandon)
        #expect(plan.stored(WriteOutcome()) == .abandon)
    }

    @Test func givingUpOnTheWriteOrOnAnUnstorableDeadLetterAcknowledgesNothing() throws {
        let id = UUID()
        var write = BatchPlan([.valid(eventID: id)])
        #expect(write.start() == .store([0]))
        #expect(write.gaveUp() == .abandon)
        #expect(write.announced() == .abandon)

        var rejected = BatchPlan([.valid(eventID: id)])
        #expect(rejected.start() == .store([0]))
        #expect(
            rejected.stored(WriteOutcome(rejected: [(id, "too big")]))
                == .deadLetter(
                    index: 0, code: "unstorable", reason: "too big"))
        #expect(rejected.gaveUp() == .abandon)
    }

    @Test func aRejectedIdTheBatchDoesNotHoldIsIgnored() {
        var plan = BatchPlan([.valid(eventID: UUID())])
        #expect(plan.start() == .store([0]))
        #expect(plan.stored(WriteOutcome(rejected: [(UUID(), "?")])) == .acknowledge)
    }
}
