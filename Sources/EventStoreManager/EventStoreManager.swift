public import AMQPClient
public import Bloodbank
public import BloodbankModel
import CoreMetrics
public import EventStore
import Foundation
public import Logging
import NIOCore
public import RedisClient
import Retry
public import ServiceLifecycle

/// The Event Store Manager: consumes every Bloodbank event, persists each exactly once, and announces it.
///
/// Per micro-batch (up to `batchSize` messages or `batchMaxWait`, from the shared ``BusConsumer`` pipeline) a
/// ``BatchPlan`` decides and the manager performs: dead-letter the invalid messages (a copy with
/// `x-candystore-error`/`x-candystore-reason` headers, confirmed, to the DLX) without holding up the rest;
/// write the valid ones in one transaction (idempotent insert + projections); dead-letter rows the database
/// refused; publish the stored events to Redis; then acknowledge the batch (`multiple`). Database and broker
/// failures are transient: the batch is retried with backoff and no new deliveries are taken meanwhile (the
/// broker keeps them, bounded by `prefetch`). A Redis failure is logged and counted, never blocks: the store
/// is the source of truth and stream readers catch up from it by position. Each event is serialised once
/// (``EncodedEvent``): the insert, the idempotency comparison and the stream message use the same bytes.
public final class EventStoreManager: Service, Sendable {
    private let configuration: ManagerConfiguration
    private let amqp: AMQPClient
    private let writer: EventWriter
    private let stream: RedisClient?
    private let consumer: BusConsumer
    private let metrics: ManagerMetrics
    private let logger: Logger
    private let state = ManagerState()

    /// Creates a manager; `run()` (as a service in a `ServiceGroup` with the AMQP, PostgreSQL and Redis
    /// clients) does the work. `stream` nil: nothing is announced.
    public init(
        configuration: ManagerConfiguration,
        amqp: AMQPClient,
        writer: EventWriter,
        stream: RedisClient?,
        topology: BloodbankTopology,
        validator: EventValidator = EventValidator(),
        metrics: ManagerMetrics = ManagerMetrics(),
        logger: Logger = Logger(label: "candystore.manager")
    ) {
        self.configuration = configuration
        self.amqp = amqp
        self.writer = writer
        self.stream = stream
        self.metrics = metrics
        self.logger = logger
        self.consumer = BusConsumer(
            configuration: .init(
                queue: configuration.queue, deadLetterExchange: configuration.deadLetterExchange,
                deadLetterRoutingKey: configuration.deadLetterRoutingKey, prefetch: configuration.prefetch,
                retry: configuration.retry),
            amqp: amqp, topology: topology, validator: validator, logger: logger)
    }

    /// Counters of what the manager did so far (for `/health` and tests).
    public var statistics: ManagerStatistics { state.statistics }

