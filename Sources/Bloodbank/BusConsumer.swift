public import AMQPClient
import AsyncAlgorithms
public import BloodbankModel
public import Logging
import NIOConcurrencyHelpers
import NIOCore
public import Retry
import ServiceLifecycle

/// One delivery as the consumer pipeline hands it on: decoded and validated once, with its arrival time.
public struct BusMessage: Sendable {
    /// The delivery (body, properties, channel and tag for the acknowledgement).
    public let delivery: AMQPDelivery
    /// When it arrived (the start of its receive→commit latency, batching wait included).
    public let receivedAt: ContinuousClock.Instant
    /// The validated event, or why the body is not a valid Bloodbank event (the dead-letter code and reason).
    public let decoded: Result<ValidatedEvent, BloodbankModelError>

    /// Decodes `delivery` with `validator`.
    public init(
        delivery: AMQPDelivery, receivedAt: ContinuousClock.Instant = .now, validator: EventValidator
    ) {
        self.delivery = delivery
        self.receivedAt = receivedAt
        self.decoded = validator.result(bytes: delivery.body.readableBytesView)
    }
}

/// The bus-consumer pipeline the manager and the Letta bridge share: consume → decode/validate → dead-letter
/// with reason → handle → acknowledge, and graceful shutdown.
///
/// The pipeline owns the queue declaration, the consumer (prefetch), decoding, the dead-letter copy (reason
/// headers, confirmed, retried with ``Configuration/retry``), the acknowledgements and shutdown. The service
/// decides: the manager hands each micro-batch to a pure plan (``consumeBatches(maxCount:maxWait:_:)``), the
/// bridge handles single deliveries concurrently (``consumeEach(_:)``). Nothing is ever acknowledged before
/// its dead-letter copy is confirmed.
public final class BusConsumer: Sendable {
    /// Where to consume from and where dead letters go.
    public struct Configuration: Sendable {
        /// Queue to consume.
        public var queue: String
        /// Exchange dead-lettered copies are published to.
        public var deadLetterExchange: String
        /// Routing key of dead-lettered copies (the DLQ's binding key, also its name in the topology).
        public var deadLetterRoutingKey: String
        /// Unacknowledged deliveries the broker may push ahead (`basic.qos`).
        public var prefetch: UInt16
        /// Backoff between dead-letter publish attempts.
        public var retry: RetryPolicy

        /// Creates a configuration.
        public init(
            queue: String, deadLetterExchange: String, deadLetterRoutingKey: String, prefetch: UInt16,
            retry: RetryPolicy
        ) {
            self.queue = queue
            self.deadLetterExchange = deadLetterExchange
            self.deadLetterRoutingKey = deadLetterRoutingKey
            self.prefetch = prefetch
            self.retry = retry
        }
    }

    /// Retries a failed publish or write gets once shutdown began, before it gives up (the message then stays
    /// unacknowledged and is redelivered).
    public static let retriesAtShutdown = 3

    private let configuration: Configuration
    private let amqp: AMQPClient
    private let topology: BloodbankTopology
    private let validator: EventValidator
    private let logger: Logger
    private let shuttingDown = NIOLockedValueBox(false)

    /// Creates a pipeline for `configuration.queue` on `amqp` (whose `run()` runs beside it).
    public init(
        configuration: Configuration, amqp: AMQPClient, topology: BloodbankTopology,
        validator: EventValidator = EventValidator(), logger: Logger
    ) {
        self.configuration = configuration
        self.amqp = amqp
        self.topology = topology
        self.validator = validator
        self.logger = logger
    }

    /// Whether graceful shutdown has begun (retry loops then give up sooner).
    public var isShuttingDown: Bool { shuttingDown.withLockedValue { $0 } }

    // MARK: - Consuming

