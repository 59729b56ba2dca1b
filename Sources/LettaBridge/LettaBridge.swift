public import AMQPClient
public import Bloodbank
public import BloodbankModel
package import Foundation
public import LettaClient
public import Logging
import Retry
public import ServiceLifecycle

/// The Letta bridge: turns each `bmad.workflow.handoff.requested` into work for a real Letta agent, with exactly
/// one outcome per accepted handoff whatever dies when (docs/letta.md, "Exactly one outcome").
///
/// For every handoff on `letta_handoff_queue`: get-or-create its Letta agent (tagged with the handoff's id; or the
/// long-lived agent of its name in `per-name` mode), publish `agent.handoff.accepted` with confirms, an initial
/// checkpoint (the Letta message cursor), mark the task sent (a tag on the agent), run the agent's turn (bounded by
/// the stall timeout), publish progress and final checkpoints and `agent.letta.task.completed` (or `.blocked`),
/// mark it done (a tag), and only then acknowledge the handoff. Every event id is derived from the handoff's, so a
/// republish after a crash is a duplicate the store drops. A redelivered handoff whose task was sent is recovered:
/// `agent.letta.session.recovery.started`, `agent.letta.context.restored`, `agent.letta.task.resumed`, then the
/// reply Letta already has (or the running turn's, or a new turn's) as the one outcome. Letta unavailable: retry
/// with backoff, keeping the message unacknowledged; after `maxAttempts` (or at once when Letta refuses the agent)
/// publish `agent.letta.task.blocked` and dead-letter the handoff to `letta_handoff_dlq`; a stalled turn is
/// blocked (retryable) and dead-lettered too. A malformed handoff is dead-lettered with the reason at once.
public final class LettaBridge: Service, Sendable {
    /// Tag prefix that links a Letta agent to the handoff event that created it.
    public static let handoffTagPrefix = "bloodbank-handoff:"

    private let configuration: LettaBridgeConfiguration
    private let letta: LettaClient
    private let publisher: BloodbankPublisher
    private let consumer: BusConsumer
    private let logger: Logger
    private let gate = HandoffGate()
    private let limits: MessageLimits
    private let agentLock = KeyedLock()
    private let faults: FaultInjector

    /// Creates a bridge from its collaborators; `run()` (in a `ServiceGroup` with the AMQP client) does the work.
    ///
    /// - Parameters:
    ///   - amqp: the connection the handoffs are consumed from and dead-lettered on.
    ///   - publisher: publishes the acceptance and outcome events (with confirms; usually on `amqp`).
    ///   - letta: the Letta server's client.
    public init(
        configuration: LettaBridgeConfiguration,
        amqp: AMQPClient,
        publisher: BloodbankPublisher,
        letta: LettaClient,
        topology: BloodbankTopology,
        validator: EventValidator = EventValidator(),
        logger: Logger = Logger(label: "candystore.letta-bridge")
    ) {
        self.configuration = configuration
        self.letta = letta
        self.publisher = publisher
        self.logger = logger
        self.limits = validator.limits
        self.faults = FaultInjector(point: configuration.faultPoint)
        // The broker never pushes more than `concurrency` unacknowledged deliveries (prefetch), so at most that
        // many handoffs are in their accept phase at once.
        self.consumer = BusConsumer(
            configuration: .init(
                queue: configuration.queue, deadLetterExchange: configuration.deadLetterExchange,
                deadLetterRoutingKey: configuration.deadLetterRoutingKey,
                prefetch: UInt16(clamping: max(1, configuration.concurrency)), retry: configuration.retry),
            amqp: amqp, topology: topology, validator: validator, logger: logger)
    }

    /// Declares the queue and its DLQ, then handles handoffs (up to `concurrency` at once) until shutdown.
    public func run() async throws {
        try await consumer.consumeEach { message, event in
            await self.handle(message.delivery, event: event)
        }
    }

    // MARK: - One handoff

    func handle(_ delivery: AMQPDelivery, event: ValidatedEvent) async {
        guard case .handoffRequested(let handoff) = event.typedPayload else {
            // Another event under bmad.workflow.handoff.# (not a request): not ours to act on.
            logger.debug("ignoring \(event.envelope.eventType)")
            consumer.acknowledge(delivery)
            return
        }
        let handoffID = event.envelope.eventID
        // Copies of the same handoff are handled one after the other (the second finds the first's agent).
        await gate.enter(handoffID)
        await process(delivery, handoff: handoff, handoffID: handoffID)
        await gate.leave(handoffID)
    }

