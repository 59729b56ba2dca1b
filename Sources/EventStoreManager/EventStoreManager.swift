import AMQPClient
import AsyncAlgorithms
import Bloodbank
import BloodbankModel
import Foundation
import Logging
import NIOCore
import ServiceLifecycle

/// The Event Store Manager: consumes every Bloodbank event, persists each exactly once, and announces it.
///
/// Per micro-batch (up to `batchSize` messages or `batchMaxWait`): validate each message; dead-letter the
/// invalid ones (a copy with `x-candystore-error`/`x-candystore-reason` headers, confirmed, to the DLX) without
/// holding up the rest; write the valid ones in one transaction (idempotent insert + projections); publish
/// the stored events to Redis; then acknowledge the batch (`multiple`). Database and broker failures are
/// transient: the batch is retried with backoff and no new deliveries are taken meanwhile (the broker keeps
/// them, bounded by `prefetch`). A Redis failure is logged and counted, never blocks: the store is the
/// source of truth and stream readers catch up from it by position.
public final class EventStoreManager: Service, Sendable {
    private let configuration: ManagerConfiguration
    private let amqp: AMQPClient
    private let store: any EventBatchStore
    private let stream: (any EventStreamPublisher)?
    private let topology: BloodbankTopology
    private let validator: EventValidator
    private let metrics: ManagerMetrics
    private let logger: Logger
    private let state = ManagerState()

    /// Creates a manager; `run()` (as a service in a `ServiceGroup` with the AMQP client) does the work.
    public init(
        configuration: ManagerConfiguration,
        amqp: AMQPClient,
        store: any EventBatchStore,
        stream: (any EventStreamPublisher)?,
        topology: BloodbankTopology,
        validator: EventValidator = EventValidator(),
        metrics: ManagerMetrics = ManagerMetrics(),
        logger: Logger = Logger(label: "candystore.manager")
    ) {
        self.configuration = configuration
        self.amqp = amqp
        self.store = store
        self.stream = stream
        self.topology = topology
        self.validator = validator
        self.metrics = metrics
        self.logger = logger
    }

    /// Counters of what the manager did so far (for `/health` and tests).
    public var statistics: ManagerStatistics { state.statistics }