    /// Consumes in micro-batches of up to `maxCount` deliveries or `maxWait`, one batch at a time, until
    /// graceful shutdown; then stops taking deliveries and returns after the batch in flight.
    ///
    /// `handle` gets every delivery of the batch decoded (valid or not) and settles them all (dead-letter,
    /// acknowledge) or leaves them unacknowledged for redelivery. `whenDeclared` runs once the queues exist.
    public func consumeBatches(
        maxCount: Int, maxWait: Duration, whenDeclared: @Sendable () -> Void = {},
        _ handle: @escaping @Sendable ([BusMessage]) async -> Void
    ) async throws {
        try await declare()
        whenDeclared()
        try await amqp.withConsumer(queue: configuration.queue, prefetchCount: configuration.prefetch) { consumer in
            // Pump: moves deliveries into a stream that graceful shutdown can finish, so the batch loop below ends
            // after the batch in flight instead of being cancelled mid-write. The buffer is bounded by the
            // prefetch (the broker never has more than `prefetch` unacknowledged deliveries out), and it lets the
            // next batch fill up at once with whatever arrived while the previous one was being handled.
            let (deliveries, continuation) = AsyncStream<BusMessage>.makeStream(bufferingPolicy: .unbounded)
            let validator = self.validator
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
                    do {
                        for try await delivery in consumer {
                            continuation.yield(BusMessage(delivery: delivery, validator: validator))
                        }
                        continuation.finish()
                    } catch {
                        continuation.finish()
                        if !(error is CancellationError) { throw error }
                    }
                }
                await withGracefulShutdownHandler {
                    for await batch in deliveries.chunks(ofCount: max(1, maxCount), or: .repeating(every: maxWait)) {
                        await handle(batch)
                    }
                } onGracefulShutdown: {
                    self.logger.info("graceful shutdown: finishing the batch in flight")
                    self.beginShutdown()
                    continuation.finish()
                }
                group.cancelAll()
                do {
                    while try await group.next() != nil {}
                } catch is CancellationError {}
            }
        }
    }

    /// Consumes single deliveries, up to the prefetch at once, until graceful shutdown cancels the ones in
    /// flight (they stay unacknowledged and are redelivered).
    ///
    /// An invalid delivery is dead-lettered with its reason and acknowledged here; `handle` gets the valid
    /// ones and settles each (``acknowledge(_:)``, ``deadLetterAndAcknowledge(_:code:reason:)``), or leaves it
    /// unacknowledged.
    public func consumeEach(_ handle: @escaping @Sendable (BusMessage, ValidatedEvent) async -> Void) async throws {
        try await declare()
        try await amqp.withConsumer(queue: configuration.queue, prefetchCount: configuration.prefetch) { consumer in
            try await withGracefulShutdownHandler {
                try await cancelWhenGracefulShutdown {
                    // The broker never pushes more than `prefetch` unacknowledged deliveries, so at most that many
                    // handlers run at once.
                    try await withThrowingDiscardingTaskGroup { group in
                        for try await delivery in consumer {
                            let message = BusMessage(delivery: delivery, validator: self.validator)
                            group.addTask {
                                switch message.decoded {
                                case .success(let event):
                                    await handle(message, event)
                                case .failure(let error):
                                    self.logInvalid(message, error)
                                    await self.deadLetterAndAcknowledge(
                                        message.delivery, code: "\(error.code)", reason: error.reason)
                                }
                            }
                        }
                    }
                }
            } onGracefulShutdown: {
                self.beginShutdown()
            }
        }
    }

    /// Declares the queue and, when the topology knows it, its dead-letter queue.
    private func declare() async throws {
        try await topology.declare(queueNamed: configuration.queue, on: amqp)
        if topology.queue(named: configuration.deadLetterRoutingKey) != nil {
            try await topology.declare(queueNamed: configuration.deadLetterRoutingKey, on: amqp)
        }
        logger.info(
            "consuming", metadata: ["queue": "\(configuration.queue)", "prefetch": "\(configuration.prefetch)"])
    }

    private func beginShutdown() {
        shuttingDown.withLockedValue { $0 = true }
    }

    /// Logs why a delivery is not a valid event (before it is dead-lettered).
    public func logInvalid(_ message: BusMessage, _ error: BloodbankModelError) {
        logger.warning(
            "invalid message",
            metadata: [
                "code": "\(error.code)", "reason": "\(error.reason)",
                "message_id": "\(message.delivery.properties.messageID ?? "-")",
                "routing_key": "\(message.delivery.routingKey)",
            ])
    }

    // MARK: - Settling deliveries

    /// Publishes a copy of `delivery` with the reason headers to the dead-letter exchange, retrying with
    /// backoff; true once the broker confirmed it, false when cancellation or shutdown made it give up.
    public func deadLetter(_ delivery: AMQPDelivery, code: String, reason: String) async -> Bool {
        var attempt = 0
        while true {
            do {
                try await DeadLetter.publish(
                    delivery, code: code, reason: reason, exchange: configuration.deadLetterExchange,
                    routingKey: configuration.deadLetterRoutingKey, limits: validator.limits, on: amqp)
                return true
            } catch {
                logger.warning("dead-letter publish failed; retrying", metadata: ["error": "\(error)"])
            }
            attempt += 1
            if Self.givesUp(afterAttempts: attempt, shuttingDown: isShuttingDown, cancelled: Task.isCancelled) {
                return false
            }
            try? await Task.sleep(for: configuration.retry.delay(attempt: attempt - 1))
        }
    }

    /// Dead-letters `delivery` (confirmed), then acknowledges it; false (nothing acknowledged) when it gave up.
    @discardableResult
    public func deadLetterAndAcknowledge(_ delivery: AMQPDelivery, code: String, reason: String) async -> Bool {
        guard await deadLetter(delivery, code: code, reason: reason) else { return false }
        acknowledge(delivery)
        return true
    }

    /// Acknowledges one delivery; a stale channel (connection lost) is logged: the broker redelivers.
    public func acknowledge(_ delivery: AMQPDelivery) {
        do {
            try delivery.channel.basicAck(deliveryTag: delivery.deliveryTag, multiple: false)
        } catch {
            logger.notice("acknowledgement not delivered; the broker will redeliver", metadata: ["error": "\(error)"])
        }
    }

    /// Acknowledges every delivery of a batch: one `multiple` ack per channel, at its highest tag.
    public func acknowledge(_ deliveries: [AMQPDelivery]) {
        let highest = Self.highestTags(deliveries.map { (ObjectIdentifier($0.channel), $0.deliveryTag) })
        var channels: [ObjectIdentifier: AMQPChannel] = [:]
        for delivery in deliveries { channels[ObjectIdentifier(delivery.channel)] = delivery.channel }
        for (key, tag) in highest {
            do {
                try channels[key]?.basicAck(deliveryTag: tag, multiple: true)
            } catch {
                // Stale (the connection died): the broker redelivers and the store recognises the duplicates.
                logger.notice(
                    "acknowledgement not delivered; the broker will redeliver", metadata: ["error": "\(error)"])
            }
        }
    }

    // MARK: - Decisions (pure)

    /// The highest delivery tag per channel: one `multiple` ack at it settles every delivery of the batch on
    /// that channel (tags are per channel, and a reconnect brings a new channel).
    package static func highestTags<Channel: Hashable>(_ deliveries: [(Channel, UInt64)]) -> [Channel: UInt64] {
        var highest: [Channel: UInt64] = [:]
        for (channel, tag) in deliveries where highest[channel].map({ $0 < tag }) ?? true {
            highest[channel] = tag
        }
        return highest
    }

    /// Whether an operation that failed `attempts` times stops retrying: at once when cancelled, and after
    /// ``retriesAtShutdown`` retries once shutdown began; otherwise it retries until its server is back.
    public static func givesUp(afterAttempts attempts: Int, shuttingDown: Bool, cancelled: Bool) -> Bool {
        cancelled || (shuttingDown && attempts > retriesAtShutdown)
    }
}
