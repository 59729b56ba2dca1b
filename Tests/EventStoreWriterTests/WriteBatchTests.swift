import BloodbankModel
import Foundation
import Testing

@testable import EventStore

/// The pure parts of a batch write: dedup, workflow-id resolution, column text, error classification.
@Suite struct WriteBatchTests {
    @Test func firstOccurrenceWinsAndRepeatsAreKeptInOrder() {
        let id = UUID()
        let first = Fixture.other(id: id, extra: ["n": 1])
        let second = Fixture.other(id: id, extra: ["n": 2])
        let third = Fixture.other(id: id, extra: ["n": 3])
        let other = Fixture.other()
        let batch = WriteBatch([first, other, second, third])
        #expect(batch.unique.map(\.envelope) == [first.envelope, other.envelope])
        #expect(batch.repeats.map(\.envelope) == [second.envelope, third.envelope])
    }

    @Test func ownWorkflowIDComesFromTypedPayloadThenFromAPayloadMember() {
        let workflow = UUID()
        #expect(WriteBatch.ownWorkflowID(Fixture.started(workflow)) == workflow)
        #expect(WriteBatch.ownWorkflowID(Fixture.other(workflow: workflow)) == workflow)
        // Uppercase UUID text is still a UUID.
        let upper = Fixture.other(extra: ["workflow_id": .string(workflow.uuidString.uppercased())])
        #expect(WriteBatch.ownWorkflowID(upper) == workflow)
        #expect(WriteBatch.ownWorkflowID(Fixture.other(extra: ["workflow_id": "not-a-uuid"])) == nil)
        #expect(WriteBatch.ownWorkflowID(Fixture.other(extra: ["workflow_id": 42])) == nil)
        // A checkpoint names no workflow in its typed payload, but an extra member counts.
        let checkpoint = Fixture.event(
            "agent.letta.checkpoint.saved",
            ["session_id": "agent-1", "checkpoint_id": "c", "workflow_id": Fixture.uuid(workflow)])
        #expect(WriteBatch.ownWorkflowID(checkpoint) == workflow)
        #expect(WriteBatch.ownWorkflowID(Fixture.checkpointSaved(session: "agent-1", checkpoint: "c", at: 0)) == nil)
    }

    @Test func workflowIsInheritedFromParentsInTheBatchWhateverTheirOrder() {
        let workflow = UUID()
        let root = Fixture.started(workflow)
        let child = Fixture.other(parents: [root.envelope.eventID])
        let grandchild = Fixture.other(parents: [child.envelope.eventID])
        // Grandchild first: resolution is transitive and does not depend on batch order.
        let batch = WriteBatch([grandchild, child, root, Fixture.other()])
        let resolved = batch.resolveWorkflowIDs(storedParents: [:])
        #expect(resolved[root.envelope.eventID] == workflow)
        #expect(resolved[child.envelope.eventID] == workflow)
        #expect(resolved[grandchild.envelope.eventID] == workflow)
        #expect(resolved.count == 3)
    }

    @Test func storedParentsArePreferredAndTheFirstParentWithAWorkflowWins() {
        let stored = UUID()
        let storedParent = UUID()
        let inBatchWorkflow = UUID()
        let inBatchParent = Fixture.started(inBatchWorkflow)
        let orphanParent = UUID()
        let child = Fixture.other(parents: [orphanParent, storedParent, inBatchParent.envelope.eventID])
        let batch = WriteBatch([inBatchParent, child])
        #expect(Set(batch.parentIDsToLookUp) == [orphanParent, storedParent, inBatchParent.envelope.eventID])
        let resolved = batch.resolveWorkflowIDs(storedParents: [storedParent: stored])
        #expect(resolved[child.envelope.eventID] == stored)

        // The stored value of a parent that is also in the batch (a redelivery) wins over the batch copy.
        let storedValue = UUID()
        let resolvedAgain = batch.resolveWorkflowIDs(storedParents: [inBatchParent.envelope.eventID: storedValue])
        #expect(resolvedAgain[child.envelope.eventID] == storedValue)
    }

