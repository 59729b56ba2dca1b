public import AMQPClient
public import Bloodbank
public import BloodbankModel
import Foundation
public import LettaClient
public import Logging
import Retry
public import ServiceLifecycle

/// The Letta bridge: turns each `bmad.workflow.handoff.requested` into work for a real Letta agent.
///
/// For every handoff on `letta_handoff_queue`: get-or-create a Letta agent named after `to_agent` and tagged
/// with the handoff's event id (a redelivery finds the same agent, never a second one; copies of one handoff
/// are handled one after the other, and racing bridge processes keep the oldest agent), with the task, the
/// context and the workflow in its memory blocks; publish `agent.handoff.accepted` (parent: the handoff; a
/// deterministic event id, so a republish is a duplicate the store ignores) with confirms; acknowledge. Then
/// send the task to the agent (once per handoff in this process) and publish `agent.letta.task.completed` with
/// its reply, or `agent.letta.task.blocked` with the reason. Letta unavailable: retry with backoff, keeping the
/// message unacknowledged; after `maxAttempts` (or at once when Letta refuses the agent) publish
/// `agent.letta.task.blocked` and dead-letter the handoff to `letta_handoff_dlq`. A malformed handoff is
/// dead-lettered with the reason at once, and nothing is published.
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

        // 2. Accept: publish agent.handoff.accepted (deterministic id), then ack the handoff.
        let accepted = HandoffAcceptedPayload(
            workflowID: handoff.workflowID, agentType: "letta", sessionID: agent.id, acceptedFrom: handoff.fromAgent,
            toAgent: handoff.toAgent)
        let acceptanceID = DerivedEventID.acceptance(of: handoffID)
        guard await publishReliably(accepted, id: acceptanceID, parent: handoffID, agent: agent) else { return }
        consumer.acknowledge(delivery)
        logger.info("handoff accepted", metadata: metadata)

        // 3. Start the work: send the task, report the outcome (once per handoff in this process).
        guard configuration.startsWork else { return }
        guard await !gate.isFinished(handoffID) else {
            logger.info("task of this handoff already done; not sending it again", metadata: metadata)
            return
        }
        let outcomeID = DerivedEventID.outcome(of: handoffID)
        let published: Bool
        do {
            let reply = try await letta.sendMessage(agentID: agent.id, text: Self.taskMessage(for: handoff))
            let completed = TaskCompletedPayload(
                sessionID: agent.id, workflowID: handoff.workflowID, taskID: BloodbankUUID.format(handoffID),
                agentInstanceID: agent.id, nextAction: "review", summary: reply.text)
            published = await publishReliably(completed, id: outcomeID, parent: acceptanceID, agent: agent)
            logger.info("task completed", metadata: metadata)
        } catch {
            if Task.isCancelled {
                logger.notice("shutdown while the agent worked; no outcome published", metadata: metadata)
                return
            }
            let blocked = TaskBlockedPayload(
                sessionID: agent.id, workflowID: handoff.workflowID,
                reason: limits.reason("the agent failed: \(error.message)"),
                taskID: BloodbankUUID.format(handoffID), retryable: error.isRetryable)
            published = await publishReliably(blocked, id: outcomeID, parent: acceptanceID, agent: agent)
            logger.warning("task blocked", metadata: metadata.merging(["error": "\(error)"]) { $1 })
        }
        if published { await gate.markFinished(handoffID) }
    }

    /// Dead-letter code and reason for a handoff whose agent could not be found or created.
    package static func lookupFailure(_ error: LettaClientError, attempts: Int) -> (code: String, reason: String) {
        if error.isRetryable {
            return ("letta_unavailable", "Letta unavailable after \(attempts) attempts: \(error.message)")
        }
        return ("letta_error", "Letta refused the agent: \(error.message)")
    }

    /// The agent for this handoff: the one tagged with the handoff id, or a new one.
    private func agent(for handoff: HandoffRequestedPayload, handoffID: UUID) async throws(LettaClientError)
        -> LettaAgent
    {
        let tag = Self.handoffTagPrefix + BloodbankUUID.format(handoffID)
        if let existing = try await letta.listAgents(tags: [tag], matchAllTags: true).first {
            logger.info("found the agent of a redelivered handoff", metadata: ["agent": "\(existing.id)"])
            return existing
        }
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

    /// The first message the agent receives.
    static func taskMessage(for handoff: HandoffRequestedPayload) -> String {
        "You have been handed a task by \(handoff.fromAgent). Task: \(handoff.taskText ?? "see your task memory block")"
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
