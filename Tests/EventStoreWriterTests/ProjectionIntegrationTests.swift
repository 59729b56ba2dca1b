import BloodbankModel
import CandystoreTestSupport
import EventStore
import Foundation
import PostgresNIO
import Testing

/// The read models (`workflow_state`, `agent_sessions`) maintained by the writer, rule by rule, plus
/// out-of-order arrival, replays, failure isolation and rebuild equality.
// The limit guards against a hang, not a slow machine: under a loaded CI (several builds beside the tests) the
// randomised rebuild tests took 74 s.
@Suite(.timeLimit(.minutes(5))) struct ProjectionIntegrationTests {
    // MARK: workflow_state

    @Test func theFirstEventOfAWorkflowCreatesItsRowWhateverItsType() async throws {
        try await TestDatabase.withStore { store in
            let workflow = UUID()
            let phase = Fixture.phaseCompleted(workflow, phase: "analysis", next: "planning", at: 10)
            _ = try await store.write([phase])
            let row = try await store.workflow(
                workflow,
                """
                concat_ws(' | ', project_name, current_phase, coalesce(current_agent, '-'), status,
                          started_at = updated_at, completed_at IS NULL, metadata::text, correlation_ids::text, version)
                """)
            #expect(
                row
                    == "unknown | planning | - | active | t | t | {} | {\(BloodbankUUID.format(phase.envelope.eventID))} | 1"
            )
            // An event with no catalogue type still creates (and joins) the row.
            let other = UUID()
            _ = try await store.write([Fixture.other(workflow: other, at: 3)])
            #expect(try await store.workflow(other, "project_name || ' ' || current_phase") == "unknown analysis")
        }
    }

    @Test func startedSetsProjectPhaseStartAndMetadata() async throws {
        try await TestDatabase.withStore { store in
            let workflow = UUID()
            let plain = UUID()
            _ = try await store.write([
                Fixture.started(
                    workflow, project: "holocene", phase: "solutioning", at: 60, metadata: ["team": "x", "n": 1]),
                Fixture.started(plain, project: "p", at: 0),
            ])
            #expect(
                try await store.workflow(
                    workflow, "concat_ws(' | ', project_name, current_phase, started_at, metadata::text)")
                    == #"holocene | solutioning | 2026-01-01 00:01:00+00 | {"n": 1, "team": "x"}"#)
            #expect(try await store.workflow(plain, "current_phase") == "analysis")
        }
    }

    @Test func phaseCompletedMovesToNextPhaseAndRecordsHistory() async throws {
        try await TestDatabase.withStore { store in
            let workflow = UUID()
            let first = Fixture.phaseCompleted(workflow, phase: "analysis", next: "planning", at: 10)
            _ = try await store.write([Fixture.started(workflow, at: 0), first])
            #expect(try await store.workflow(workflow, "current_phase") == "planning")
            // Without next_phase the workflow stays in the completed phase.
            let second = Fixture.phaseCompleted(workflow, phase: "planning", at: 20)
            _ = try await store.write([second])
            #expect(try await store.workflow(workflow, "current_phase") == "planning")
            let history = try await store.workflow(workflow, "phase_history")
            #expect(
                history
                    == #"[{"phase": "analysis", "summary": "done", "event_id": "\#(first.envelope.eventID.uuidString.lowercased())", "#
                    + #""timestamp": "2026-01-01T00:00:10.000000Z", "from_agent": "bmad-analyst", "next_phase": "planning"}, "#
                    + #"{"phase": "planning", "summary": "done", "event_id": "\#(second.envelope.eventID.uuidString.lowercased())", "#
                    + #""timestamp": "2026-01-01T00:00:20.000000Z", "from_agent": "bmad-analyst", "next_phase": null}]"#
            )
            #expect(try await store.workflow(workflow, "version") == "3")
        }
    }

    @Test func handoffAcceptedSetsCurrentAgentFromToAgentThenParentThenAgentContext() async throws {
        try await TestDatabase.withStore { store in
            let direct = UUID()
            _ = try await store.write([
                Fixture.handoffAccepted(direct, session: "agent-a", toAgent: "letta-dev", at: 1, agentName: "ctx")
            ])
            #expect(try await store.workflow(direct, "current_agent") == "letta-dev")

            let viaParent = UUID()
            let request = Fixture.handoffRequested(viaParent, to: "letta-architect", at: 1)
            let accepted = Fixture.handoffAccepted(
                viaParent, session: "agent-b", at: 2, parents: [request.envelope.eventID], agentName: "ctx")
            _ = try await store.write([request, accepted])
            #expect(try await store.workflow(viaParent, "current_agent") == "letta-architect")
            #expect(
                try await store.workflow(viaParent, "agent_handoffs")
                    == #"[{"retry": null, "reason": null, "status": "accepted", "summary": null, "#
                    + #""event_id": "\#(accepted.envelope.eventID.uuidString.lowercased())", "to_agent": "letta-architect", "#
                    + #""retryable": null, "timestamp": "2026-01-01T00:00:02.000000Z", "from_agent": "bmad-architect", "#
                    + #""session_id": "agent-b", "handoff_event_id": "\#(request.envelope.eventID.uuidString.lowercased())", "#
                    + #""outcome_event_id": null}]"#
            )

            let viaContext = UUID()
            _ = try await store.write([
                Fixture.handoffAccepted(viaContext, session: "agent-c", at: 1, parents: [UUID()], agentName: "ctx")
            ])
            #expect(try await store.workflow(viaContext, "current_agent") == "ctx")

            // The newest accepted handoff (by event time) is the current agent.
            _ = try await store.write([
                Fixture.handoffAccepted(direct, session: "agent-d", toAgent: "older", at: 0),
                Fixture.handoffAccepted(direct, session: "agent-e", toAgent: "newest", at: 9),
            ])
            #expect(try await store.workflow(direct, "current_agent") == "newest")
            #expect(try await store.workflow(direct, "jsonb_array_length(agent_handoffs)") == "3")
        }
    }

    @Test func aLateHandoffRequestFixesTheAcceptedAgent() async throws {
        try await TestDatabase.withStore { store in
            let workflow = UUID()
            let request = Fixture.handoffRequested(workflow, to: "letta-dev", at: 1)
            let accepted = Fixture.handoffAccepted(
                workflow, session: "agent-z", at: 2, parents: [request.envelope.eventID], agentName: "ctx")
            _ = try await store.write([accepted])
            #expect(try await store.workflow(workflow, "current_agent") == "ctx")
            _ = try await store.write([request])
            #expect(try await store.workflow(workflow, "current_agent") == "letta-dev")
        }
    }

    @Test func workflowCompletedSetsStatusAndCompletedAt() async throws {
        try await TestDatabase.withStore { store in
            let failed = UUID()
            let done = UUID()
            _ = try await store.write([
                Fixture.started(failed, at: 0), Fixture.workflowCompleted(failed, status: "failed", at: 30),
                Fixture.workflowCompleted(done, at: 40),
            ])
            #expect(
                try await store.workflow(failed, "status || ' ' || completed_at") == "failed 2026-01-01 00:00:30+00")
            #expect(
                try await store.workflow(done, "status || ' ' || completed_at") == "completed 2026-01-01 00:00:40+00")
        }
    }

    @Test func everyEventAccumulatesVersionCorrelationIDsAndUpdatedAt() async throws {
        try await TestDatabase.withStore { store in
            let workflow = UUID()
            let started = Fixture.started(workflow, at: 10)
            let child = Fixture.checkpointSaved(
                session: "agent-q", checkpoint: "c", at: 30, parents: [started.envelope.eventID])
            let older = Fixture.other(workflow: workflow, at: 5)
            _ = try await store.write([started])
            _ = try await store.write([child])
            #expect(try await store.workflow(workflow, "version || ' ' || updated_at") == "2 2026-01-01 00:00:30+00")
            // An older event arriving late: counted, but updated_at stays at the newest event time.
            _ = try await store.write([older])
            let ids = [older, started, child].map { BloodbankUUID.format($0.envelope.eventID) }
            #expect(
                try await store.workflow(workflow, "concat_ws(' ', version, updated_at, started_at, correlation_ids)")
                    == "3 2026-01-01 00:00:30+00 2026-01-01 00:00:10+00 {\(ids.joined(separator: ","))}")
        }
    }

    @Test func outOfOrderWorkflowEventsConvergeOnTheEventTimes() async throws {
        try await TestDatabase.withStore { store in
            let workflow = UUID()
            let later = Fixture.phaseCompleted(workflow, phase: "planning", next: "solutioning", at: 20)
            let earlier = Fixture.phaseCompleted(workflow, phase: "analysis", next: "planning", at: 10)
            _ = try await store.write([later])
            _ = try await store.write([earlier])
            #expect(try await store.workflow(workflow, "project_name || ' ' || current_phase") == "unknown solutioning")
            _ = try await store.write([Fixture.started(workflow, project: "late", phase: "analysis", at: 0)])
            #expect(
                try await store.workflow(
                    workflow, "concat_ws(' ', project_name, current_phase, started_at, phase_history -> 0 ->> 'phase')")
                    == "late solutioning 2026-01-01 00:00:00+00 analysis")
        }
    }

    // MARK: agent_sessions

    @Test func handoffAcceptedCreatesAnActiveSessionKeyedByTheLettaUUID() async throws {
        try await TestDatabase.withStore { store in
            let workflow = UUID()
            let agentUUID = UUID()
            let agentID = "agent-\(BloodbankUUID.format(agentUUID))"
            _ = try await store.write([
                Fixture.handoffAccepted(workflow, session: agentID, checkpoint: "cp-0", at: 5)
            ])
            #expect(
                try await store.session(
                    agentUUID,
                    """
                    concat_ws(' | ', agent_type, agent_instance_id, checkpoint_id, workflow_id, started_at,
                              last_active_at, coalesce(completed_at::text, '-'), status, metadata ->> 'accepted_from')
                    """)
                    == "letta | \(agentID) | cp-0 | \(BloodbankUUID.format(workflow)) | 2026-01-01 00:00:05+00 | "
                    + "2026-01-01 00:00:05+00 | - | active | bmad-architect")
        }
    }

    @Test func checkpointCompletionAndBlockingUpdateTheSession() async throws {
        try await TestDatabase.withStore { store in
            let workflow = UUID()
            let agentUUID = UUID()
            let agentID = "agent-\(BloodbankUUID.format(agentUUID))"
            let accepted = Fixture.handoffAccepted(workflow, session: agentID, at: 0)
            _ = try await store.write([accepted])
            _ = try await store.write([Fixture.checkpointSaved(session: agentID, checkpoint: "cp-1", at: 10)])
            #expect(
                try await store.session(agentUUID, "concat_ws(' ', checkpoint_id, last_active_at, status)")
                    == "cp-1 2026-01-01 00:00:10+00 active")

            _ = try await store.write([Fixture.taskBlocked(workflow, session: agentID, reason: "no api key", at: 20)])
            #expect(
                try await store.session(
                    agentUUID,
                    "concat_ws(' | ', status, metadata ->> 'blocked_reason', metadata -> 'last_blocked' -> 'needs')")
                    == #"blocked | no api key | ["api key"]"#)

            _ = try await store.write([
                Fixture.taskCompleted(workflow, session: agentID, finalCheckpoint: "cp-final", at: 30)
            ])
            #expect(
                try await store.session(
                    agentUUID,
                    "concat_ws(' | ', status, completed_at, checkpoint_id, coalesce(metadata ->> 'blocked_reason', '-'), "
                        + "metadata -> 'last_completed' ->> 'summary', jsonb_array_length(metadata -> 'event_ids'))")
                    == "completed | 2026-01-01 00:00:30+00 | cp-final | - | built | 4")
        }
    }

    @Test func recoveryStallAndOutcomeShowInTheSessionAndTheWorkflowsHandoffs() async throws {
        try await TestDatabase.withStore { store in
            let workflow = UUID()
            let agentUUID = UUID()
            let agentID = "agent-\(BloodbankUUID.format(agentUUID))"
            let request = Fixture.handoffRequested(workflow, to: "letta-dev", at: 0)
            let handoff = request.envelope.eventID
            let task = JSONValue.string(BloodbankUUID.format(handoff))
            let accepted = Fixture.handoffAccepted(workflow, session: agentID, at: 1, parents: [handoff])
            let acceptance = accepted.envelope.eventID
            let lifecycle: JSONObject = [
                "session_id": .string(agentID), "workflow_id": Fixture.uuid(workflow), "task_id": task,
            ]
            var recovery = lifecycle
            recovery.append("reason", "redelivered")
            recovery.append("checkpoint_id", "message-1")
            let started = Fixture.event(
                "agent.letta.session.recovery.started", recovery, at: 3, parents: [acceptance])
            _ = try await store.write([request])
            #expect(try await store.workflow(workflow, "agent_handoffs -> 0 ->> 'status'") == "requested")
            _ = try await store.write([accepted])
            #expect(try await store.workflow(workflow, "agent_handoffs -> 0 ->> 'status'") == "accepted")
            #expect(
                try await store.workflow(workflow, "agent_handoffs -> 0 ->> 'handoff_event_id'")
                    == BloodbankUUID.format(handoff))
            _ = try await store.write([
                Fixture.event(
                    "agent.letta.checkpoint.saved",
                    ["session_id": .string(agentID), "checkpoint_id": "message-1", "checkpoint_type": "initial"],
                    at: 2, parents: [acceptance]),
                started,
            ])
            #expect(try await store.workflow(workflow, "agent_handoffs -> 0 ->> 'status'") == "recovering")
            #expect(
                try await store.session(
                    agentUUID, "concat_ws(' | ', status, checkpoint_id, metadata -> 'last_recovery' ->> 'reason')")
                    == "recovering | message-1 | redelivered")
            var resumed = lifecycle
            resumed.append("resumption", "new_turn")
            _ = try await store.write([Fixture.event("agent.letta.task.resumed", resumed, at: 4, parents: [acceptance])]
            )
            #expect(try await store.session(agentUUID, "status") == "resumed")

            // The stalled outcome: blocked (retryable), then session.failed (stalled).
            let blocked = Fixture.event(
                "agent.letta.task.blocked",
                [
                    "session_id": .string(agentID), "workflow_id": Fixture.uuid(workflow), "task_id": task,
                    "reason": "stalled: no progress", "retryable": true,
                ], at: 5, parents: [acceptance])
            var failed = lifecycle
            failed.append("reason", "stalled: no progress")
            failed.append("failure", "stalled")
            _ = try await store.write([blocked, Fixture.event("agent.letta.session.failed", failed, at: 6)])
            #expect(
                try await store.session(agentUUID, "concat_ws(' | ', status, metadata ->> 'blocked_reason')")
                    == "stalled | stalled: no progress")
            #expect(
                try await store.workflow(
                    workflow,
                    "concat_ws(' | ', agent_handoffs -> 0 ->> 'status', agent_handoffs -> 0 ->> 'reason', "
                        + "agent_handoffs -> 0 ->> 'retryable', agent_handoffs -> 0 ->> 'retry', "
                        + "agent_handoffs -> 0 ->> 'outcome_event_id')")
                    == "blocked | stalled: no progress | true | bb dlq redrive \(BloodbankUUID.format(handoff)) | "
                    + BloodbankUUID.format(blocked.envelope.eventID))

            // A recovery announced after the outcome was stored (a redelivery before the ack) reopens nothing.
            let second = Fixture.handoffRequested(workflow, to: "letta-dev", at: 10)
            let secondAccepted = Fixture.handoffAccepted(
                workflow, session: agentID, at: 11, parents: [second.envelope.eventID])
            let secondTask: JSONObject = [
                "session_id": .string(agentID), "workflow_id": Fixture.uuid(workflow),
                "task_id": .string(BloodbankUUID.format(second.envelope.eventID)),
            ]
            var completedPayload = secondTask
            completedPayload.append("summary", "done it")
            let completed = Fixture.event(
                "agent.letta.task.completed", completedPayload, at: 12, parents: [secondAccepted.envelope.eventID])
            var late = secondTask
            late.append("reason", "redelivered after the outcome")
            _ = try await store.write([
                second, secondAccepted, completed,
                Fixture.event(
                    "agent.letta.session.recovery.started", late, at: 13, parents: [secondAccepted.envelope.eventID]),
            ])
            #expect(try await store.session(agentUUID, "status") == "completed")
            #expect(
                try await store.workflow(
                    workflow, "concat_ws(' | ', agent_handoffs -> 1 ->> 'status', agent_handoffs -> 1 ->> 'summary')")
                    == "completed | done it")
            // And the rebuild agrees.
            let incremental = try await store.readModels()
            _ = try await ProjectionRebuilder.rebuild(client: store.client, logger: TestDatabase.logger)
            #expect(try await store.readModels() == incremental)
        }
    }

    @Test func sessionIDsWithoutAUUIDGetAStableNameBasedKey() async throws {
        try await TestDatabase.withStore { store in
            let samples = [
                "agent-\(BloodbankUUID.format(UUID()))", BloodbankUUID.format(UUID()),
                "agent-\(UUID().uuidString)", "agent-1234", "letta", "agent-",
            ]
            for sample in samples {
                let sql = try await store.string("SELECT candystore_session_uuid('\(sample)')::text")
                if let expected = BloodbankUUID.fromLettaAgentID(sample) {
                    #expect(sql == BloodbankUUID.format(expected), "\(sample)")
                } else {
                    let md5 = try await store.string("SELECT md5('letta-agent:\(sample)')::uuid::text")
                    #expect(sql == md5, "\(sample)")
                }
            }
            let workflow = UUID()
            _ = try await store.write([Fixture.handoffAccepted(workflow, session: "agent-1234", at: 0)])
            #expect(
                try await store.string(
                    "SELECT agent_instance_id || ' ' || (session_id = md5('letta-agent:agent-1234')::uuid) FROM agent_sessions"
                )
                    == "agent-1234 true")
        }
    }

    @Test func outOfOrderSessionEventsAreNotLost() async throws {
        try await TestDatabase.withStore { store in
            let workflow = UUID()
            let agentUUID = UUID()
            let agentID = "agent-\(BloodbankUUID.format(agentUUID))"
            // Completion and a checkpoint arrive before the acceptance.
            _ = try await store.write([Fixture.taskCompleted(workflow, session: agentID, at: 30)])
            #expect(try await store.session(agentUUID, "agent_type || ' ' || status") == "unknown completed")
            _ = try await store.write([Fixture.checkpointSaved(session: agentID, checkpoint: "cp-1", at: 10)])
            _ = try await store.write([Fixture.handoffAccepted(workflow, session: agentID, at: 0)])
            #expect(
                try await store.session(
                    agentUUID,
                    "concat_ws(' ', agent_type, status, started_at, last_active_at, checkpoint_id, workflow_id)")
                    == "letta completed 2026-01-01 00:00:00+00 2026-01-01 00:00:30+00 cp-1 \(BloodbankUUID.format(workflow))"
            )
        }
    }

    // MARK: Robustness

    @Test func aFailingProjectionIsCountedAndNeverBlocksPersistence() async throws {
        try await TestDatabase.withStore { store in
            try await store.execute(
                """
                CREATE FUNCTION test_explode() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN RAISE EXCEPTION 'projection exploded'; END $$
                """,
                """
                CREATE TRIGGER test_explode BEFORE INSERT OR UPDATE ON workflow_state FOR EACH ROW
                    WHEN (NEW.project_name = 'explode') EXECUTE FUNCTION test_explode();
                """)
            let bad = UUID()
            let good = UUID()
            let badAgent = UUID()
            let outcome = try await store.write([
                Fixture.started(bad, project: "explode", at: 0),
                Fixture.handoffAccepted(bad, session: "agent-\(BloodbankUUID.format(badAgent))", at: 1),
                Fixture.started(good, project: "fine", at: 0),
            ])
            #expect(outcome.stored.count == 3)
            #expect(outcome.projectionFailures == 2)
            #expect(try await store.string("SELECT count(*)::text FROM events") == "3")
            #expect(try await store.workflow(good, "project_name") == "fine")
            #expect(try await store.workflow(bad, "project_name") == "NO ROW")
            // The session is still projected; its workflow reference waits for the workflow row.
            #expect(try await store.session(badAgent, "coalesce(workflow_id::text, '-')") == "-")

            // The rebuild isolates the same failure and keeps everything else.
            let rebuilt = try await ProjectionRebuilder.rebuild(client: store.client, logger: TestDatabase.logger)
            #expect(rebuilt.workflows == 1 && rebuilt.sessions == 1)
            #expect(rebuilt.projectionFailures == 2)

            try await store.execute("DROP TRIGGER test_explode ON workflow_state")
            let fixed = try await ProjectionRebuilder.rebuild(client: store.client, logger: TestDatabase.logger)
            #expect(fixed.workflows == 2 && fixed.sessions == 1 && fixed.projectionFailures == 0)
            #expect(try await store.session(badAgent, "workflow_id::text") == BloodbankUUID.format(bad))
        }
    }

    @Test func rebuildEqualsIncrementalAfterShuffledRandomBatches() async throws {
        try await TestDatabase.withStore { store in
            var generator = SplitMix64(seed: 0x5EED)
            let events = Scenario.events(workflows: 12, using: &generator)
            let shuffled = events.shuffled(using: &generator)
            for batch in shuffled.randomChunks(maxSize: 9, using: &generator) {
                let outcome = try await store.write(batch)
                #expect(outcome.projectionFailures == 0)
            }
            // Replaying everything changes nothing.
            let incremental = try await store.readModels()
            _ = try await store.write(shuffled)
            #expect(try await store.readModels() == incremental)

            let outcome = try await ProjectionRebuilder.rebuild(client: store.client, logger: TestDatabase.logger)
            #expect(outcome.workflows == 12)
            #expect(outcome.sessions == 12)
            #expect(outcome.projectionFailures == 0)
            let rebuilt = try await store.readModels()
            #expect(rebuilt == incremental)
            #expect(
                try await ProjectionRebuilder.rebuild(client: store.client, logger: TestDatabase.logger).workflows == 12
            )
            #expect(try await store.readModels() == incremental)
        }
    }

    /// Events in time order, a few per batch: most batches take the append path (``ProjectionSQL/workflowsAppend``:
    /// the row exists, the new events are newer than it, none is a started or handoff.requested event), the rest
    /// the full recompute. Both must give exactly the rows the rebuild computes from scratch.
    @Test func appendingInOrderBatchesGivesTheSameRowsAsTheRebuild() async throws {
        try await TestDatabase.withStore { store in
            var generator = SplitMix64(seed: 0xA99E)
            let events = Scenario.events(workflows: 10, using: &generator)
                .sorted {
                    ($0.envelope.timestamp, $0.envelope.eventID.uuidString)
                        < ($1.envelope.timestamp, $1.envelope.eventID.uuidString)
                }
            for batch in events.randomChunks(maxSize: 3, using: &generator) {
                let outcome = try await store.write(batch)
                #expect(outcome.projectionFailures == 0)
            }
            let incremental = try await store.readModels()
            _ = try await ProjectionRebuilder.rebuild(client: store.client, logger: TestDatabase.logger)
            #expect(try await store.readModels() == incremental)
            // A late event (older than the row) after appends goes through the full recompute and still agrees.
            let workflowIDs = events.compactMap { $0.envelope.payload["workflow_id"]?.stringValue }.compactMap(
                UUID.init)
            let workflowID = try #require(workflowIDs.first)
            let late = Fixture.phaseCompleted(workflowID, phase: "analysis", next: "solutioning", at: 0)
            _ = try await store.write([late])
            let afterLate = try await store.readModels()
            _ = try await ProjectionRebuilder.rebuild(client: store.client, logger: TestDatabase.logger)
            #expect(try await store.readModels() == afterLate)
        }
    }

    @Test func theReadModelsDependOnTheSetOfEventsNotOnArrivalOrder() async throws {
        var generator = SplitMix64(seed: 42)
        // Session checkpoints name no workflow and inherit it from their parent: give them one here so that
        // `events.workflow_id` (immutable, fixed at insert time) is the same whatever the order.
        let events = Scenario.events(workflows: 6, using: &generator, checkpointsNameWorkflow: true)
        let chronological = try await TestDatabase.withStore { store in
            _ = try await store.write(events)
            return try await store.readModels()
        }
        let shuffled = events.shuffled(using: &generator)
        let chunks = shuffled.randomChunks(maxSize: 4, using: &generator)
        let shuffledModels = try await TestDatabase.withStore { store in
            for chunk in chunks { _ = try await store.write(chunk) }
            return try await store.readModels()
        }
        #expect(shuffledModels == chronological)
    }
}