    @Test func lookupIsSkippedWhenEveryEventNamesItsWorkflow() {
        let workflow = UUID()
        let batch = WriteBatch([
            Fixture.started(workflow), Fixture.phaseCompleted(workflow, phase: "analysis", at: 1, parents: [UUID()]),
        ])
        #expect(batch.parentIDsToLookUp.isEmpty)
    }

    @Test func cyclesInBadDataTerminate() {
        let a = UUID()
        let b = UUID()
        let c = UUID()
        let workflow = UUID()
        let eventA = Fixture.other(id: a, parents: [b, c])
        let eventB = Fixture.other(id: b, parents: [a])
        let eventC = Fixture.other(workflow: workflow, id: c)
        let selfID = UUID()
        let selfLoop = Fixture.other(id: selfID, parents: [selfID])
        let loop = Fixture.other(id: UUID(), parents: [selfID])
        let batch = WriteBatch([eventB, eventA, eventC, selfLoop, loop])
        let resolved = batch.resolveWorkflowIDs(storedParents: [:])
        #expect(resolved[a] == workflow)
        #expect(resolved[b] == workflow)
        #expect(resolved[loop.envelope.eventID] == nil)
        #expect(resolved[selfID] == nil)

        let x = UUID()
        let y = UUID()
        let cycleOnly = WriteBatch([Fixture.other(id: x, parents: [y]), Fixture.other(id: y, parents: [x])])
        #expect(cycleOnly.resolveWorkflowIDs(storedParents: [:]).isEmpty)
    }