    private func process(_ delivery: AMQPDelivery, handoff: HandoffRequestedPayload, handoffID: UUID) async {
        var metadata: Logger.Metadata = [
            "handoff": "\(BloodbankUUID.format(handoffID))", "to_agent": "\(handoff.toAgent)",
            "workflow": "\(BloodbankUUID.format(handoff.workflowID))",
        ]
        logger.info("handoff requested", metadata: metadata)

        // 0. A handoff whose memory blocks cannot hold its task or context is refused before Letta sees it
        // (Letta would answer 422, echoing the whole value): blocked, not retryable, dead-lettered with the sizes.
        if let oversize = Self.oversizedBlock(of: handoff) {
            logger.error("handoff blocked", metadata: metadata.merging(["error": "\(oversize)"]) { $1 })
            let blocked = TaskBlockedPayload(
                sessionID: "unassigned", workflowID: handoff.workflowID, reason: limits.reason(oversize),
                taskID: BloodbankUUID.format(handoffID), needs: ["a shorter task or context"], retryable: false)
            guard
                await publishReliably(blocked, id: DerivedEventID.outcome(of: handoffID), parent: handoffID, agent: nil)
            else { return }
            await consumer.deadLetterAndAcknowledge(delivery, code: "handoff_too_large", reason: oversize)
            return
        }

        // 1. Get or create the agent (retrying while Letta is unavailable).
        let agent: LettaAgent
        let lookup: @Sendable () async throws(LettaClientError) -> LettaAgent = {
            () async throws(LettaClientError) -> LettaAgent in
            try await self.agent(for: handoff, handoffID: handoffID)
        }
        switch await withLettaRetries("create agent", lookup) {
        case .success(let found):
            agent = found
        case .failure(let error):
            if Task.isCancelled {
                // Shutting down: leave the handoff unacknowledged; the broker gives it to the next bridge.
                logger.notice("shutdown while waiting for Letta; the handoff will be redelivered", metadata: metadata)
                return
            }
            let (code, fullReason) = Self.lookupFailure(error, attempts: configuration.maxAttempts)
            let reason = limits.reason(fullReason)
            logger.error("handoff blocked", metadata: metadata.merging(["error": "\(error)"]) { $1 })
            let blocked = TaskBlockedPayload(
                sessionID: "unassigned", workflowID: handoff.workflowID, reason: reason,
                taskID: BloodbankUUID.format(handoffID),
                needs: [error.isRetryable ? "a reachable Letta server" : "a Letta server that accepts the agent"],
                retryable: error.isRetryable)
            guard
                await publishReliably(blocked, id: DerivedEventID.outcome(of: handoffID), parent: handoffID, agent: nil)
            else { return }
            await consumer.deadLetterAndAcknowledge(delivery, code: code, reason: reason)
            return
        }
        metadata["session"] = "\(agent.id)"
        // A per-name agent works on one task at a time (its conversation is one thread).
        let lockKey = configuration.agentMode == .perName ? agent.id : nil
        if let lockKey { await agentLock.lock(lockKey) }
        defer { if let lockKey { Task { await self.agentLock.unlock(lockKey) } } }
        await faults.reached(.beforeAccept)

        // 2. Accept: publish agent.handoff.accepted (deterministic id). The handoff stays unacknowledged until
        //    its outcome is confirmed by the broker (or, with startsWork off, until the acceptance is).
        let accepted = HandoffAcceptedPayload(
            workflowID: handoff.workflowID, agentType: "letta", sessionID: agent.id, acceptedFrom: handoff.fromAgent,
            toAgent: handoff.toAgent)
        let acceptanceID = DerivedEventID.acceptance(of: handoffID)
        guard await publishReliably(accepted, id: acceptanceID, parent: handoffID, agent: agent) else { return }
        logger.info("handoff accepted", metadata: metadata)
        let current = (try? await letta.agent(id: agent.id)) ?? agent
        if current.tags.contains(Self.doneTag(handoffID)) {
            // Letta remembers that the outcome was confirmed: a duplicate, or a redelivery after the outcome.
            logger.info("the outcome of this handoff was published before; not working again", metadata: metadata)
            consumer.acknowledge(delivery)
            return
        }
        guard configuration.startsWork else {
            consumer.acknowledge(delivery)
            return
        }
        await faults.reached(.afterAccept)

        // 3. Work until exactly one outcome is confirmed.
        let work = HandoffWork(
            handoff: handoff, handoffID: handoffID, acceptanceID: acceptanceID, agent: current, metadata: metadata)
        switch await perform(work) {
        case .finished:
            consumer.acknowledge(delivery)
        case .deadLetter(let code, let reason):
            await consumer.deadLetterAndAcknowledge(delivery, code: code, reason: reason)
        case .interrupted:
            logger.notice("shutdown while the agent worked; the handoff will be redelivered", metadata: metadata)
        }
    }

