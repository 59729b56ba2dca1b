import ArgumentParser
import BloodbankModel
import Foundation
import NIOConcurrencyHelpers

/// `bb wait <handoff-event-id>`: blocks until the handoff's outcome, like `gh run watch --exit-status`.
struct BBWait: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "wait",
        abstract: "Wait for a handoff's outcome: exit 0 when completed, 1 when blocked, 124 on timeout.",
        discussion: """
            Give the event id `bb publish bmad.workflow.handoff.requested …` printed. bb waits until the handoff
            is stored, then follows the live stream (resuming across API restarts) until the Letta bridge reports
            the outcome: agent.letta.task.completed → the agent's summary on standard output, exit 0;
            agent.letta.task.blocked → the reason on standard output, exit 1 (also when the bridge gave up on Letta
            and dead-lettered the handoff, which it reports as a blocked event without an acceptance); nothing
            within --timeout → exit 124. Progress (stored, accepted by which agent) goes to standard error.
            -o json prints the outcome event (the stored envelope with "position") instead of the text.
            """
    )

    @Argument(help: "The bmad.workflow.handoff.requested event id.") var handoffID: String
    @Option(help: "How long to wait: 10m, 90s, 1h or seconds.") var timeout: String = "10m"
    @Option(help: "How long the handoff itself may take to appear in the store.") var storeTimeout: String = "30s"
    @Option(name: [.customShort("o"), .customLong("output")], help: "text (default) or json.")
    var output: WaitOutput = .text
    @Flag(help: "No progress lines on standard error.") var quiet = false
    @OptionGroup var api: APIOptions

    enum WaitOutput: String, ExpressibleByArgument, CaseIterable {
        case text, json
    }

    /// The exit status of a timeout (as `timeout(1)`).
    static let timeoutStatus: Int32 = 124

    func validate() throws {
        guard BloodbankUUID.parse(handoffID) != nil else {
            throw ValidationError("'\(handoffID)' is not an event id (UUID); give the id bb publish printed")
        }
        guard let seconds = DurationText.seconds(timeout), seconds > 0 else {
            throw ValidationError("--timeout must be a duration such as 10m, 90s or 1h, got '\(timeout)'")
        }
        _ = seconds
        guard DurationText.seconds(storeTimeout) != nil else {
            throw ValidationError("--store-timeout must be a duration such as 30s, got '\(storeTimeout)'")
        }
    }

    func run() async throws {
        Terminal.ignoreSIGPIPE()
        let client = try api.client()
        try await client.checkReachable()
        guard let id = BloodbankUUID.parse(handoffID) else { throw ExitCode.validationFailure }
        let total = Duration.milliseconds(Int64((DurationText.seconds(timeout) ?? 600) * 1000))
        let storeLimit = Duration.milliseconds(Int64((DurationText.seconds(storeTimeout) ?? 30) * 1000))
        let quiet = quiet
        let progress: @Sendable (String) -> Void = { if !quiet { Terminal.status($0) } }
        let waiter = HandoffWaiter(api: client, handoffID: id, progress: progress)
        let outcome: HandoffWaiter.Outcome?
        do {
            outcome = try await Self.within(total) {
                try await waiter.wait(storeTimeout: min(storeLimit, total))
            }
        }
        guard let outcome else {
            let accepted = waiter.acceptedBy.withLockedValue { $0 }
            Terminal.err(
                "bb wait: no outcome for handoff \(BloodbankUUID.format(id)) within \(timeout)"
                    + (accepted.map { " (accepted by \($0), still working)" }
                        ?? " (not accepted yet: is the Letta bridge running? scripts/service status letta-bridge)"))
            throw ExitCode(Self.timeoutStatus)
        }
        switch output {
        case .json: Terminal.out(bytes: outcome.event.data)
        case .text: Terminal.out(outcome.text)
        }
        if !outcome.completed {
            Terminal.err("bb wait: handoff \(BloodbankUUID.format(id)) \(outcome.statusLine)")
            throw ExitCode(1)
        }
        progress("handoff \(BloodbankUUID.format(id)) \(outcome.statusLine)")
    }

    /// `body`'s result, or `nil` when `limit` passes first.
    static func within<T: Sendable>(
        _ limit: Duration, _ body: @escaping @Sendable () async throws -> T
    ) async throws -> T? {
        try await withThrowingTaskGroup(of: T?.self) { group in
            group.addTask { try await body() }
            group.addTask {
                try await Task.sleep(for: limit)
                return nil
            }
            defer { group.cancelAll() }
            return try await group.next() ?? nil
        }
    }
}

/// Finds the outcome of one handoff: waits until the handoff is stored, then streams the workflow's events after
/// it until `agent.letta.task.completed` or `.blocked` names it (`task_id`, or a parent that is the handoff or its
/// acceptance).
struct HandoffWaiter: Sendable {
    /// What the bridge reported.
    struct Outcome: Sendable {
        /// The outcome event as streamed.
        var event: StreamedEvent
        /// Completed (true) or blocked.
        var completed: Bool
        /// Blocked before any acceptance: the bridge dead-lettered the handoff.
        var deadLettered: Bool