    /// Declares the queue (and its DLQ), consumes until graceful shutdown, then finishes the batch in flight.
    public func run() async throws {
        try await topology.declare(queueNamed: configuration.queue, on: amqp)
        if topology.queue(named: configuration.deadLetterRoutingKey) != nil {
            try await topology.declare(queueNamed: configuration.deadLetterRoutingKey, on: amqp)
        }
        logger.info(
            "consuming",
            metadata: [
                "queue": "\(configuration.queue)", "prefetch": "\(configuration.prefetch)",
                "batch_size": "\(configuration.batchSize)", "batch_max_wait": "\(configuration.batchMaxWait)",
            ])
        state.setRunning(true)
        defer { state.setRunning(false) }
        try await amqp.withConsumer(queue: configuration.queue, prefetchCount: configuration.prefetch) { consumer in
            // Pump: moves deliveries into a stream that graceful shutdown can finish, so the batch loop below ends
            // after the batch in flight instead of being cancelled mid-write. The buffer is bounded by the
            // prefetch (the broker never has more than `prefetch` unacknowledged deliveries out), and it lets the
            // next batch fill up at once with whatever arrived while the previous one was being written.
            let (deliveries, continuation) = AsyncStream<Received>.makeStream(bufferingPolicy: .unbounded)
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
                    do {
                        for try await delivery in consumer {
                            continuation.yield(Received(delivery: delivery, at: .now))
                        }
                        continuation.finish()
                    } catch {
                        continuation.finish()
                        if !(error is CancellationError) { throw error }
                    }
                }
                group.addTask {
                    try await self.lagLoop()
                }
                await withGracefulShutdownHandler {
                    let batches = deliveries.chunks(
                        ofCount: configuration.batchSize, or: .repeating(every: configuration.batchMaxWait))
                    for await batch in batches {
                        await self.process(batch)
                    }
                } onGracefulShutdown: {
                    self.logger.info("graceful shutdown: finishing the batch in flight")
                    self.state.beginShutdown()
                    continuation.finish()
                }
                group.cancelAll()
                do {
                    while try await group.next() != nil {}
                } catch is CancellationError {}
            }
        }
        logger.info("stopped", metadata: ["stored": "\(state.statistics.stored)"])
    }

    // MARK: - One batch

    /// A delivery and when it arrived (the start of its receive→commit latency, batching wait included).
    struct Received: Sendable {
        let delivery: AMQPDelivery
        let at: ContinuousClock.Instant
    }

    func process(_ received: [Received]) async {
        let batch = received.map(\.delivery)
        var valid: [ValidatedEvent] = []
        var deliveryOfEvent: [UUID: Int] = [:]
        var poison: [(index: Int, code: String, reason: String)] = []
        for (index, delivery) in batch.enumerated() {
            switch validator.result(bytes: delivery.body.readableBytesView) {
            case .success(let event):
                logger.info(
                    "event",
                    metadata: [
                        "id": "\(BloodbankUUID.format(event.envelope.eventID))",
                        "type": "\(event.envelope.eventType)", "bytes": "\(delivery.body.readableBytes)",
                        "redelivered": "\(delivery.redelivered)",
                    ])
                if deliveryOfEvent[event.envelope.eventID] == nil {
                    deliveryOfEvent[event.envelope.eventID] = index
                }
                valid.append(event)
            case .failure(let error):
                logger.warning(
                    "invalid message",
                    metadata: [
                        "code": "\(error.code)", "reason": "\(error.reason)",
                        "message_id": "\(delivery.properties.messageID ?? "-")",
                        "routing_key": "\(delivery.routingKey)",
                    ])
                poison.append((index, "\(error.code)", error.reason))
            }
        }

        for item in poison {
            guard await deadLetter(batch[item.index], code: item.code, reason: item.reason) else { return }
        }

        if !valid.isEmpty {
            guard let outcome = await storeWithRetry(valid) else { return }
            let committed = ContinuousClock.now
            for rejected in outcome.rejected {
                if let index = deliveryOfEvent[rejected.eventID] {
                    guard await deadLetter(batch[index], code: "unstorable", reason: rejected.reason) else { return }
                }
            }
            record(outcome, batchSize: batch.count, committed: committed) { id in
                deliveryOfEvent[id].map { received[$0].at }
            }
            await announce(outcome.stored)
        } else {
            metrics.batchSize.record(batch.count)
        }
        acknowledge(batch)
    }

    /// Writes the batch, retrying transient failures with backoff until it commits or shutdown abandons it.
    private func storeWithRetry(_ events: [ValidatedEvent]) async -> StoredBatch? {
        var attempt = 0
        while true {
            do {
                let outcome = try await store.store(events)
                if attempt > 0 { logger.notice("database write succeeded after \(attempt) retries") }
                return outcome
            } catch {
                let transient = store.isTransient(error)
                metrics.storeRetries.increment()
                state.recordStoreFailure("\(error)")
                if state.isShuttingDown && attempt >= 3 {
                    logger.error(
                        "giving up on the batch at shutdown; it stays unacknowledged and will be redelivered",
                        metadata: ["error": "\(error)"])
                    return nil
                }
                let delay = configuration.retryDelay(attempt: attempt)
                logger.warning(
                    transient
                        ? "database unavailable; retrying the batch" : "database write failed; retrying the batch",
                    metadata: ["error": "\(error)", "attempt": "\(attempt + 1)", "delay": "\(delay)"])
                attempt += 1
                try? await Task.sleep(for: delay)
            }
        }
    }

    /// Publishes a copy of `delivery` with the reason headers to the DLX; true once the broker confirmed it.
    private func deadLetter(_ delivery: AMQPDelivery, code: String, reason: String) async -> Bool {
        var attempt = 0
        while true {
            do {
                try await DeadLetter.publish(
                    delivery, code: code, reason: reason, exchange: configuration.deadLetterExchange,
                    routingKey: configuration.deadLetterRoutingKey, on: amqp)
                metrics.deadLettered(reason: code).increment()
                state.recordDeadLetter()
                return true
            } catch {
                logger.warning("dead-letter publish failed; retrying", metadata: ["error": "\(error)"])
            }
            if state.isShuttingDown && attempt >= 3 { return false }
            try? await Task.sleep(for: configuration.retryDelay(attempt: attempt))
            attempt += 1
        }
    }

    private func record(
        _ outcome: StoredBatch, batchSize: Int, committed: ContinuousClock.Instant,
        arrival: (UUID) -> ContinuousClock.Instant?
    ) {
        metrics.batchSize.record(batchSize)
        let now = EventTimestamp.now()
        for event in outcome.stored {
            metrics.ingested(eventType: event.eventType).increment()
            if let arrived = arrival(event.eventID) {
                metrics.receiveToCommit.recordNanoseconds(Self.nanoseconds(committed - arrived))
            }
            let age = max(0, now.microsecondsSinceEpoch - event.timestamp.microsecondsSinceEpoch)
            metrics.eventToCommit.recordNanoseconds(age * 1000)
        }
        if !outcome.duplicates.isEmpty {
            metrics.duplicates.increment(by: outcome.duplicates.count)
            logger.info("duplicates acknowledged", metadata: ["count": "\(outcome.duplicates.count)"])
        }
        for conflict in outcome.conflicts {
            logger.warning(
                "conflict: event id already stored with a different body; the first body stays",
                metadata: ["id": "\(BloodbankUUID.format(conflict))"])
        }
        if !outcome.conflicts.isEmpty { metrics.conflicts.increment(by: outcome.conflicts.count) }
        if outcome.projectionFailures > 0 {
            metrics.projectionFailures.increment(by: outcome.projectionFailures)
        }
        if let last = outcome.stored.last { metrics.lastPosition.record(last.position) }
        state.recordBatch(outcome)
    }

    private func announce(_ stored: [StoredBatch.Event]) async {
        guard let stream, !stored.isEmpty else { return }
        do {
            try await stream.publish(channel: configuration.streamChannel, messages: stored.map(\.streamJSON))
        } catch {
            metrics.streamFailures.increment()
            logger.warning(
                "live stream publish failed; events are stored and readers catch up from the store",
                metadata: ["error": "\(error)", "events": "\(stored.count)"])
        }
    }

    /// Acknowledges every delivery of the batch: one `multiple` ack per channel, at its highest tag.
    private func acknowledge(_ batch: [AMQPDelivery]) {
        var highest: [ObjectIdentifier: AMQPDelivery] = [:]
        for delivery in batch {
            let key = ObjectIdentifier(delivery.channel)
            if let current = highest[key], current.deliveryTag >= delivery.deliveryTag { continue }
            highest[key] = delivery
        }
        for delivery in highest.values {
            do {
                try delivery.channel.basicAck(deliveryTag: delivery.deliveryTag, multiple: true)
            } catch {
                // Stale (the connection died): the broker redelivers and the store recognises the duplicates.
                logger.notice(
                    "acknowledgement not delivered; the broker will redeliver", metadata: ["error": "\(error)"])
            }
        }
    }

    /// Every few seconds, samples how many messages wait in the queue (`candystore_consumer_lag_messages`).
    private func lagLoop() async throws {
        while !Task.isCancelled {
            if let ok = try? await amqp.queueDeclarePassive(configuration.queue) {
                metrics.consumerLag.record(Int(ok.messageCount))
                state.recordLag(Int(ok.messageCount))
            }
            try await Task.sleep(for: .seconds(5))
        }
    }

    private static func nanoseconds(_ duration: Duration) -> Int64 {
        let (seconds, attoseconds) = duration.components
        return seconds * 1_000_000_000 + attoseconds / 1_000_000_000
    }
}