    // MARK: - The work: turns, checkpoints, recovery, outcome

    /// What one handoff's work needs.
    struct HandoffWork: Sendable {
        let handoff: HandoffRequestedPayload
        let handoffID: UUID
        let acceptanceID: UUID
        let agent: LettaAgent
        let metadata: Logger.Metadata

        var taskID: String { BloodbankUUID.format(handoffID) }
        /// The text every message of this task carries, so its turns can be found in a shared conversation.
        var marker: String { "[handoff \(taskID)]" }
    }

    /// How the work on a handoff ended.
    enum WorkEnd: Sendable, Equatable {
        /// Its outcome is confirmed: acknowledge.
        case finished
        /// Its outcome (blocked) is confirmed and the handoff goes to the DLQ, re-drivable.
        case deadLetter(code: String, reason: String)
        /// Shutdown: nothing to acknowledge; the broker redelivers the handoff and a bridge recovers it.
        case interrupted
    }

    /// What one agent turn gave.
    enum TurnResult: Sendable {
        case reply(text: String, cursor: String?, tokens: Int64?)
        case stalled
        case lettaDown(LettaClientError)
        case agentFailed(LettaClientError)
        case interrupted
    }

    private func perform(_ work: HandoffWork) async -> WorkEnd {
        let sent = work.agent.tags.contains(Self.sentTag(work.handoffID))
        var recoveryReason: String? =
            sent
            ? "the handoff was redelivered after its task had been sent; the previous bridge stopped before the outcome"
            : nil
        var round = 0
        if !sent {
            // Initial checkpoint: the conversation cursor before the task, then remember (in Letta) that it is sent.
            let read = await withLettaRetries("read messages") { () async throws(LettaClientError) -> String? in
                try await self.letta.messages(agentID: work.agent.id, limit: 1).last?.id
            }
            guard case .success(let cursor) = read else {
                if Task.isCancelled { return .interrupted }
                return await lettaUnavailable(work)
            }
            let initial = cursor ?? "\(work.agent.id):start"
            guard await checkpoint(work, id: initial, type: .initial, purpose: "checkpoint-initial") else {
                return .interrupted
            }
            guard await updateTags(work.agent.id, adding: [Self.sentTag(work.handoffID)]) else {
                if Task.isCancelled { return .interrupted }
                return await lettaUnavailable(work)
            }
        }
        while true {
            if Task.isCancelled { return .interrupted }
            let result: TurnResult
            if let reason = recoveryReason {
                round += 1
                guard let recovered = await recover(work, reason: reason, round: round) else {
                    if Task.isCancelled { return .interrupted }
                    return await lettaUnavailable(work)
                }
                result = recovered
            } else {
                result = await turn(work, text: Self.taskMessage(for: work.handoff, marker: work.marker))
            }
            switch result {
            case .reply(let text, let cursor, let tokens):
                return await finish(work, text: text, cursor: cursor, tokens: tokens)
            case .interrupted:
                return .interrupted
            case .stalled:
                return await stalled(work)
            case .agentFailed(let error):
                let blocked = TaskBlockedPayload(
                    sessionID: work.agent.id, workflowID: work.handoff.workflowID,
                    reason: limits.reason("the agent failed: \(error.message)"), taskID: work.taskID,
                    retryable: error.isRetryable)
                guard
                    await publishReliably(
                        blocked, id: DerivedEventID.outcome(of: work.handoffID), parent: work.acceptanceID,
                        agent: work.agent)
                else { return .interrupted }
                logger.warning("task blocked", metadata: work.metadata.merging(["error": "\(error)"]) { $1 })
                _ = await updateTags(
                    work.agent.id, adding: [Self.doneTag(work.handoffID)], removing: [Self.sentTag(work.handoffID)])
                return .finished
            case .lettaDown(let error):
                // Letta went away during the turn (e.g. restarted): the turn is lost or finished; recover.
                if round + 1 >= configuration.maxAttempts { return await lettaUnavailable(work) }
                logger.warning(
                    "Letta failed during the turn; recovering",
                    metadata: work.metadata.merging(["error": "\(error)"]) { $1 })
                try? await Task.sleep(for: configuration.retry.delay(attempt: round))
                recoveryReason = "Letta failed during the agent's turn: \(error.message)"
            }
        }
    }

