import Foundation
import Testing

@testable import BloodbankModel

@Suite struct EventCatalogueTests {
    static let workflow = "7c1e4f0a-2b3d-4e5f-8a9b-0c1d2e3f4a5b"
    let validator = EventValidator()

    func validate(_ eventType: String, _ payload: String) throws(BloodbankModelError) -> ValidatedEvent {
        try validator.validate(bytes: envelopeLine(eventType: eventType, payload: payload).bytes)
    }

    @Test func phase1CatalogueHasTheEightBriefTypes() {
        #expect(
            EventCatalogue.phase1.eventTypes == [
                "agent.handoff.accepted", "agent.letta.checkpoint.saved", "agent.letta.task.blocked",
                "agent.letta.task.completed", "bmad.workflow.completed", "bmad.workflow.handoff.requested",
                "bmad.workflow.phase.completed", "bmad.workflow.started",
            ]
        )
        for eventType in EventCatalogue.phase1.eventTypes {
            #expect(EventEnvelope.isValidEventType(eventType))
        }
    }

    @Test func phase2CatalogueHasTheRecoveryTypesAndStandardJoinsBoth() throws {
        #expect(
            EventCatalogue.phase2.eventTypes == [
                "agent.letta.context.restored", "agent.letta.session.failed", "agent.letta.session.paused",
                "agent.letta.session.recovery.started", "agent.letta.session.resumed", "agent.letta.task.resumed",
            ])
        #expect(
            EventCatalogue.standard.eventTypes
                == (EventCatalogue.phase1.eventTypes + EventCatalogue.phase2.eventTypes).sorted())
        let workflow = BloodbankUUID.format(UUID())
        let recovery = try validate(
            "agent.letta.session.recovery.started",
            #"{"session_id": "agent-1", "workflow_id": "\#(workflow)", "reason": "redelivered", "checkpoint_id": "message-9"}"#
        )
        guard case .recoveryStarted(let started) = recovery.typedPayload else {
            Issue.record("not typed")
            return
        }
        #expect(started.checkpointID == "message-9")
        #expect(recovery.typedPayload?.workflowID.map(BloodbankUUID.format) == workflow)
        let failed = try validate(
            "agent.letta.session.failed", #"{"session_id": "agent-1", "reason": "stalled", "failure": "stalled"}"#)
        guard case .sessionFailed(let payload) = failed.typedPayload else {
            Issue.record("not typed")
            return
        }
        #expect(payload.failure == .stalled)
        #expect(payload.jsonObject == failed.envelope.payload)
        #expect(throws: BloodbankModelError.self) {
            try validate("agent.letta.session.failed", #"{"session_id": "agent-1", "reason": "x", "failure": "bored"}"#)
        }
        #expect(throws: BloodbankModelError.self) {
            try validate("agent.letta.task.resumed", #"{"session_id": "agent-1"}"#)
        }
        let restored = try validate(
            "agent.letta.context.restored",
            #"{"session_id": "agent-1", "checkpoint_id": "message-2", "message_count": 7, "memory_blocks": ["task"]}"#)
        guard case .contextRestored(let context) = restored.typedPayload else {
            Issue.record("not typed")
            return
        }
        #expect(context.memoryBlocks == ["task"])
        #expect(context.messageCount == 7)
        let checkpoint = try validate(
            "agent.letta.checkpoint.saved",
            #"{"session_id": "agent-1", "checkpoint_id": "message-2", "checkpoint_type": "final", "workflow_id": "\#(workflow)"}"#
        )
        #expect(checkpoint.typedPayload?.workflowID.map(BloodbankUUID.format) == workflow)
    }

    @Test func wireExamplesValidateAsKnownTypes() throws {
        for line in try Fixtures.wireExampleLines() {
            let event = try validator.validate(bytes: line.bytes)
            #expect(event.isKnownType)
            #expect(event.typedPayload?.workflowID == UUID(uuidString: Self.workflow))
        }
    }

    @Test func unknownEventTypesAreValid() throws {
        let event = try validate("some.other.thing", #"{"anything":[1,2,{"x":null}]}"#)
        #expect(!event.isKnownType)
        #expect(event.typedPayload == nil)
        #expect(event.envelope.payload["anything"] == [1, 2, ["x": nil]])
    }

    @Test func errorCodesAreDistinct() throws {
        let codes: [BloodbankModelError.Code] = [.invalidJSON, .invalidEnvelope, .invalidPayload]
        #expect(codes.map(\.rawValue) == ["invalid_json", "invalid_envelope", "invalid_payload"])
        #expect(codes.map(\.description) == ["invalid_json", "invalid_envelope", "invalid_payload"])
        switch validator.result(bytes: "{".bytes) {
        case .failure(let error): #expect(error.code == .invalidJSON)
        case .success: Issue.record("expected invalid_json")
        }
        switch validator.result(bytes: #"{"event_id":"x"}"#.bytes) {
        case .failure(let error): #expect(error.code == .invalidEnvelope)
        case .success: Issue.record("expected invalid_envelope")
        }
        switch validator.result(bytes: envelopeLine(eventType: "bmad.workflow.started", payload: "{}").bytes) {
        case .failure(let error): #expect(error.code == .invalidPayload)
        case .success: Issue.record("expected invalid_payload")
        }
        switch validator.result(bytes: envelopeLine(eventType: "bmad.workflow.started2", payload: "{}").bytes) {
        case .failure(let error): Issue.record("unexpected \(error)")
        case .success(let event): #expect(!event.isKnownType)
        }
        // U+0000 cannot be stored in jsonb, so the ingest path rejects it as invalid JSON.
        expectErrorCode(.invalidJSON) { () throws(BloodbankModelError) in
            _ = try validate("a.b", #"{"k":"\u0000"}"#)
        }
    }

    // MARK: bmad.workflow.started

    @Test func workflowStarted() throws {
        let minimal = try validate("bmad.workflow.started", #"{"workflow_id":"\#(Self.workflow)","project_name":"p"}"#)
        guard case .workflowStarted(let payload) = minimal.typedPayload else {
            Issue.record("wrong case")
            return
        }
        #expect(payload.currentPhase == .analysis)
        #expect(payload.projectName == "p")
        #expect(payload.initiatedBy == nil)
        let full = try validate(
            "bmad.workflow.started",
            #"{"workflow_id":"\#(Self.workflow)","project_name":"p","current_phase":"planning","initiated_by":"me","metadata":{"a":1},"extra":true}"#
        )
        guard case .workflowStarted(let fullPayload) = full.typedPayload else {
            Issue.record("wrong case")
            return
        }
        #expect(fullPayload.currentPhase == .planning)
        #expect(fullPayload.initiatedBy == "me")
        #expect(fullPayload.metadata == ["a": 1])
        let nullPhase = try WorkflowStartedPayload(
            payload: ["workflow_id": .string(Self.workflow), "project_name": "p", "current_phase": nil]
        )
        #expect(nullPhase.currentPhase == .analysis)
    }

    @Test(arguments: [
        (#"{"project_name":"p"}"#, "payload.workflow_id: required field is missing"),
        (#"{"workflow_id":123,"project_name":"p"}"#, "payload.workflow_id: expected a UUID string, got number"),
        (#"{"workflow_id":"wf-1","project_name":"p"}"#, #"payload.workflow_id: expected a UUID string, got "wf-1""#),
        (#"{"workflow_id":null,"project_name":"p"}"#, "payload.workflow_id: expected a UUID string, got null"),
        (#"{"workflow_id":"\#(workflow)"}"#, "payload.project_name: required field is missing"),
        (#"{"workflow_id":"\#(workflow)","project_name":["p"]}"#, "payload.project_name: expected a string, got array"),
        (
            #"{"workflow_id":"\#(workflow)","project_name":"p","current_phase":"Analysis"}"#,
            #"payload.current_phase: expected one of analysis, planning, solutioning, implementation, got "Analysis""#
        ),
        (
            #"{"workflow_id":"\#(workflow)","project_name":"p","metadata":"m"}"#,
            #"payload.metadata: expected an object, got "m""#
        ),
        (
            #"{"workflow_id":"\#(workflow)","project_name":"p","initiated_by":false}"#,
            "payload.initiated_by: expected a string, got boolean"
        ),
    ])
    func workflowStartedInvalid(payload: String, reason: String) {
        expectError(.invalidPayload, reason) { () throws(BloodbankModelError) in
            _ = try validate("bmad.workflow.started", payload)
        }
    }

    // MARK: bmad.workflow.phase.completed

    @Test func phaseCompleted() throws {
        let event = try validate(
            "bmad.workflow.phase.completed",
            #"{"workflow_id":"\#(Self.workflow)","phase":"analysis","next_phase":"planning","from_agent":"analyst","summary":"s","artifacts":["docs/prd.md",{"path":"x"}]}"#
        )
        guard case .phaseCompleted(let payload) = event.typedPayload else {
            Issue.record("wrong case")
            return
        }
        #expect(payload.phase == .analysis)
        #expect(payload.nextPhase == .planning)
        #expect(payload.fromAgent == "analyst")
        #expect(payload.artifacts == ["docs/prd.md", ["path": "x"]])
        let minimal = try PhaseCompletedPayload(payload: ["workflow_id": .string(Self.workflow), "phase": "planning"])
        #expect(minimal.artifacts == [])
        #expect(minimal.nextPhase == nil)
    }

    @Test(arguments: [
        (#"{"workflow_id":"\#(workflow)"}"#, "payload.phase: required field is missing"),
        (
            #"{"workflow_id":"\#(workflow)","phase":"testing"}"#,
            #"payload.phase: expected one of analysis, planning, solutioning, implementation, got "testing""#
        ),
        (
            #"{"workflow_id":"\#(workflow)","phase":"analysis","next_phase":3}"#,
            "payload.next_phase: expected one of analysis, planning, solutioning, implementation, got number"
        ),
        (
            #"{"workflow_id":"\#(workflow)","phase":"analysis","artifacts":"a"}"#,
            #"payload.artifacts: expected an array, got "a""#
        ),
    ])
    func phaseCompletedInvalid(payload: String, reason: String) {
        expectError(.invalidPayload, reason) { () throws(BloodbankModelError) in
            _ = try validate("bmad.workflow.phase.completed", payload)
        }
    }

    // MARK: bmad.workflow.handoff.requested

    @Test func handoffRequestedPlanSpelling() throws {
        let event = try validator.validate(bytes: try Fixtures.wireExampleLines()[0].bytes)
        guard case .handoffRequested(let payload) = event.typedPayload else {
            Issue.record("wrong case")
            return
        }
        #expect(payload.task == "Implement feature based on analysis")
        #expect(payload.taskText == "Implement feature based on analysis")
        #expect(payload.taskType == nil)
        #expect(payload.context == [:])
        #expect(payload.fromAgent == "bmad-architect")
        #expect(payload.toAgent == "letta-python-dev")
    }

    @Test func handoffRequestedArchitectureSpelling() throws {
        let event = try validate(
            "bmad.workflow.handoff.requested",
            #"{"workflow_id":"\#(Self.workflow)","from_agent":"a","to_agent":"b","task_type":"implementation","task_description":"Build login","context":{"files":["a.py"]},"deadline":"2026-01-12T00:00:00+01:00","priority":"high"}"#
        )
        guard case .handoffRequested(let payload) = event.typedPayload else {
            Issue.record("wrong case")
            return
        }
        #expect(payload.task == nil)
        #expect(payload.taskType == "implementation")
        #expect(payload.taskDescription == "Build login")
        #expect(payload.taskText == "implementation: Build login")
        #expect(payload.context == ["files": ["a.py"]])
        #expect(payload.deadline?.description == "2026-01-11T23:00:00.000000Z")
        #expect(payload.priority == "high")
    }

    @Test func handoffTaskTextFallbacks() throws {
        let workflowID = try #require(UUID(uuidString: Self.workflow))
        var payload = HandoffRequestedPayload(workflowID: workflowID, fromAgent: "a", toAgent: "b")
        #expect(payload.taskText == nil)
        payload.taskDescription = "only description"
        #expect(payload.taskText == "only description")
        payload.taskDescription = nil
        payload.taskType = "review"
        #expect(payload.taskText == "review")
        payload.task = "plan wins"
        payload.taskDescription = "ignored"
        #expect(payload.taskText == "plan wins")
        let numeric = try validate(
            "bmad.workflow.handoff.requested",
            #"{"workflow_id":"\#(Self.workflow)","from_agent":"a","to_agent":"b","priority":2}"#
        )
        guard case .handoffRequested(let numericPayload) = numeric.typedPayload else {
            Issue.record("wrong case")
            return
        }
        #expect(numericPayload.priority == 2)
    }

    @Test(arguments: [
        (#"{"workflow_id":"\#(workflow)","to_agent":"b"}"#, "payload.from_agent: required field is missing"),
        (#"{"workflow_id":"\#(workflow)","from_agent":"a"}"#, "payload.to_agent: required field is missing"),
        (
            #"{"workflow_id":"\#(workflow)","from_agent":"a","to_agent":"b","task":{"t":1}}"#,
            "payload.task: expected a string, got object"
        ),
        (
            #"{"workflow_id":"\#(workflow)","from_agent":"a","to_agent":"b","context":[]}"#,
            "payload.context: expected an object, got array"
        ),
        (
            #"{"workflow_id":"\#(workflow)","from_agent":"a","to_agent":"b","deadline":"tomorrow"}"#,
            #"payload.deadline: expected an ISO 8601 timestamp such as 2026-01-11T14:30:00.123456Z, got "tomorrow""#
        ),
        (
            #"{"workflow_id":"\#(workflow)","from_agent":"a","to_agent":"b","deadline":5}"#,
            "payload.deadline: expected an ISO 8601 timestamp string, got number"
        ),
        (
            #"{"workflow_id":"\#(workflow)","from_agent":"a","to_agent":"b","priority":1.5}"#,
            "payload.priority: expected a string or an integer, got number"
        ),
        (
            #"{"workflow_id":"\#(workflow)","from_agent":"a","to_agent":"b","priority":true}"#,
            "payload.priority: expected a string or an integer, got boolean"
        ),
    ])
    func handoffRequestedInvalid(payload: String, reason: String) {
        expectError(.invalidPayload, reason) { () throws(BloodbankModelError) in
            _ = try validate("bmad.workflow.handoff.requested", payload)
        }
    }

    // MARK: bmad.workflow.completed

    @Test func workflowCompleted() throws {
        for status in WorkflowCompletionStatus.allCases {
            let event = try validate(
                "bmad.workflow.completed",
                #"{"workflow_id":"\#(Self.workflow)","status":"\#(status.rawValue)","summary":"done"}"#
            )
            guard case .workflowCompleted(let payload) = event.typedPayload else {
                Issue.record("wrong case")
                return
            }
            #expect(payload.status == status)
            #expect(payload.summary == "done")
        }
        let bare = try WorkflowCompletedPayload(payload: ["workflow_id": .string(Self.workflow)])
        #expect(bare.status == nil)
        expectError(
            .invalidPayload,
            #"payload.status: expected one of completed, failed, cancelled, got "done""#
        ) { () throws(BloodbankModelError) in
            _ = try validate("bmad.workflow.completed", #"{"workflow_id":"\#(Self.workflow)","status":"done"}"#)
        }
        expectError(.invalidPayload, "payload.workflow_id: required field is missing") {
            () throws(BloodbankModelError) in
            _ = try validate("bmad.workflow.completed", #"{"status":"failed"}"#)
        }
    }

    // MARK: agent.handoff.accepted

    @Test func handoffAccepted() throws {
        let event = try validator.validate(bytes: try Fixtures.wireExampleLines()[1].bytes)
        guard case .handoffAccepted(let payload) = event.typedPayload else {
            Issue.record("wrong case")
            return
        }
        #expect(payload.sessionID == "agent-1234")
        #expect(payload.sessionUUID == nil)
        #expect(payload.agentType == "letta")
        #expect(payload.acceptedFrom == "bmad-architect")
        #expect(payload.toAgent == nil)
        let withUUID = try validate(
            "agent.handoff.accepted",
            #"{"workflow_id":"\#(Self.workflow)","agent_type":"letta","session_id":"agent-3f2504e0-4f89-41d3-9a0c-0305e82c3301","accepted_from":"x","to_agent":"y","checkpoint_id":"cp-1"}"#
        )
        guard case .handoffAccepted(let uuidPayload) = withUUID.typedPayload else {
            Issue.record("wrong case")
            return
        }
        #expect(uuidPayload.sessionUUID == UUID(uuidString: "3f2504e0-4f89-41d3-9a0c-0305e82c3301"))
        #expect(uuidPayload.checkpointID == "cp-1")
        #expect(uuidPayload.toAgent == "y")
    }

    @Test(arguments: [
        (
            #"{"workflow_id":"\#(workflow)","agent_type":"letta","session_id":1234,"accepted_from":"x"}"#,
            "payload.session_id: expected a string, got number"
        ),
        (
            #"{"workflow_id":"\#(workflow)","session_id":"agent-1","accepted_from":"x"}"#,
            "payload.agent_type: required field is missing"
        ),
        (
            #"{"workflow_id":"\#(workflow)","agent_type":"letta","session_id":"agent-1"}"#,
            "payload.accepted_from: required field is missing"
        ),
    ])
    func handoffAcceptedInvalid(payload: String, reason: String) {
        expectError(.invalidPayload, reason) { () throws(BloodbankModelError) in
            _ = try validate("agent.handoff.accepted", payload)
        }
    }

    // MARK: agent.letta.checkpoint.saved

    @Test func checkpointSaved() throws {
        let event = try validate(
            "agent.letta.checkpoint.saved",
            #"{"session_id":"agent-1","checkpoint_id":"cp-9","agent_instance_id":"i","checkpoint_type":"pre-handoff","summary":"s","context_snapshot":{"k":"v"},"metrics":{"tokens_used":12345678901,"duration_seconds":1.5}}"#
        )
        guard case .checkpointSaved(let payload) = event.typedPayload else {
            Issue.record("wrong case")
            return
        }
        #expect(payload.checkpointType == .preHandoff)
        #expect(payload.metrics == CheckpointSavedPayload.Metrics(tokensUsed: 12_345_678_901, durationSeconds: 1.5))
        #expect(payload.contextSnapshot == ["k": "v"])
        #expect(event.typedPayload?.workflowID == nil)
        let integralFloat = try validate(
            "agent.letta.checkpoint.saved",
            #"{"session_id":"agent-1","checkpoint_id":"cp-9","metrics":{"tokens_used":10.0}}"#
        )
        guard case .checkpointSaved(let floatPayload) = integralFloat.typedPayload else {
            Issue.record("wrong case")
            return
        }
        #expect(floatPayload.metrics?.tokensUsed == 10)
        #expect(floatPayload.metrics?.durationSeconds == nil)
        #expect(floatPayload.checkpointType == nil)
        #expect(floatPayload.metrics != nil)
    }

    @Test(arguments: [
        (#"{"checkpoint_id":"c"}"#, "payload.session_id: required field is missing"),
        (#"{"session_id":"s"}"#, "payload.checkpoint_id: required field is missing"),
        (
            #"{"session_id":"s","checkpoint_id":"c","checkpoint_type":"pre_handoff"}"#,
            #"payload.checkpoint_type: expected one of initial, progress, milestone, pre-handoff, pre-feedback, final, got "pre_handoff""#
        ),
        (
            #"{"session_id":"s","checkpoint_id":"c","metrics":{"tokens_used":"12"}}"#,
            #"payload.metrics.tokens_used: expected an integer, got "12""#
        ),
        (
            #"{"session_id":"s","checkpoint_id":"c","metrics":{"tokens_used":1.5}}"#,
            "payload.metrics.tokens_used: expected an integer, got 1.5"
        ),
        (
            #"{"session_id":"s","checkpoint_id":"c","metrics":{"tokens_used":99999999999999999999}}"#,
            "payload.metrics.tokens_used: integer 99999999999999999999 is outside the 64-bit range"
        ),
        (
            #"{"session_id":"s","checkpoint_id":"c","metrics":{"duration_seconds":"1s"}}"#,
            #"payload.metrics.duration_seconds: expected a number, got "1s""#
        ),
        (#"{"session_id":"s","checkpoint_id":"c","metrics":[]}"#, "payload.metrics: expected an object, got array"),
    ])
    func checkpointSavedInvalid(payload: String, reason: String) {
        expectError(.invalidPayload, reason) { () throws(BloodbankModelError) in
            _ = try validate("agent.letta.checkpoint.saved", payload)
        }
    }

    // MARK: agent.letta.task.completed

    @Test func taskCompleted() throws {
        let event = try validate(
            "agent.letta.task.completed",
            #"{"session_id":"agent-1","workflow_id":"\#(Self.workflow)","task_id":"t","agent_instance_id":"i","final_checkpoint_id":"cp","artifacts":[{"type":"file","path":"a.py","status":"created"},{"path":"b.py","extra":1}],"validation":{"tests_passed":true,"lint_passed":false,"coverage_pct":91.5},"next_action":"review","summary":"s"}"#
        )
        guard case .taskCompleted(let payload) = event.typedPayload else {
            Issue.record("wrong case")
            return
        }
        #expect(payload.artifacts == [.init(type: "file", path: "a.py", status: "created"), .init(path: "b.py")])
        #expect(payload.validation == .init(testsPassed: true, lintPassed: false, coveragePct: 91.5))
        #expect(payload.nextAction == "review")
        #expect(payload.finalCheckpointID == "cp")
        let minimal = try TaskCompletedPayload(payload: ["session_id": "s", "workflow_id": .string(Self.workflow)])
        #expect(minimal.artifacts == [])
        #expect(minimal.validation == nil)
    }

    @Test(arguments: [
        (#"{"session_id":"s"}"#, "payload.workflow_id: required field is missing"),
        (#"{"workflow_id":"\#(workflow)"}"#, "payload.session_id: required field is missing"),
        (
            #"{"session_id":"s","workflow_id":"\#(workflow)","artifacts":["a.py"]}"#,
            #"payload.artifacts[0]: expected an object, got "a.py""#
        ),
        (
            #"{"session_id":"s","workflow_id":"\#(workflow)","artifacts":[{"path":"a"},{"path":7}]}"#,
            "payload.artifacts[1].path: expected a string, got number"
        ),
        (
            #"{"session_id":"s","workflow_id":"\#(workflow)","validation":{"tests_passed":"yes"}}"#,
            #"payload.validation.tests_passed: expected a boolean, got "yes""#
        ),
        (
            #"{"session_id":"s","workflow_id":"\#(workflow)","validation":{"coverage_pct":null,"lint_passed":1}}"#,
            "payload.validation.lint_passed: expected a boolean, got number"
        ),
    ])
    func taskCompletedInvalid(payload: String, reason: String) {
        expectError(.invalidPayload, reason) { () throws(BloodbankModelError) in
            _ = try validate("agent.letta.task.completed", payload)
        }
    }

    // MARK: agent.letta.task.blocked

    @Test func taskBlocked() throws {
        let single = try validate(
            "agent.letta.task.blocked",
            #"{"session_id":"s","workflow_id":"\#(Self.workflow)","reason":"no creds","task_id":"t","needs":"API key","retryable":true}"#
        )
        guard case .taskBlocked(let payload) = single.typedPayload else {
            Issue.record("wrong case")
            return
        }
        #expect(payload.needs == ["API key"])
        #expect(payload.retryable == true)
        #expect(payload.reason == "no creds")
        #expect(payload.taskID == "t")
        let list = try TaskBlockedPayload(
            payload: ["session_id": "s", "workflow_id": .string(Self.workflow), "reason": "r", "needs": ["a", "b"]]
        )
        #expect(list.needs == ["a", "b"])
        let none = try TaskBlockedPayload(
            payload: ["session_id": "s", "workflow_id": .string(Self.workflow), "reason": "r", "needs": nil]
        )
        #expect(none.needs == [])
    }

    @Test(arguments: [
        (#"{"session_id":"s","workflow_id":"\#(workflow)"}"#, "payload.reason: required field is missing"),
        (
            #"{"session_id":"s","workflow_id":"\#(workflow)","reason":"r","needs":[1]}"#,
            "payload.needs: expected a string or an array of strings, got array"
        ),
        (
            #"{"session_id":"s","workflow_id":"\#(workflow)","reason":"r","retryable":"no"}"#,
            #"payload.retryable: expected a boolean, got "no""#
        ),
    ])
    func taskBlockedInvalid(payload: String, reason: String) {
        expectError(.invalidPayload, reason) { () throws(BloodbankModelError) in
            _ = try validate("agent.letta.task.blocked", payload)
        }
    }

    // MARK: Typed payloads for publishers

    @Test func typedPayloadsRoundTripThroughTheirWireObjects() throws {
        let workflowID = try #require(UUID(uuidString: Self.workflow))
        let payloads: [any BloodbankPayload] = [
            WorkflowStartedPayload(
                workflowID: workflowID,
                projectName: "p",
                currentPhase: .solutioning,
                initiatedBy: "me",
                metadata: ["k": 1]
            ),
            PhaseCompletedPayload(
                workflowID: workflowID,
                phase: .planning,
                nextPhase: .solutioning,
                fromAgent: "pm",
                summary: "s",
                artifacts: ["a"]
            ),
            HandoffRequestedPayload(
                workflowID: workflowID,
                fromAgent: "a",
                toAgent: "b",
                task: "t",
                taskType: "tt",
                taskDescription: "td",
                context: ["c": true],
                deadline: EventTimestamp(parsing: "2026-01-12T00:00:00Z"),
                priority: "high"
            ),
            WorkflowCompletedPayload(workflowID: workflowID, status: .failed, summary: "x"),
            HandoffAcceptedPayload(
                workflowID: workflowID,
                agentType: "letta",
                sessionID: "agent-1",
                acceptedFrom: "a",
                toAgent: "b",
                checkpointID: "c"
            ),
            CheckpointSavedPayload(
                sessionID: "s",
                checkpointID: "c",
                agentInstanceID: "i",
                checkpointType: .preFeedback,
                summary: "s",
                contextSnapshot: [:],
                metrics: .init(tokensUsed: 5, durationSeconds: 0.25)
            ),
            TaskCompletedPayload(
                sessionID: "s",
                workflowID: workflowID,
                taskID: "t",
                agentInstanceID: "i",
                finalCheckpointID: "f",
                artifacts: [.init(type: "file", path: "p", status: "created")],
                validation: .init(testsPassed: true, lintPassed: true, coveragePct: 90),
                nextAction: "n",
                summary: "s"
            ),
            TaskBlockedPayload(
                sessionID: "s",
                workflowID: workflowID,
                reason: "r",
                taskID: "t",
                needs: ["x"],
                retryable: false
            ),
        ]
        for payload in payloads {
            let envelope = EventEnvelope(payload: payload)
            let event = try validator.validate(bytes: envelope.encodedBytes())
            let typed = try #require(event.typedPayload)
            #expect(type(of: typed.payload).eventType == type(of: payload).eventType)
            #expect(typed.payload.jsonObject == payload.jsonObject)
            #expect(event.envelope.payload == payload.jsonObject)
        }
    }

    @Test func minimalTypedPayloadsOmitNilFields() throws {
        let workflowID = try #require(UUID(uuidString: Self.workflow))
        let accepted = HandoffAcceptedPayload(
            workflowID: workflowID,
            agentType: "letta",
            sessionID: "agent-1234",
            acceptedFrom: "bmad-architect"
        )
        #expect(
            JSONValue.object(accepted.jsonObject).encodedString()
                == #"{"workflow_id":"7c1e4f0a-2b3d-4e5f-8a9b-0c1d2e3f4a5b","agent_type":"letta","#
                + #""session_id":"agent-1234","accepted_from":"bmad-architect"}"#
        )
        #expect(TaskBlockedPayload(sessionID: "s", workflowID: workflowID, reason: "r").jsonObject["needs"] == nil)
    }

    // MARK: Custom catalogues

    struct CustomPayload: BloodbankPayload, Hashable {
        static let eventType = "custom.thing.done"
        static let summary = "A custom thing."
        static let fields: [PayloadField] = [.required("count", .integer, "How many.")]
        var count: Int64

        init(count: Int64) {
            self.count = count
        }

        init(validatedPayload payload: JSONObject) throws(BloodbankModelError) {
            let reader = PayloadReader(payload, fields: Self.fields)
            self.count = try reader.require("count", reader.int64)
        }

        var jsonObject: JSONObject { ["count": .number(JSONNumber(count))] }
    }

    @Test func customCataloguesExtendPhase1() throws {
        let catalogue = EventCatalogue.phase1.adding(EventCatalogue.Entry(CustomPayload.self))
        #expect(catalogue.eventTypes.count == 9)
        let validator = EventValidator(catalogue: catalogue)
        let event = try validator.validate(
            bytes: envelopeLine(eventType: "custom.thing.done", payload: #"{"count":3}"#).bytes)
        guard case .other(let payload) = event.typedPayload else {
            Issue.record("wrong case")
            return
        }
        #expect((payload as? CustomPayload)?.count == 3)
        #expect(event.typedPayload?.workflowID == nil)
        expectError(.invalidPayload, "payload.count: required field is missing") { () throws(BloodbankModelError) in
            _ = try validator.validate(bytes: envelopeLine(eventType: "custom.thing.done", payload: "{}").bytes)
        }
        // The default validator does not know the type: still a valid event.
        #expect(
            try !self.validator.validate(bytes: envelopeLine(eventType: "custom.thing.done", payload: "{}").bytes)
                .isKnownType)
    }

    @Test func readerReportsDescriptorDriftAsPayloadErrors() {
        // Typed decoders normally run after validation; called directly on bad input they still fail cleanly.
        let bad: JSONObject = ["workflow_id": 1, "project_name": 2]
        expectError(.invalidPayload, "payload.workflow_id: expected a UUID string, got number") {
            () throws(BloodbankModelError) in
            _ = try WorkflowStartedPayload(validatedPayload: bad)
        }
        let reader = PayloadReader(
            ["s": 1, "t": "x", "e": "zzz", "i": "1", "d": true, "b": 0, "o": [], "a": [:], "n": ["k": 1], "na": [1]],
            fields: []
        )
        expectErrorCode(.invalidPayload) { () throws(BloodbankModelError) in _ = try reader.string("s") }
        expectErrorCode(.invalidPayload) { () throws(BloodbankModelError) in _ = try reader.timestamp("t") }
        expectErrorCode(.invalidPayload) { () throws(BloodbankModelError) in
            _ = try reader.enumeration("e", as: WorkflowPhase.self)
        }
        expectErrorCode(.invalidPayload) { () throws(BloodbankModelError) in _ = try reader.int64("i") }
        expectErrorCode(.invalidPayload) { () throws(BloodbankModelError) in _ = try reader.double("d") }
        expectErrorCode(.invalidPayload) { () throws(BloodbankModelError) in _ = try reader.bool("b") }
        expectErrorCode(.invalidPayload) { () throws(BloodbankModelError) in _ = try reader.object("o") }
        expectErrorCode(.invalidPayload) { () throws(BloodbankModelError) in _ = try reader.array("a") }
        expectErrorCode(.invalidPayload) { () throws(BloodbankModelError) in _ = try reader.nestedArray("na") }
        #expect((try? reader.nested("n"))??.path == "payload.n")
        #expect((try? reader.uuid("missing")) == .some(nil))
    }
}