    @Test func columnsAreExactTextForms() throws {
        let parent = try #require(UUID(uuidString: "A0000000-0000-4000-8000-000000000001"))
        let workflow = try #require(UUID(uuidString: "B0000000-0000-4000-8000-000000000002"))
        let event = Fixture.event(
            "demo.thing.happened", ["big": .number(try #require(JSONNumber("12345678901234567890.10"))), "s": "é"],
            at: 1, parents: [parent, parent], agentName: "bob")
        let columns = EventColumns(event, workflowID: workflow)
        #expect(columns.timestamp == "2026-01-01T00:00:01.000000Z")
        #expect(columns.correlationIDs == "{a0000000-0000-4000-8000-000000000001,a0000000-0000-4000-8000-000000000001}")
        #expect(columns.payload == #"{"big":12345678901234567890.10,"s":"é"}"#)
        #expect(columns.workflowID == "b0000000-0000-4000-8000-000000000002")
        #expect(columns.agentContext.contains(#""name":"bob""#))
        #expect(columns.source == #"{"host":"test-host","type":"test","app":null,"meta":null}"#)
        #expect(columns.sourceRaw == columns.source)
        #expect(columns.version == "1.0.0")

        let bare = EventColumns(Fixture.other(), workflowID: nil)
        #expect(bare.agentContext.isEmpty)
        #expect(bare.workflowID.isEmpty)
        #expect(bare.correlationIDs == "{}")
    }

    @Test func storedJSONFromTheEncodedColumnsEqualsTheStoredEventEncoding() throws {
        let parent = UUID()
        let rawSource = #"""
            {"event_id":"00000000-0000-4000-8000-000000000001","event_type":"demo.thing.happened",
             "timestamp":"2026-01-01T00:00:00.5Z","source":"http/127.0.0.1",
             "payload":{"n":1.50,"s":"line\nbreak","nested":{"a":[true,null]}}}
            """#
        let events = [
            Fixture.event(
                "demo.thing.happened", ["big": .number(try #require(JSONNumber("12345678901234567890.10"))), "s": "é"],
                at: 1, parents: [parent, UUID()], agentName: "b\u{f8}b \"the\" agent"),
            Fixture.other(),
            Fixture.started(UUID()),
            try Fixture.validator.validate(bytes: Array(rawSource.utf8)),
        ]
        for (offset, event) in events.enumerated() {
            let position = Int64(offset * 1_000_003 + 1)
            let expected = StoredEvent(position: position, envelope: event.envelope, workflowID: nil).jsonBytes()
            #expect(
                String(decoding: EncodedEvent(event).storedJSON(position: position), as: UTF8.self)
                    == String(decoding: expected, as: UTF8.self))
        }
    }

    @Test func rawSourceIsKeptBesideTheNormalisedOne() throws {
        let body = #"""
            {"event_id":"00000000-0000-4000-8000-000000000001","event_type":"demo.thing.happened",
             "timestamp":"2026-01-01T00:00:00Z","source":"http/127.0.0.1","payload":{}}
            """#
        let event = try Fixture.validator.validate(bytes: Array(body.utf8))
        let columns = EventColumns(event, workflowID: nil)
        #expect(columns.sourceRaw == #""http/127.0.0.1""#)
        #expect(columns.source.contains(#""host":"127.0.0.1""#))
    }

    @Test func storedEventJSONIsTheEnvelopePlusPosition() {
        let event = Fixture.other(extra: ["k": "v"])
        let stored = StoredEvent(position: 42, envelope: event.envelope, workflowID: nil)
        let text = String(decoding: stored.jsonBytes(), as: UTF8.self)
        #expect(text == String(event.envelope.encodedString().dropLast()) + #","position":42}"#)
    }

    @Test(arguments: [
        ("22003", true, false), ("22P02", true, false), ("23514", true, false), ("54000", true, false),
        ("08006", false, true), ("57P01", false, true), ("40001", false, true), ("40P01", false, true),
        ("53300", false, true), ("57014", false, true), ("23505", false, false), ("42P01", false, false),
        ("P0001", false, false), ("", false, false),
    ])
    func sqlStatesAreClassified(sqlState: String, poison: Bool, transient: Bool) {
        let kind = DatabaseErrorKind.classify(sqlState: sqlState, message: "boom")
        if poison {
            #expect(kind == .poison(reason: "the database rejected the event: boom (SQLSTATE \(sqlState))"))
        } else if transient {
            #expect(kind == .transient)
        } else {
            #expect(kind == .permanent)
        }
    }

    @Test func errorsAreWrappedWithARetryableCode() {
        struct Other: Error {}
        #expect(DatabaseErrorKind.classify(Other()) == .permanent)
        #expect(DatabaseErrorKind.classify(CancellationError()) == .transient)
        let unavailable = EventStoreError(.databaseUnavailable, "down")
        #expect(unavailable.isTransient)
        #expect(DatabaseErrorKind.classify(unavailable) == .transient)
        #expect(!EventStoreError(.writeFailed, "bug").isTransient)
        #expect(DatabaseErrorKind.classify(EventStoreError(.writeFailed, "bug")) == .permanent)
        let wrapped = EventStoreError.wrapping(Other(), while: "writing")
        #expect(wrapped.code == .writeFailed)
        #expect(wrapped.message.hasPrefix("writing: "))
        #expect(EventStoreError.wrapping(unavailable, while: "x").message == "down")
    }

    @Test func projectionKeysGroupEventsByWorkflowAndSession() {
        let workflow = UUID()
        let accepted = Fixture.handoffAccepted(workflow, session: "agent-s", at: 0)
        let checkpoint = Fixture.checkpointSaved(session: "agent-s", checkpoint: "c", at: 1)
        let other = Fixture.other(extra: ["session_id": "agent-s"])
        let stored = [accepted, checkpoint, other].enumerated().map { index, event in
            StoredEvent(
                position: Int64(index + 1), envelope: event.envelope,
                workflowID: index == 0 ? workflow : nil)
        }
        let keys = ProjectionKeys(stored)
        #expect(keys.workflows == [workflow: [accepted.envelope.eventID]])
        #expect(keys.sessions == ["agent-s": [accepted.envelope.eventID, checkpoint.envelope.eventID]])
        #expect(ProjectionKeys([]).isEmpty)
    }

    @Test func theLockKeyIsTheDocumentedOne() {
        #expect(EventWriter.positionLockKey == 7_526_466_426_241_529_460)
    }
}