    /// Recovery of a task already sent: recovery.started (from the last checkpoint), context.restored, then the
    /// reply Letta already has, the running turn's reply, or a new turn; task.resumed says which. Nil: Letta down.
    private func recover(_ work: HandoffWork, reason: String, round: Int) async -> TurnResult? {
        guard let found = await self.transcript(work) else { return nil }
        let fromCheckpoint = found.replyCursor ?? found.cursorBeforeTask ?? "\(work.agent.id):start"
        let recoveryID = DerivedEventID.event(of: work.handoffID, purpose: "recovery-\(round)-\(fromCheckpoint)")
        let started = SessionRecoveryStartedPayload(
            sessionID: work.agent.id, workflowID: work.handoff.workflowID, reason: reason, taskID: work.taskID,
            checkpointID: fromCheckpoint)
        guard await publishReliably(started, id: recoveryID, parent: work.acceptanceID, agent: work.agent) else {
            return .interrupted
        }
        logger.notice(
            "recovering a handoff", metadata: work.metadata.merging(["checkpoint": "\(fromCheckpoint)"]) { $1 })
        let blocks = (try? await letta.memoryBlocks(agentID: work.agent.id))?.map(\.label) ?? []
        let restored = ContextRestoredPayload(
            sessionID: work.agent.id, checkpointID: fromCheckpoint, workflowID: work.handoff.workflowID,
            taskID: work.taskID, messageCount: Int64(found.messageCount), memoryBlocks: blocks)
        guard
            await publishReliably(
                restored, id: DerivedEventID.event(of: work.handoffID, purpose: "restored-\(round)-\(fromCheckpoint)"),
                parent: recoveryID, agent: work.agent)
        else { return .interrupted }

        var reply = found.reply
        var resumption = TaskResumption.storedReply
        if reply == nil {
            // The previous bridge's turn may still be running in Letta: wait for its reply a while.
            let deadline = ContinuousClock.now + configuration.resumeGrace
            while reply == nil, ContinuousClock.now < deadline, !Task.isCancelled {
                try? await Task.sleep(for: configuration.pollInterval)
                reply = await self.transcript(work)?.reply
            }
            resumption = .runningTurn
        }
        if Task.isCancelled { return .interrupted }
        let resumed = TaskResumedPayload(
            sessionID: work.agent.id, workflowID: work.handoff.workflowID, taskID: work.taskID,
            checkpointID: fromCheckpoint, resumption: reply == nil ? .newTurn : resumption)
        guard
            await publishReliably(
                resumed, id: DerivedEventID.event(of: work.handoffID, purpose: "resumed-\(round)-\(fromCheckpoint)"),
                parent: work.acceptanceID, agent: work.agent)
        else { return .interrupted }
        if let reply { return .reply(text: reply.text, cursor: reply.cursor, tokens: nil) }
        return await turn(work, text: Self.resumeMessage(for: work.handoff, marker: work.marker, from: fromCheckpoint))
    }

    /// The reply found in the agent's conversation for this task.
    package struct FoundReply: Sendable, Equatable {
        /// The assistant text.
        package let text: String
        /// The id of the turn's last message (the checkpoint cursor).
        package let cursor: String?
    }

    /// This task's place in the agent's stored conversation.
    package struct Transcript: Sendable, Equatable {
        /// The reply to the task's newest message, if the agent answered it.
        package var reply: FoundReply?
        /// The cursor after the reply.
        package var replyCursor: String? { reply?.cursor }
        /// The cursor before the task's newest message (or the newest message when the task is not there).
        package var cursorBeforeTask: String?
        /// Messages read.
        package var messageCount: Int
    }

