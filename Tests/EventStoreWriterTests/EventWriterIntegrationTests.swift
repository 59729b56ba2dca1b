import BloodbankModel
import EventStore
import Foundation
import PostgresNIO
import Testing

/// The writer against a real PostgreSQL (scratch database per test): positions, idempotency, workflow-id
/// inheritance, poison isolation, error classification and speed.
@Suite(.timeLimit(.minutes(5))) struct EventWriterIntegrationTests {
    @Test func storesABatchWithGaplessPositionsInBatchOrder() async throws {
        try await TestDatabase.withStore { store in
            let first = (0..<3).map { Fixture.other(at: $0) }
            let outcome = try await store.write(first)
            #expect(outcome.stored.map(\.position) == [1, 2, 3])
            #expect(outcome.stored.map(\.envelope) == first.map(\.envelope))
            #expect(outcome.duplicates.isEmpty && outcome.conflicts.isEmpty && outcome.rejected.isEmpty)
            #expect(outcome.projectionFailures == 0)
            let second = try await store.write([Fixture.other(), Fixture.other()])
            #expect(second.stored.map(\.position) == [4, 5])
            #expect(try await store.write([]).stored.isEmpty)
        }
    }

    @Test func storedColumnsRoundTripExactly() async throws {
        try await TestDatabase.withStore { store in
            let parent = UUID()
            let body = #"""
                {"event_id":"00000000-0000-4000-8000-0000000000AA","event_type":"demo.thing.happened",
                 "timestamp":"2026-01-11T14:30:00.123456+02:00","source":"tonny","correlation_ids":["\#(parent)"],
                 "agent_context":{"type":"letta","name":"bob"},
                 "payload":{"big":12345678901234567890123,"d":0.1,"e":1e400,"u":"ünï"}}
                """#
            let event = try Fixture.validator.validate(bytes: Array(body.utf8))
            let outcome = try await store.write([event])
            #expect(outcome.stored.count == 1)
            let row = try await store.string(
                """
                SELECT concat_ws(' | ', event_id, position, event_type, to_char("timestamp" AT TIME ZONE 'UTC',
                       'YYYY-MM-DD HH24:MI:SS.US'), version, source::text, source_raw::text, correlation_ids::text,
                       agent_context ->> 'name', payload::text, coalesce(workflow_id::text, '-'))
                FROM events
                """)
            #expect(
                row
                    == "00000000-0000-4000-8000-0000000000aa | 1 | demo.thing.happened | 2026-01-11 12:30:00.123456 | "
                    + #"1.0.0 | {"app": null, "host": "tonny", "meta": {"raw": "tonny"}, "type": "unknown"} | "tonny" | "#
                    + "{\(BloodbankUUID.format(parent))} | bob | "
                    + #"{"d": 0.1, "e": 1"# + String(repeating: "0", count: 400)
                    + #", "u": "ünï", "big": 12345678901234567890123} | -"#)
        }
    }

    @Test func redeliveriesAreDuplicatesAndDifferentBodiesAreConflicts() async throws {
        try await TestDatabase.withStore { store in
            let id = UUID()
            let original = Fixture.other(at: 1, id: id, extra: ["a": 1, "b": ["x", "y"]])
            #expect(try await store.write([original]).stored.count == 1)

            // Same body with another key order and number spelling: jsonb-equal, so a duplicate.
            let reordered = Fixture.other(
                at: 1, id: id, extra: ["b": ["x", "y"], "a": .number(try #require(JSONNumber("1.0")))])
            let changed = Fixture.other(at: 1, id: id, extra: ["a": 2, "b": ["x", "y"]])
            let laterTime = Fixture.other(at: 2, id: id, extra: ["a": 1, "b": ["x", "y"]])
            let newParent = Fixture.other(at: 1, id: id, parents: [UUID()], extra: ["a": 1, "b": ["x", "y"]])
            let fresh = Fixture.other()
            let outcome = try await store.write([original, reordered, changed, fresh, laterTime, newParent])
            #expect(outcome.stored.map(\.envelope.eventID) == [fresh.envelope.eventID])
            #expect(outcome.stored.map(\.position) == [2])
            #expect(outcome.duplicates == [id, id])
            #expect(outcome.conflicts == [id, id, id])
            // The first body stays.
            #expect(try await store.string("SELECT payload ->> 'a' FROM events WHERE event_id = '\(id)'") == "1")
            #expect(try await store.string("SELECT count(*)::text FROM events") == "2")
        }
    }

    @Test func duplicatesWithinOneBatchStoreTheFirstOccurrence() async throws {
        try await TestDatabase.withStore { store in
            let id = UUID()
            let first = Fixture.other(id: id, extra: ["n": 1])
            let same = Fixture.other(id: id, extra: ["n": 1])
            let different = Fixture.other(id: id, extra: ["n": 2])
            let other = Fixture.other()
            let outcome = try await store.write([first, same, other, different])
            #expect(outcome.stored.map(\.envelope.eventID) == [id, other.envelope.eventID])
            #expect(outcome.stored.map(\.position) == [1, 2])
            #expect(outcome.duplicates == [id])
            #expect(outcome.conflicts == [id])
            #expect(try await store.string("SELECT payload ->> 'n' FROM events WHERE event_id = '\(id)'") == "1")
        }
    }

    @Test func retryingACommittedBatchReportsOnlyDuplicates() async throws {
        try await TestDatabase.withStore { store in
            let workflow = UUID()
            let batch = [Fixture.started(workflow), Fixture.phaseCompleted(workflow, phase: "analysis", at: 5)]
            _ = try await store.write(batch)
            let before = try await store.readModels()
            let retry = try await store.write(batch)
            #expect(retry.stored.isEmpty)
            #expect(retry.duplicates == batch.map(\.envelope.eventID))
            #expect(try await store.readModels() == before)
        }
    }

    @Test func twoConcurrentWritersGetGaplessDisjointContiguousPositions() async throws {
        try await TestDatabase.withStore(poolSize: 4) { store in
            let outcomes = try await withThrowingTaskGroup(of: [WriteOutcome].self) { group in
                for _ in 0..<2 {
                    group.addTask {
                        var outcomes: [WriteOutcome] = []
                        for _ in 0..<50 {
                            let batch = (0..<Int.random(in: 1...8)).map { _ in Fixture.other() }
                            outcomes.append(try await store.write(batch))
                        }
                        return outcomes
                    }
                }
                var all: [[WriteOutcome]] = []
                for try await outcomes in group { all.append(outcomes) }
                return all
            }
            var ranges: [ClosedRange<Int64>] = []
            for writer in outcomes {
                var previous: Int64 = 0
                for outcome in writer {
                    let positions = outcome.stored.map(\.position)
                    let first = try #require(positions.first)
                    // One batch = one contiguous run, later batches of one writer come later.
                    #expect(positions == Array(first..<first + Int64(positions.count)))
                    #expect(first > previous)
                    previous = first
                    ranges.append(first...(first + Int64(positions.count) - 1))
                }
            }
            let total = ranges.reduce(0) { $0 + $1.count }
            let covered = ranges.sorted { $0.lowerBound < $1.lowerBound }
            var expectedNext: Int64 = 1
            for range in covered {
                #expect(range.lowerBound == expectedNext)
                expectedNext = range.upperBound + 1
            }
            #expect(
                try await store.string("SELECT concat(count(*), ' ', min(position), ' ', max(position)) FROM events")
                    == "\(total) 1 \(total)")
        }
    }

    @Test func workflowIsInheritedFromStoredAndInBatchParents() async throws {
        try await TestDatabase.withStore { store in
            let workflow = UUID()
            let started = Fixture.started(workflow)
            _ = try await store.write([started])
            let fromStored = Fixture.checkpointSaved(
                session: "agent-x", checkpoint: "c1", at: 1, parents: [UUID(), started.envelope.eventID])
            let grandchild = Fixture.other(at: 2, parents: [fromStored.envelope.eventID])
            let otherWorkflow = UUID()
            let inBatchRoot = Fixture.other(workflow: otherWorkflow, at: 3)
            let childFirst = Fixture.other(at: 4, parents: [inBatchRoot.envelope.eventID])
            let orphan = Fixture.other(at: 5, parents: [UUID()])
            let outcome = try await store.write([grandchild, fromStored, childFirst, inBatchRoot, orphan])
            let byID = Dictionary(uniqueKeysWithValues: outcome.stored.map { ($0.envelope.eventID, $0.workflowID) })
            #expect(byID[fromStored.envelope.eventID] == workflow)
            #expect(byID[grandchild.envelope.eventID] == workflow)
            #expect(byID[inBatchRoot.envelope.eventID] == otherWorkflow)
            #expect(byID[childFirst.envelope.eventID] == otherWorkflow)
            #expect(byID[orphan.envelope.eventID] == .some(nil))
            let column = try await store.strings(
                "SELECT coalesce(workflow_id::text, '-') FROM events WHERE position > 1 ORDER BY position")
            #expect(column == [workflow, workflow, otherWorkflow, otherWorkflow].map(BloodbankUUID.format) + ["-"])
        }
    }

    @Test func poisonEventsAreRejectedAndTheRestIsStored() async throws {
        try await TestDatabase.withStore { store in
            let huge = try #require(JSONNumber("1e200000"))
            let good1 = Fixture.other(at: 1)
            let bad = Fixture.other(at: 2, extra: ["x": .number(huge)])
            let good2 = Fixture.other(at: 3)
            let badRepeat = Fixture.other(at: 2, id: bad.envelope.eventID, extra: ["x": .number(huge)])
            let stored = Fixture.other(at: 4)
            _ = try await store.write([stored])
            // A redelivery of a stored event whose new body the database cannot even parse: a conflict.
            let storedPoisoned = Fixture.other(at: 4, id: stored.envelope.eventID, extra: ["x": .number(huge)])
            let outcome = try await store.write([good1, bad, good2, badRepeat, storedPoisoned])
            #expect(outcome.stored.map(\.envelope.eventID) == [good1.envelope.eventID, good2.envelope.eventID])
            #expect(outcome.stored.map(\.position) == [2, 3])
            #expect(outcome.rejected.map(\.eventID) == [bad.envelope.eventID, bad.envelope.eventID])
            #expect(outcome.rejected.first?.reason.contains("SQLSTATE 22003") == true)
            #expect(outcome.conflicts == [stored.envelope.eventID])
            #expect(
                try await store.string("SELECT string_agg(position::text, ',' ORDER BY position) FROM events")
                    == "1,2,3")
        }
    }

    @Test func checkViolationsAndOversizedIndexValuesArePoison() async throws {
        try await TestDatabase.withStore { store in
            // The schema's own check constraint is stricter than nothing: add one to provoke 23514.
            try await store.execute(
                "ALTER TABLE events ADD CONSTRAINT test_no_forbidden CHECK (NOT payload ? 'forbidden')")
            let forbidden = Fixture.other(extra: ["forbidden": true])
            // A checkpoint id too large for the btree index on agent_context ->> 'checkpoint_id' (54000).
            var withContext = Fixture.other().envelope
            withContext.agentContext = AgentContext(
                type: "letta", checkpointID: (0..<200).map { _ in UUID().uuidString }.joined())
            let oversized = try Fixture.validator.validate(withContext)
            let fine = Fixture.other()
            let outcome = try await store.write([forbidden, oversized, fine])
            #expect(outcome.stored.map(\.envelope.eventID) == [fine.envelope.eventID])
            #expect(outcome.stored.map(\.position) == [1])
            #expect(outcome.rejected.map(\.eventID) == [forbidden.envelope.eventID, oversized.envelope.eventID])
            #expect(outcome.rejected[0].reason.contains("23514"))
            #expect(outcome.rejected[1].reason.contains("54000"))
        }
    }

    @Test func transientServerErrorsAreRetryableAndStoreNothing() async throws {
        try await TestDatabase.withStore { store in
            try await store.execute(
                """
                CREATE FUNCTION test_fail() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN
                    IF NEW.event_type = 'test.fail.serialization' THEN
                        RAISE EXCEPTION 'simulated' USING ERRCODE = 'serialization_failure';
                    ELSIF NEW.event_type = 'test.fail.shutdown' THEN
                        RAISE EXCEPTION 'simulated' USING ERRCODE = 'admin_shutdown';
                    ELSIF NEW.event_type = 'test.fail.bug' THEN
                        RAISE EXCEPTION 'simulated bug';
                    ELSIF NEW.event_type = 'test.fail.kill' THEN
                        PERFORM pg_terminate_backend(pg_backend_pid());
                    END IF;
                    RETURN NEW;
                END $$
                """,
                """
                CREATE TRIGGER test_fail BEFORE INSERT ON events FOR EACH ROW EXECUTE FUNCTION test_fail();
                """)
            for (type, transient) in [
                ("test.fail.serialization", true), ("test.fail.shutdown", true), ("test.fail.bug", false),
                ("test.fail.kill", true),
            ] {
                let error = await #expect(throws: EventStoreError.self) {
                    try await store.write([Fixture.other(), Fixture.other(type)])
                }
                #expect(error?.isTransient == transient, "\(type): \(String(describing: error))")
                #expect(error?.code == (transient ? .databaseUnavailable : .writeFailed))
            }
            #expect(try await store.string("SELECT count(*)::text FROM events") == "0")
            // The pool recovers after the killed connection (a lease may still get the dead connection once:
            // that write fails as transient, as it should, and the retry succeeds).
            var recovered: WriteOutcome?
            for _ in 0..<5 where recovered == nil {
                do {
                    recovered = try await store.write([Fixture.other()])
                } catch let error as EventStoreError where error.isTransient {
                    try await Task.sleep(for: .milliseconds(50))
                }
            }
            #expect(recovered?.stored.map(\.position) == [1])
        }
    }

    @Test func consecutiveBatchesOf500GetContiguousPositions() async throws {
        // Throughput is measured by bench/ingest, never asserted here; this checks what large batches must do.
        try await TestDatabase.withStore { store in
            let filler = String(repeating: "x", count: 700)
            func batch() -> [ValidatedEvent] {
                (0..<500).map { index in
                    let workflow = UUID()
                    return Fixture.other(
                        workflow: workflow, at: index, parents: [UUID()],
                        extra: ["index": .number(JSONNumber(index)), "text": .string(filler), "nested": ["a": [1, 2]]])
                }
            }
            for round in 0..<6 {
                let outcome = try await store.write(batch())
                #expect(outcome.stored.count == 500)
                #expect(outcome.stored.first?.position == Int64(round * 500 + 1))
                #expect(outcome.stored.last?.position == Int64(round * 500 + 500))
            }
            #expect(try await store.string("SELECT max(position)::text FROM events") == "3000")
        }
    }
}