    /// Declares the queue (and its DLQ), consumes until graceful shutdown, then finishes the batch in flight.
    public func run() async throws {
        logger.info(
            "batching",
            metadata: [
                "batch_size": "\(configuration.batchSize)", "batch_max_wait": "\(configuration.batchMaxWait)",
            ])
        defer { state.setRunning(false) }
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await self.lagLoop() }
            try await consumer.consumeBatches(
                maxCount: configuration.batchSize, maxWait: configuration.batchMaxWait,
                whenDeclared: { self.state.setRunning(true) }
            ) { batch in
                await self.process(batch)
            }
            group.cancelAll()
        }
        logger.info("stopped", metadata: ["stored": "\(state.statistics.stored)"])
    }

    // MARK: - One batch

    /// Performs the plan of one batch.
    func process(_ batch: [BusMessage]) async {
        var encoded: [Int: EncodedEvent] = [:]
        let inputs = batch.enumerated().map { index, message -> BatchPlan.Input in
            switch message.decoded {
            case .success(let event):
                logger.info(
                    "event",
                    metadata: [
                        "id": "\(BloodbankUUID.format(event.envelope.eventID))",
                        "type": "\(event.envelope.eventType)", "bytes": "\(message.delivery.body.readableBytes)",
                        "redelivered": "\(message.delivery.redelivered)",
                    ])
                encoded[index] = EncodedEvent(event)
                return .valid(eventID: event.envelope.eventID)
            case .failure(let error):
                consumer.logInvalid(message, error)
                return .invalid(code: "\(error.code)", reason: error.reason)
            }
        }
        var plan = BatchPlan(inputs)
        var action = plan.start()
        while true {
            switch action {
            case .deadLetter(let index, let code, let reason):
                guard await consumer.deadLetter(batch[index].delivery, code: code, reason: reason) else {
                    action = plan.gaveUp()
                    continue
                }
                metrics.deadLettered(reason: code).increment()
                state.recordDeadLetter()
                action = plan.deadLettered()
            case .store(let indices):
                guard let outcome = await storeWithRetry(indices.compactMap { encoded[$0] }) else {
                    action = plan.gaveUp()
                    continue
                }
                record(outcome, batch: batch, committed: .now, encoded: encoded)
                action = plan.stored(outcome)
            case .announce(let announcements):
                await announce(announcements.compactMap { encoded[$0.index]?.storedJSON(position: $0.position) })
                action = plan.announced()
            case .acknowledge:
                metrics.batchSize.record(batch.count)
                consumer.acknowledge(batch.map(\.delivery))
                return
            case .abandon:
                return
            }
        }
    }

    /// Writes the batch, retrying failures with backoff until it commits or shutdown abandons it.
    private func storeWithRetry(_ events: [EncodedEvent]) async -> WriteOutcome? {
        var attempt = 0
        while true {
            do {
                let outcome = try await writer.write(encoded: events)
                if attempt > 0 { logger.notice("database write succeeded after \(attempt) retries") }
                return outcome
            } catch {
                let transient = (error as? EventStoreError)?.isTransient ?? false
                metrics.storeRetries.increment()
                state.recordStoreFailure("\(error)")
                attempt += 1
                if BusConsumer.givesUp(
                    afterAttempts: attempt, shuttingDown: consumer.isShuttingDown, cancelled: Task.isCancelled)
                {
                    logger.error(
                        "giving up on the batch at shutdown; it stays unacknowledged and will be redelivered",
                        metadata: ["error": "\(error)"])
                    return nil
                }
                let delay = configuration.retry.delay(attempt: attempt - 1)
                logger.warning(
                    transient
                        ? "database unavailable; retrying the batch" : "database write failed; retrying the batch",
                    metadata: ["error": "\(error)", "attempt": "\(attempt)", "delay": "\(delay)"])
                try? await Task.sleep(for: delay)
            }
        }
    }

    private func record(
        _ outcome: WriteOutcome, batch: [BusMessage], committed: ContinuousClock.Instant,
        encoded: [Int: EncodedEvent]
    ) {
        var arrival: [UUID: ContinuousClock.Instant] = [:]
        for (index, message) in batch.enumerated() {
            if let id = encoded[index]?.envelope.eventID, arrival[id] == nil { arrival[id] = message.receivedAt }
        }
        let now = EventTimestamp.now()
        for event in outcome.stored {
            metrics.ingested(eventType: event.envelope.eventType).increment()
            if let arrived = arrival[event.envelope.eventID] {
                metrics.receiveToCommit.recordNanoseconds(Self.nanoseconds(committed - arrived))
            }
            let age = max(0, now.microsecondsSinceEpoch - event.envelope.timestamp.microsecondsSinceEpoch)
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

    /// Publishes the stored-event JSON messages, in order, in one pipelined Redis batch.
    private func announce(_ messages: [[UInt8]]) async {
        guard let stream, !messages.isEmpty else { return }
        do {
            _ = try await stream.publish(
                channel: configuration.streamChannel, messages: messages.map { RESPArgument(ByteBuffer(bytes: $0)) })
        } catch {
            metrics.streamFailures.increment()
            logger.warning(
                "live stream publish failed; events are stored and readers catch up from the store",
                metadata: ["error": "\(error)", "events": "\(messages.count)"])
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