    /// Reads the agent's conversation (newest 200 messages); nil when Letta cannot be reached.
    private func transcript(_ work: HandoffWork) async -> Transcript? {
        let read = await withLettaRetries("read messages") { () async throws(LettaClientError) -> [LettaMessage] in
            try await self.letta.messages(agentID: work.agent.id, limit: 200)
        }
        guard case .success(let messages) = read else { return nil }
        return Self.transcript(of: messages, marker: work.marker)
    }

    /// Finds the newest user message carrying `marker` and the assistant messages answering it.
    package static func transcript(of messages: [LettaMessage], marker: String) -> Transcript {
        var result = Transcript(reply: nil, cursorBeforeTask: messages.last?.id, messageCount: messages.count)
        guard
            let index = messages.lastIndex(where: {
                $0.messageType == "user_message" && ($0.text ?? "").contains(marker)
            })
        else { return result }
        result.cursorBeforeTask = messages[..<index].last(where: { $0.id != nil })?.id
        var texts: [String] = []
        var cursor: String?
        for message in messages[(index + 1)...] {
            if message.messageType == "user_message" { break }
            if message.id != nil { cursor = message.id }
            if message.messageType == LettaMessage.assistantMessageType, let text = message.text { texts.append(text) }
        }
        if !texts.isEmpty { result.reply = FoundReply(text: texts.joined(separator: "\n"), cursor: cursor) }
        return result
    }

    /// One agent turn, bounded by the stall timeout.
    private func turn(_ work: HandoffWork, text: String) async -> TurnResult {
        let stall = configuration.stallTimeout
        return await withTaskGroup(of: TurnResult?.self) { group in
            group.addTask {
                do throws(LettaClientError) {
                    let reply = try await self.letta.sendMessage(agentID: work.agent.id, text: text)
                    let cursor = reply.messages.last(where: { $0.id != nil })?.id
                    return .reply(text: reply.text, cursor: cursor, tokens: Int64(exactly: reply.usage.totalTokens))
                } catch {
                    if Task.isCancelled { return nil }
                    switch error.code {
                    case .connectionFailed: return .lettaDown(error)
                    default: return .agentFailed(error)
                    }
                }
            }
            group.addTask {
                try? await Task.sleep(for: stall)
                return Task.isCancelled ? nil : .stalled
            }
            group.addTask {
                try? await Task.sleep(for: .milliseconds(300))
                if !Task.isCancelled { await self.faults.reached(.duringTurn) }
                return nil
            }
            while let next = await group.next() {
                if let result = next {
                    group.cancelAll()
                    return result
                }
                if Task.isCancelled { break }
            }
            group.cancelAll()
            return .interrupted
        }
    }

    /// Progress and final checkpoints, the completed outcome, then Letta remembers the handoff as done.
    private func finish(_ work: HandoffWork, text: String, cursor: String?, tokens: Int64?) async -> WorkEnd {
        let checkpointID = cursor ?? "\(work.agent.id):after-turn"
        guard await checkpoint(work, id: checkpointID, type: .progress, purpose: "checkpoint-progress-\(checkpointID)")
        else { return .interrupted }
        guard await checkpoint(work, id: checkpointID, type: .final, purpose: "checkpoint-final") else {
            return .interrupted
        }
        let completed = TaskCompletedPayload(
            sessionID: work.agent.id, workflowID: work.handoff.workflowID, taskID: work.taskID,
            agentInstanceID: work.agent.id, finalCheckpointID: checkpointID, nextAction: "review", summary: text)
        guard
            await publishReliably(
                completed, id: DerivedEventID.outcome(of: work.handoffID), parent: work.acceptanceID, agent: work.agent)
        else { return .interrupted }
        logger.info("task completed", metadata: work.metadata)
        await faults.reached(.afterOutcome)
        // Best effort: if this fails, a redelivery finds the reply and republishes the same outcome id.
        _ = await updateTags(
            work.agent.id, adding: [Self.doneTag(work.handoffID)], removing: [Self.sentTag(work.handoffID)])
        return .finished
    }