        /// The summary (completed) or the reason (blocked).
        var text: String {
            let payload = event.event["payload"]
            return (completed ? payload?["summary"]?.stringValue : payload?["reason"]?.stringValue) ?? ""
        }

        /// `completed by agent-…` / `blocked: reason` (+ dead-lettered).
        var statusLine: String {
            let agent =
                event.event["agent_context"]?["instance_id"]?.stringValue
                ?? event.event["payload"]?["session_id"]?.stringValue ?? "the agent"
            if completed {
                return "completed by \(agent) (event \(EventText.short(eventID)), position \(event.position))"
            }
            return "blocked: \(text)"
                + (deadLettered ? " — the bridge dead-lettered the handoff (letta_handoff_dlq)" : "")
        }

        var eventID: String { event.event["event_id"]?.stringValue ?? "" }
    }

    let api: APIClient
    let handoffID: UUID
    let progress: @Sendable (String) -> Void
    /// The session that accepted the handoff, once seen (for the timeout message).
    let acceptedBy = NIOLockedValueBox<String?>(nil)

    func wait(storeTimeout: Duration) async throws -> Outcome {
        let handoff = try await storedHandoff(storeTimeout: storeTimeout)
        let position = handoff["position"]?.numberValue?.int64Value ?? 0
        let type = handoff["event_type"]?.stringValue ?? "?"
        guard type == HandoffRequestedPayload.eventType else {
            throw CommandFailure(
                "event \(BloodbankUUID.format(handoffID)) is a \(type), not a \(HandoffRequestedPayload.eventType): "
                    + "give the id of the handoff request")
        }
        progress("handoff stored at position \(position); waiting for the Letta bridge")
        var stream = EventStream(api: api)
        stream.eventTypes = [
            HandoffAcceptedPayload.eventType, TaskCompletedPayload.eventType, TaskBlockedPayload.eventType,
        ]
        stream.workflowID = handoff["payload"]?["workflow_id"]?.stringValue.flatMap(BloodbankUUID.parse)
        let found = NIOLockedValueBox<Outcome?>(nil)
        let handoffText = BloodbankUUID.format(handoffID)
        let acceptanceID = NIOLockedValueBox<String?>(nil)
        let acceptedBy = acceptedBy
        let progress = progress
        let status: @Sendable (EventStream.Status) -> Void = { status in
            if case .reconnecting(_, let reason, let delay) = status {
                progress("stream interrupted (\(reason)); reconnecting in \(delay)")
            }
        }
        try await stream.run(after: position, status: status) { streamed in
            let event = streamed.event
            let parents = event["correlation_ids"]?.arrayValue?.compactMap(\.stringValue) ?? []
            let type = event["event_type"]?.stringValue
            if type == HandoffAcceptedPayload.eventType {
                guard parents.contains(where: { $0.lowercased() == handoffText }) else { return .continue }
                let session = event["payload"]?["session_id"]?.stringValue ?? "an agent"
                acceptanceID.withLockedValue { $0 = event["event_id"]?.stringValue?.lowercased() }
                acceptedBy.withLockedValue { $0 = session }
                progress("accepted by \(session); waiting for the outcome")
                return .continue
            }
            let acceptance = acceptanceID.withLockedValue { $0 }
            let mine =
                event["payload"]?["task_id"]?.stringValue?.lowercased() == handoffText
                || parents.contains { $0.lowercased() == handoffText || $0.lowercased() == acceptance }
            guard mine else { return .continue }
            let completed = type == TaskCompletedPayload.eventType
            let deadLettered = !completed && parents.contains { $0.lowercased() == handoffText }
            found.withLockedValue { $0 = Outcome(event: streamed, completed: completed, deadLettered: deadLettered) }
            return .stop
        }
        guard let outcome = found.withLockedValue({ $0 }) else {
            throw CommandFailure("the stream ended without an outcome")
        }
        return outcome
    }

    /// The handoff as stored, polling while it is not (yet) in the store.
    private func storedHandoff(storeTimeout: Duration) async throws -> JSONValue {
        let deadline = ContinuousClock.now + storeTimeout
        var announced = false
        while true {
            if let response = try await api.event(handoffID), let json = response.json { return json }
            guard ContinuousClock.now < deadline else {
                throw CommandFailure(
                    "no event \(BloodbankUUID.format(handoffID)) in the store after \(storeTimeout): check the id "
                        + "(the one bb publish printed) — or is the Event Store Manager down? "
                        + "(scripts/service status manager)")
            }
            if !announced {
                progress("handoff \(BloodbankUUID.format(handoffID)) not stored yet; waiting")
                announced = true
            }
            try await Task.sleep(for: .milliseconds(200))
        }
    }
}