/// A generated set of related events: several workflows, each with a session and the full lifecycle, plus
/// noise (unknown types, events without a started event).
enum Scenario {
    static func events(
        workflows: Int, using generator: inout SplitMix64, checkpointsNameWorkflow: Bool = false
    ) -> [ValidatedEvent] {
        var events: [ValidatedEvent] = []
        for index in 0..<workflows {
            let workflow = UUID()
            let agent = "agent-\(BloodbankUUID.format(UUID()))"
            var clock = index * 7
            func tick() -> Int {
                clock += Int.random(in: 1...5, using: &generator)
                return clock
            }
            if index % 3 != 0 {
                events.append(
                    Fixture.started(
                        workflow, project: "project-\(index)", at: tick(), metadata: ["i": .number(JSONNumber(index))]))
            }
            events.append(Fixture.phaseCompleted(workflow, phase: "analysis", next: "planning", at: tick()))
            let request = Fixture.handoffRequested(workflow, to: "letta-\(index)", at: tick())
            events.append(request)
            let accepted = Fixture.handoffAccepted(
                workflow, session: agent, toAgent: index % 2 == 0 ? nil : "direct-\(index)", at: tick(),
                parents: [request.envelope.eventID], agentName: "ctx-\(index)")
            events.append(accepted)
            for checkpoint in 0..<2 {
                var payload: JSONObject = [
                    "session_id": .string(agent), "checkpoint_id": .string("cp-\(index)-\(checkpoint)"),
                ]
                if checkpointsNameWorkflow { payload.append("workflow_id", Fixture.uuid(workflow)) }
                events.append(
                    Fixture.event(
                        "agent.letta.checkpoint.saved", payload, at: tick(), parents: [accepted.envelope.eventID]))
            }
            // Phase 2: recoveries (caused by the acceptance), a stall, a handoff nobody accepted.
            let lifecycle: JSONObject = [
                "session_id": .string(agent), "workflow_id": Fixture.uuid(workflow), "task_id": "t-1",
            ]
            if index % 3 == 1 {
                var recovery = lifecycle
                recovery.append("reason", "redelivered after acceptance")
                recovery.append("checkpoint_id", .string("cp-\(index)-1"))
                var restored = lifecycle
                restored.append("checkpoint_id", .string("cp-\(index)-1"))
                var resumed = lifecycle
                resumed.append("resumption", index % 2 == 0 ? "new_turn" : "stored_reply")
                for (type, payload) in [
                    ("agent.letta.session.recovery.started", recovery), ("agent.letta.context.restored", restored),
                    ("agent.letta.task.resumed", resumed),
                ] {
                    events.append(Fixture.event(type, payload, at: tick(), parents: [accepted.envelope.eventID]))
                }
            }
            if index % 2 == 0 {
                events.append(
                    Fixture.taskBlocked(
                        workflow, session: agent, reason: "needs input \(index)", at: tick(),
                        parents: index % 4 == 0 ? [accepted.envelope.eventID] : []))
            }
            if index % 4 == 2 {
                var failed = lifecycle
                failed.append("reason", "stalled: no progress for 5 s")
                failed.append("failure", "stalled")
                events.append(Fixture.event("agent.letta.session.failed", failed, at: tick()))
            }
            if index % 5 == 0 {
                events.append(Fixture.handoffRequested(workflow, to: "nobody-\(index)", at: tick()))
            }
            if index % 4 != 2 {
                events.append(
                    Fixture.taskCompleted(
                        workflow, session: agent, finalCheckpoint: "final-\(index)", at: tick(),
                        parents: index % 2 == 1 ? [accepted.envelope.eventID] : []))
            }
            events.append(Fixture.phaseCompleted(workflow, phase: "planning", at: tick()))
            events.append(Fixture.other(workflow: workflow, at: tick(), extra: ["noise": true]))
            if index % 4 == 1 {
                events.append(
                    Fixture.workflowCompleted(workflow, status: index % 8 == 1 ? "cancelled" : nil, at: tick()))
            }
        }
        return events
    }
}