    /// A stalled turn: task.blocked (retryable, the stalled reason), session.failed (stalled), into the DLQ.
    private func stalled(_ work: HandoffWork) async -> WorkEnd {
        let seconds = configuration.stallTimeout.components.seconds
        let reason = "stalled: no progress from the agent for \(seconds) s (LETTA_BRIDGE_STALL_SECONDS)"
        let blocked = TaskBlockedPayload(
            sessionID: work.agent.id, workflowID: work.handoff.workflowID, reason: reason, taskID: work.taskID,
            needs: ["a re-drive of the handoff (bb dlq redrive \(work.taskID))"], retryable: true)
        let outcomeID = DerivedEventID.outcome(of: work.handoffID)
        guard await publishReliably(blocked, id: outcomeID, parent: work.acceptanceID, agent: work.agent) else {
            return .interrupted
        }
        let failed = SessionFailedPayload(
            sessionID: work.agent.id, reason: reason, workflowID: work.handoff.workflowID, taskID: work.taskID,
            failure: .stalled, retryable: true)
        _ = await publishReliably(
            failed, id: DerivedEventID.event(of: work.handoffID, purpose: "session-failed"), parent: outcomeID,
            agent: work.agent)
        logger.warning("task stalled", metadata: work.metadata)
        _ = await updateTags(
            work.agent.id, adding: [Self.doneTag(work.handoffID)], removing: [Self.sentTag(work.handoffID)])
        return .deadLetter(code: "stalled", reason: reason)
    }

    /// Letta unreachable after the acceptance, beyond the attempts: blocked (retryable) and into the DLQ.
    private func lettaUnavailable(_ work: HandoffWork) async -> WorkEnd {
        let reason = "Letta unavailable after \(configuration.maxAttempts) attempts while the agent worked"
        let blocked = TaskBlockedPayload(
            sessionID: work.agent.id, workflowID: work.handoff.workflowID, reason: reason, taskID: work.taskID,
            needs: ["a reachable Letta server"], retryable: true)
        guard
            await publishReliably(
                blocked, id: DerivedEventID.outcome(of: work.handoffID), parent: work.acceptanceID, agent: work.agent)
        else { return .interrupted }
        return .deadLetter(code: "letta_unavailable", reason: reason)
    }

    private func checkpoint(_ work: HandoffWork, id: String, type: CheckpointType, purpose: String) async -> Bool {
        let payload = CheckpointSavedPayload(
            sessionID: work.agent.id, checkpointID: id, agentInstanceID: work.agent.id, checkpointType: type,
            summary: "Letta message cursor \(id)", workflowID: work.handoff.workflowID, taskID: work.taskID)
        return await publishReliably(
            payload, id: DerivedEventID.event(of: work.handoffID, purpose: purpose), parent: work.acceptanceID,
            agent: work.agent)
    }

    /// Adds and removes tags on the agent (read, modify, write), retrying while Letta is unavailable.
    private func updateTags(_ agentID: String, adding: [String], removing: [String] = []) async -> Bool {
        let result = await withLettaRetries("update tags") { () async throws(LettaClientError) -> Bool in
            let agent = try await self.letta.agent(id: agentID)
            var tags = agent.tags.filter { !removing.contains($0) }
            for tag in adding where !tags.contains(tag) { tags.append(tag) }
            guard tags != agent.tags else { return true }
            _ = try await self.letta.updateAgentTags(id: agentID, tags: tags)
            return true
        }
        if case .success = result { return true }
        return false
    }

    /// Tag that says the task of `handoff` was sent to the agent (its outcome not yet confirmed).
    package static func sentTag(_ handoff: UUID) -> String { "bloodbank-sent:\(BloodbankUUID.format(handoff))" }
    /// Tag that says the outcome of `handoff` is confirmed: Letta's memory of finished handoffs.
    package static func doneTag(_ handoff: UUID) -> String { "bloodbank-done:\(BloodbankUUID.format(handoff))" }
    /// Tag of the long-lived agent of a name (`per-name` mode).
    package static func nameTag(_ name: String) -> String { "bloodbank-agent:\(name)" }

    /// Dead-letter code and reason for a handoff whose agent could not be found or created.
    package static func lookupFailure(_ error: LettaClientError, attempts: Int) -> (code: String, reason: String) {
        if error.isRetryable {
            return ("letta_unavailable", "Letta unavailable after \(attempts) attempts: \(error.message)")
        }
        return ("letta_error", "Letta refused the agent: \(error.message)")
    }

    /// The agent for this handoff: the one tagged with the handoff id, or a new one (per-handoff mode), or the
    /// long-lived agent of `to_agent` with a new memory block for the task (per-name mode).
    private func agent(for handoff: HandoffRequestedPayload, handoffID: UUID) async throws(LettaClientError)
        -> LettaAgent
    {
        let tag = Self.handoffTagPrefix + BloodbankUUID.format(handoffID)
        if let existing = try await letta.listAgents(tags: [tag], matchAllTags: true).first {
            logger.info("found the agent of a redelivered handoff", metadata: ["agent": "\(existing.id)"])
            return existing
        }
        if configuration.agentMode == .perName { return try await namedAgent(for: handoff, handoffID: handoffID) }
        let created = try await letta.createAgent(
            name: handoff.toAgent,
            tags: [tag, "bloodbank-workflow:\(BloodbankUUID.format(handoff.workflowID))", "candystore"],
            memoryBlocks: Self.memoryBlocks(for: handoff, handoffID: handoffID),
            description: "Candystore handoff from \(handoff.fromAgent)")
        // Another bridge process may have created one for the same handoff at the same moment: all of them pick
        // the oldest, and the others delete their own.
        let all = try await letta.listAgents(tags: [tag], matchAllTags: true)
        guard let winner = Self.oldest(all), winner.id != created.id else { return created }
        logger.notice(
            "another bridge created this handoff's agent first; using it",
            metadata: ["agent": "\(winner.id)", "deleted": "\(created.id)"])
        try? await letta.deleteAgent(id: created.id)
        return winner
    }

    /// The oldest agent tagged `nameTag`, created when there is none.
    private func findOrCreateNamedAgent(_ handoff: HandoffRequestedPayload, nameTag: String)
        async throws(LettaClientError) -> LettaAgent
    {
        if let existing = Self.oldest(try await letta.listAgents(tags: [nameTag], matchAllTags: true)) {
            return existing
        }
        let created = try await letta.createAgent(
            name: handoff.toAgent, tags: [nameTag, "candystore"],
            description: "Candystore long-lived agent \(handoff.toAgent) (one memory block per task)")
        let all = try await letta.listAgents(tags: [nameTag], matchAllTags: true)
        let agent = Self.oldest(all) ?? created
        if agent.id != created.id { try? await letta.deleteAgent(id: created.id) }
        return agent
    }

    /// Per-name mode: the oldest agent tagged with `to_agent`'s name (created when there is none), given this
    /// task's memory block and the handoff's tag.
    private func namedAgent(for handoff: HandoffRequestedPayload, handoffID: UUID) async throws(LettaClientError)
        -> LettaAgent
    {
        let nameTag = Self.nameTag(handoff.toAgent)
        // Handoffs to one name run concurrently in this process: find-or-create one at a time, so two of them
        // never both create the agent (another process racing is settled by "the oldest wins" below).
        let nameKey = "name:" + nameTag
        await agentLock.lock(nameKey)
        let located: Result<LettaAgent, LettaClientError>
        do throws(LettaClientError) {
            located = .success(try await findOrCreateNamedAgent(handoff, nameTag: nameTag))
        } catch {
            located = .failure(error)
        }
        await agentLock.unlock(nameKey)
        var agent = try located.get()
        let lockedID = agent.id
        await agentLock.lock(lockedID)
        defer { Task { await self.agentLock.unlock(lockedID) } }
        let label = "task_\(BloodbankUUID.format(handoffID).prefix(8))"
        let blocks = try await letta.memoryBlocks(agentID: agent.id)
        if !blocks.contains(where: { $0.label == label }) {
            let text = Self.memoryBlocks(for: handoff, handoffID: handoffID).map { "\($0.label):\n\($0.value)" }
                .joined(separator: "\n\n")
            _ = try await letta.attachNewBlock(
                agentID: agent.id, block: LettaMemoryBlockCreate(label: label, value: text, limit: 50_000))
        }
        let tag = Self.handoffTagPrefix + BloodbankUUID.format(handoffID)
        let current = try await letta.agent(id: agent.id)
        if !current.tags.contains(tag) {
            agent = try await letta.updateAgentTags(id: agent.id, tags: current.tags + [tag])
        }
        return agent
    }

    /// The agent created first (ties broken by id), the one every racing bridge keeps.
    package static func oldest(_ agents: [LettaAgent]) -> LettaAgent? {
        agents.min { ($0.createdAt ?? "", $0.id) < ($1.createdAt ?? "", $1.id) }
    }

    /// Characters the task and the context memory blocks hold (Letta refuses a longer value).
    package static let blockLimit = 20_000

    /// Why the handoff's task or context does not fit its memory block, or `nil` when both fit.
    package static func oversizedBlock(of handoff: HandoffRequestedPayload) -> String? {
        let blocks = memoryBlocks(for: handoff, handoffID: UUID())
        for block in blocks where block.value.unicodeScalars.count > (block.limit ?? Int.max) {
            return
                "the handoff's \(block.label) is \(block.value.unicodeScalars.count) characters; its agent memory block holds "
                + "\(block.limit ?? 0) (shorten it, or put the material somewhere the agent can read and refer to it)"
        }
        return nil
    }

    /// Memory blocks: the task, its context (JSON) and the workflow it belongs to.
    static func memoryBlocks(for handoff: HandoffRequestedPayload, handoffID: UUID) -> [LettaMemoryBlockCreate] {
        let context = String(decoding: JSONValue.object(handoff.context).prettyEncodedBytes(), as: UTF8.self)
        var workflow = [
            "workflow_id: \(BloodbankUUID.format(handoff.workflowID))",
            "handoff_event_id: \(BloodbankUUID.format(handoffID))",
            "from_agent: \(handoff.fromAgent)",
            "to_agent: \(handoff.toAgent)",
        ]
        if let priority = handoff.priority { workflow.append("priority: \(priority.encodedString())") }
        if let deadline = handoff.deadline { workflow.append("deadline: \(deadline)") }
        return [
            LettaMemoryBlockCreate(
                label: "task", value: handoff.taskText ?? "(no task text given)", limit: blockLimit),
            LettaMemoryBlockCreate(label: "context", value: context, limit: blockLimit),
            LettaMemoryBlockCreate(label: "workflow", value: workflow.joined(separator: "\n"), limit: 5_000),
        ]
    }

    /// The first message the agent receives (with the task's marker, so its turn can be found again).
    static func taskMessage(for handoff: HandoffRequestedPayload, marker: String) -> String {
        "\(marker) You have been handed a task by \(handoff.fromAgent). Task: "
            + (handoff.taskText ?? "see your task memory block")
    }

    /// The message that resumes a recovered task whose turn was lost.
    static func resumeMessage(for handoff: HandoffRequestedPayload, marker: String, from checkpoint: String) -> String {
        "\(marker) Resume your task from checkpoint \(checkpoint) (your memory and our conversation so far are "
            + "intact; the previous turn was lost). Task: \(handoff.taskText ?? "see your task memory block")"
    }

    // MARK: - Retries and publishing

    private func withLettaRetries<T: Sendable>(
        _ what: String, _ body: @Sendable () async throws(LettaClientError) -> T
    ) async -> Result<T, LettaClientError> {
        var attempt = 0
        while true {
            do {
                return .success(try await body())
            } catch {
                attempt += 1
                guard error.isRetryable, attempt < configuration.maxAttempts else { return .failure(error) }
                let delay = configuration.retry.delay(attempt: attempt - 1)
                logger.warning(
                    "Letta call failed; retrying",
                    metadata: ["call": "\(what)", "attempt": "\(attempt)", "delay": "\(delay)", "error": "\(error)"])
                try? await Task.sleep(for: delay)
                if Task.isCancelled { return .failure(error) }
            }
        }
    }

    /// Publishes with confirms, retrying broker failures; false when shutdown interrupted it (no ack then).
    private func publishReliably<Payload: BloodbankPayload>(
        _ payload: Payload, id: UUID, parent: UUID, agent: LettaAgent?
    ) async -> Bool {
        let context = agent.map { AgentContext(type: "letta", name: $0.name, instanceID: $0.id) }
        let envelope = EventEnvelope(
            payload: payload, correlationIDs: [parent], agentContext: context, source: publisherSource, eventID: id)
        var attempt = 0
        while !Task.isCancelled {
            do {
                try await publisher.publish(envelope)
                return true
            } catch {
                logger.warning(
                    "publishing \(Payload.eventType) failed; retrying", metadata: ["error": "\(error)"])
                try? await Task.sleep(for: configuration.retry.delay(attempt: attempt))
                attempt += 1
            }
        }
        return false
    }

    private var publisherSource: EventSource { publisher.source }
}
