public import Logging
import NIOConcurrencyHelpers
public import NIOCore
public import NIOPosix
import Retry
public import ServiceLifecycle

/// A self-healing AMQP client: a `Service` whose `run()` keeps one connection open, reconnecting with
/// exponential backoff and jitter, re-declaring the topology declared through it and re-subscribing its
/// consumers on every new connection.
///
/// Delivery contract (at-least-once):
/// - `basicPublish` uses a confirm-mode channel and returns the broker's verdict. If the connection drops
///   while a publish awaits its confirm, it throws `AMQPError` `.publishUnconfirmed` (`isRecoverable`):
///   the broker may or may not have stored it, so the caller republishes (consumers may then see a
///   duplicate). It throws the same error when no confirm arrives within
///   `configuration.publishConfirmTimeout`. A publish issued while disconnected waits for the next
///   connection (cancel the task to give up). No publish is silently dropped and none waits forever.
/// - Deliveries received on a connection that has since died cannot be acknowledged (delivery tags are per
///   channel): `ack`/`nack`/`reject` throw `.staleDelivery` and the broker redelivers those messages
///   (with `redelivered == true`) to the re-subscribed consumer.
/// - On graceful shutdown or cancellation consumers are cancelled, then channels and the connection close
///   with reply 200.
public final class AMQPClient: Service, Sendable {
    /// The configuration every connection is opened with.
    public let configuration: AMQPConfiguration
    let eventLoopGroup: any EventLoopGroup
    let logger: Logger
    private let state: NIOLockedValueBox<State>
    private let events: AsyncStream<Event>
    private let eventSink: AsyncStream<Event>.Continuation

    private enum Event: Sendable {
        case connectionClosed(generation: Int, AMQPError?)
        case shutdown
    }

    private struct ConsumerRecord: Sendable {
        var queue: String
        var consumerTag: String
        var prefetchCount: UInt16
        var noAck: Bool
        var exclusive: Bool
        var arguments: AMQPTable
        var sink: AMQPConsumerSink
        var generation: Int = -1
        var channel: AMQPChannel?
    }

    private struct State: Sendable {
        var connection: AMQPConnection?
        var publishChannel: AMQPChannel?
        var reopeningPublishChannel = false
        var generation = 0
        var waiters: [Int: CheckedContinuation<Void, any Error>] = [:]
        var nextID = 0
        var shuttingDown = false
        var hasRun = false
        var topology = AMQPTopology()
        var consumers: [Int: ConsumerRecord] = [:]
    }

    /// Creates a client; nothing connects until `run()` is running.
    public init(
        configuration: AMQPConfiguration,
        eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        logger: Logger = Logger(label: "amqp.client")
    ) {
        self.configuration = configuration
        self.eventLoopGroup = eventLoopGroup
        self.logger = logger
        self.state = NIOLockedValueBox(State())
        (self.events, self.eventSink) = AsyncStream<Event>.makeStream()
    }

    /// Whether a connection is currently established.
    public var isConnected: Bool {
        self.state.withLockedValue { $0.connection?.isOpen ?? false }
    }

    /// How many connections this client has established so far (1 after the first connect).
    public var connectionGeneration: Int {
        self.state.withLockedValue { $0.generation }
    }

    // MARK: Service

    /// Connects and keeps reconnecting until the task is cancelled or graceful shutdown is triggered; then
    /// cancels consumers and closes channels and the connection with reply 200.
    public func run() async throws {
        let alreadyRan = self.state.withLockedValue { state in
            defer { state.hasRun = true }
            return state.hasRun
        }
        precondition(!alreadyRan, "AMQPClient.run() may only be called once")
        await withTaskCancellationOrGracefulShutdownHandler {
            await self.connectionLoop()
        } onCancelOrGracefulShutdown: {
            self.requestShutdown()
        }
    }

    private func requestShutdown() {
        let waiters = self.state.withLockedValue { state in
            state.shuttingDown = true
            defer { state.waiters.removeAll() }
            return Array(state.waiters.values)
        }
        for waiter in waiters {
            waiter.resume(throwing: AMQPError(code: .notConnected, message: "AMQP client is shutting down"))
        }
        self.eventSink.yield(.shutdown)
    }

    private var isShuttingDown: Bool { self.state.withLockedValue { $0.shuttingDown } }

    private func connectionLoop() async {
        var attempt = 0
        var iterator = self.events.makeAsyncIterator()
        outer: while !self.isShuttingDown {
            do {
                let connection = try await AMQPConnection.connect(
                    configuration: self.configuration,
                    eventLoopGroup: self.eventLoopGroup,
                    logger: self.logger
                )
                try await self.recover(on: connection)
                attempt = 0
                // Wait for this connection to end, or for shutdown.
                while true {
                    // A cancelled task ends the event stream at once (nil) instead of delivering `.shutdown`:
                    // close the connection all the same, or it would linger on the event loop.
                    guard let event = await iterator.next() else {
                        await self.gracefulClose(connection)
                        break outer
                    }
                    switch event {
                    case .shutdown:
                        await self.gracefulClose(connection)
                        break outer
                    case .connectionClosed(let closedGeneration, let error):
                        guard closedGeneration == self.connectionGeneration else { continue }
                        self.logger.warning(
                            "AMQP connection lost; reconnecting",
                            metadata: ["error": "\(error.map { "\($0)" } ?? "closed")"]
                        )
                        self.state.withLockedValue { state in
                            state.connection = nil
                            state.publishChannel = nil
                        }
                        continue outer
                    }
                }
            } catch {
                self.logger.warning(
                    "AMQP connect attempt failed",
                    metadata: ["attempt": "\(attempt + 1)", "error": "\(error)"]
                )
                attempt += 1
            }
            let delay = self.configuration.reconnect.delay(attempt: max(attempt - 1, 0))
            await self.sleepUnlessShuttingDown(delay)
        }
        self.finishAfterShutdown()
    }

    /// Declares the recorded topology, opens the publish channel, installs the connection and re-subscribes
    /// consumers.
    private func recover(on connection: AMQPConnection) async throws {
        do {
            let topology = self.state.withLockedValue { $0.topology }
            try await topology.replay(on: connection) { what, error in
                self.logger.error("re-declaring \(what) failed", metadata: ["error": "\(error)"])
            }
            let publishChannel = try await connection.openChannel()
            try await publishChannel.confirmSelect()
            let (generation, waiters) = self.state.withLockedValue { state in
                state.generation += 1
                state.connection = connection
                state.publishChannel = publishChannel
                defer { state.waiters.removeAll() }
                return (state.generation, Array(state.waiters.values))
            }
            let sink = self.eventSink
            connection.closedFuture.whenComplete { result in
                let error: AMQPError? =
                    switch result {
                    case .success(let error): error
                    case .failure(let error): error as? AMQPError
                    }
                sink.yield(.connectionClosed(generation: generation, error))
            }
            for waiter in waiters { waiter.resume() }
            self.logger.info("AMQP connection established", metadata: ["generation": "\(generation)"])
            let consumerIDs = self.state.withLockedValue { Array($0.consumers.keys) }
            for id in consumerIDs.sorted() {
                await self.subscribe(consumerID: id, connection: connection, generation: generation)
            }
        } catch {
            try? await connection.close()
            throw error
        }
    }

    private func subscribe(consumerID: Int, connection: AMQPConnection, generation: Int) async {
        let record: ConsumerRecord? = self.state.withLockedValue { state in
            guard var record = state.consumers[consumerID], record.generation != generation else { return nil }
            record.generation = generation
            state.consumers[consumerID] = record
            return record
        }
        guard let record else { return }
        do {
            let channel = try await connection.openChannel()
            if record.prefetchCount > 0 {
                try await channel.basicQos(prefetchCount: record.prefetchCount)
            }
            let outer = record.sink
            // Connection loss must not end the caller's sequence: the next connection re-subscribes.
            let sink = AMQPConsumerSink(
                onDelivery: outer.onDelivery,
                onFinish: { error in
                    guard let error, !error.isConnectionError, error.code != .channelClosed else { return }
                    outer.onFinish(error)
                }
            )
            self.state.withLockedValue { $0.consumers[consumerID]?.channel = channel }
            try await channel.basicConsume(
                queue: record.queue,
                consumerTag: record.consumerTag,
                noAck: record.noAck,
                exclusive: record.exclusive,
                arguments: record.arguments,
                sink: sink
            )
        } catch let error as AMQPError where !error.isConnectionError {
            self.logger.error(
                "re-subscribing consumer failed", metadata: ["queue": "\(record.queue)", "error": "\(error)"])
            record.sink.onFinish(error)
        } catch {
            self.logger.warning("subscribing consumer interrupted", metadata: ["error": "\(error)"])
        }
    }

    private func gracefulClose(_ connection: AMQPConnection) async {
        let records = self.state.withLockedValue { Array($0.consumers.values) }
        for record in records {
            if let channel = record.channel, channel.isOpen {
                try? await channel.basicCancel(record.consumerTag)
                try? await channel.close()
            }
        }
        let publishChannel = self.state.withLockedValue { $0.publishChannel }
        try? await publishChannel?.close()
        try? await connection.close()
        self.logger.info("AMQP client closed")
    }

    private func finishAfterShutdown() {
        let (records, waiters) = self.state.withLockedValue { state in
            state.shuttingDown = true
            state.connection = nil
            state.publishChannel = nil
            defer {
                state.consumers.removeAll()
                state.waiters.removeAll()
            }
            return (Array(state.consumers.values), Array(state.waiters.values))
        }
        for record in records { record.sink.onFinish(nil) }
        for waiter in waiters {
            waiter.resume(throwing: AMQPError(code: .notConnected, message: "AMQP client has shut down"))
        }
    }

    private func sleepUnlessShuttingDown(_ delay: Duration) async {
        let clock = ContinuousClock()
        let deadline = clock.now + delay
        while !self.isShuttingDown, clock.now < deadline {
            try? await clock.sleep(until: min(deadline, clock.now + .milliseconds(50)))
        }
    }

    // MARK: waiting for a connection

    /// Waits until a connection is established (or throws `.notConnected` once shutting down).
    private func waitForConnection() async throws {
        let id = self.state.withLockedValue { state -> Int in
            state.nextID += 1
            return state.nextID
        }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                let resumeNow: Result<Void, AMQPError>? = self.state.withLockedValue { state in
                    if state.shuttingDown {
                        return .failure(AMQPError(code: .notConnected, message: "AMQP client is shutting down"))
                    }
                    if let connection = state.connection, connection.isOpen, state.publishChannel != nil,
                        !state.reopeningPublishChannel
                    {
                        return .success(())
                    }
                    state.waiters[id] = continuation
                    return nil
                }
                if let resumeNow { continuation.resume(with: resumeNow) }
            }
        } onCancel: {
            let waiter = self.state.withLockedValue { $0.waiters.removeValue(forKey: id) }
            waiter?.resume(throwing: CancellationError())
        }
    }

    private func currentConnection() async throws -> AMQPConnection {
        try await self.currentConnectionAndGeneration().0
    }

    private func currentConnectionAndGeneration() async throws -> (AMQPConnection, Int) {
        while true {
            let current = self.state.withLockedValue { state in
                state.shuttingDown ? nil : state.connection.map { ($0, state.generation) }
            }
            if let current, current.0.isOpen { return current }
            if self.isShuttingDown {
                throw AMQPError(code: .notConnected, message: "AMQP client is shutting down")
            }
            try await self.waitForConnection()
        }
    }

    private func currentPublishChannel() async throws -> AMQPChannel {
        while true {
            enum Next {
                case use(AMQPChannel)
                case reopen(AMQPConnection)
                case wait
            }
            let next: Next = try self.state.withLockedValue { state in
                if state.shuttingDown {
                    throw AMQPError(code: .notConnected, message: "AMQP client is shutting down")
                }
                guard let connection = state.connection, connection.isOpen else { return .wait }
                if let channel = state.publishChannel, channel.isOpen { return .use(channel) }
                if state.reopeningPublishChannel { return .wait }
                state.reopeningPublishChannel = true
                return .reopen(connection)
            }
            switch next {
            case .use(let channel):
                return channel
            case .wait:
                try await self.waitForConnection()
            case .reopen(let connection):
                // The previous publish channel died of a channel error (e.g. 404 unknown exchange).
                var channel: AMQPChannel?
                do {
                    let opened = try await connection.openChannel()
                    try await opened.confirmSelect()
                    channel = opened
                } catch {
                    self.logger.warning("re-opening the publish channel failed", metadata: ["error": "\(error)"])
                }
                let waiters = self.state.withLockedValue { state in
                    state.reopeningPublishChannel = false
                    if let channel, state.connection === connection { state.publishChannel = channel }
                    defer { state.waiters.removeAll() }
                    return Array(state.waiters.values)
                }
                for waiter in waiters { waiter.resume() }
                if let channel { return channel }
            }
        }
    }

    // MARK: publishing

    /// Publishes with publisher confirms; see the type's delivery contract.
    ///
    /// Returns `.ack`, `.nack`, or `.returned` (mandatory and unroutable). Throws `.publishUnconfirmed`
    /// (recoverable) when the connection dropped before the confirm; channel errors (e.g. 404 for an
    /// unknown exchange) are thrown as they are and the next publish opens a new channel.
    @discardableResult
    public func basicPublish(
        exchange: String = "",
        routingKey: String,
        body: ByteBuffer,
        properties: AMQPProperties = AMQPProperties(),
        mandatory: Bool = false
    ) async throws -> AMQPPublishConfirm {
        let channel = try await self.currentPublishChannel()
        do {
            return try await channel.basicPublish(
                exchange: exchange,
                routingKey: routingKey,
                body: body,
                properties: properties,
                mandatory: mandatory
            )
        } catch let error as AMQPError
            where (error.code == .channelClosed || error.isConnectionError) && error.code != .publishUnconfirmed
        {
            // The connection went away between lookup and write: the broker never confirmed this publish.
            throw AMQPError(
                code: .publishUnconfirmed,
                message: "publish channel closed before the publish was confirmed; republish it",
                underlying: error
            )
        }
    }

    // MARK: topology (recorded and replayed on reconnect)

    /// Declares an exchange and records it for re-declaration after reconnects.
    public func exchangeDeclare(
        _ exchange: String,
        type: AMQPExchangeType = .direct,
        durable: Bool = true,
        autoDelete: Bool = false,
        internal: Bool = false,
        arguments: AMQPTable = [:]
    ) async throws {
        try await self.withChannel { channel in
            try await channel.exchangeDeclare(
                exchange,
                type: type,
                durable: durable,
                autoDelete: autoDelete,
                internal: `internal`,
                arguments: arguments
            )
        }
        let record = AMQPTopology.Exchange(
            name: exchange,
            type: type,
            durable: durable,
            autoDelete: autoDelete,
            internal: `internal`,
            arguments: arguments
        )
        self.state.withLockedValue { $0.topology.record(record) }
    }

    /// Deletes an exchange and forgets it (and its bindings).
    public func exchangeDelete(_ exchange: String, ifUnused: Bool = false) async throws {
        try await self.withChannel { try await $0.exchangeDelete(exchange, ifUnused: ifUnused) }
        self.state.withLockedValue { $0.topology.forget(exchange: exchange) }
    }

    /// Declares a queue and records it (named queues only) for re-declaration after reconnects.
    @discardableResult
    public func queueDeclare(
        _ queue: String,
        durable: Bool = true,
        exclusive: Bool = false,
        autoDelete: Bool = false,
        arguments: AMQPTable = [:]
    ) async throws -> AMQPQueueDeclareOk {
        let ok = try await self.withChannel { channel in
            try await channel.queueDeclare(
                queue,
                durable: durable,
                exclusive: exclusive,
                autoDelete: autoDelete,
                arguments: arguments
            )
        }
        let record = AMQPTopology.Queue(
            name: queue,
            durable: durable,
            exclusive: exclusive,
            autoDelete: autoDelete,
            arguments: arguments
        )
        self.state.withLockedValue { $0.topology.record(record) }
        return ok
    }

    /// Checks a queue exists (passive declare) without recording anything.
    public func queueDeclarePassive(_ queue: String) async throws -> AMQPQueueDeclareOk {
        try await self.withChannel { try await $0.queueDeclare(queue, passive: true) }
    }

    /// Binds a queue and records the binding.
    public func queueBind(queue: String, exchange: String, routingKey: String = "", arguments: AMQPTable = [:])
        async throws
    {
        try await self.withChannel {
            try await $0.queueBind(queue: queue, exchange: exchange, routingKey: routingKey, arguments: arguments)
        }
        let binding = AMQPTopology.Binding(
            destination: queue,
            source: exchange,
            routingKey: routingKey,
            arguments: arguments,
            isExchangeBinding: false
        )
        self.state.withLockedValue { $0.topology.record(binding) }
    }

    /// Removes a queue binding and forgets it.
    public func queueUnbind(queue: String, exchange: String, routingKey: String = "", arguments: AMQPTable = [:])
        async throws
    {
        try await self.withChannel {
            try await $0.queueUnbind(queue: queue, exchange: exchange, routingKey: routingKey, arguments: arguments)
        }
        let binding = AMQPTopology.Binding(
            destination: queue,
            source: exchange,
            routingKey: routingKey,
            arguments: arguments,
            isExchangeBinding: false
        )
        self.state.withLockedValue { $0.topology.forget(binding: binding) }
    }

    /// Binds exchange `destination` to `source` and records the binding.
    public func exchangeBind(destination: String, source: String, routingKey: String, arguments: AMQPTable = [:])
        async throws
    {
        try await self.withChannel {
            try await $0.exchangeBind(
                destination: destination, source: source, routingKey: routingKey, arguments: arguments)
        }
        let binding = AMQPTopology.Binding(
            destination: destination,
            source: source,
            routingKey: routingKey,
            arguments: arguments,
            isExchangeBinding: true
        )
        self.state.withLockedValue { $0.topology.record(binding) }
    }

    /// Purges a queue; returns how many messages were removed.
    @discardableResult
    public func queuePurge(_ queue: String) async throws -> UInt32 {
        try await self.withChannel { try await $0.queuePurge(queue) }
    }

    /// Deletes a queue and forgets it (and its bindings).
    @discardableResult
    public func queueDelete(_ queue: String, ifUnused: Bool = false, ifEmpty: Bool = false) async throws -> UInt32 {
        let count = try await self.withChannel { try await $0.queueDelete(queue, ifUnused: ifUnused, ifEmpty: ifEmpty) }
        self.state.withLockedValue { $0.topology.forget(queue: queue) }
        return count
    }

    /// Runs `body` with a short-lived channel on the current connection (waiting for one if needed).
    /// Nothing done through it is recorded or replayed.
    public func withChannel<Result>(
        isolation: isolated (any Actor)? = #isolation,
        _ body: (AMQPChannel) async throws -> Result
    ) async throws -> Result {
        let connection = try await self.currentConnection()
        return try await connection.withChannel(body)
    }

    // MARK: consuming

    /// Consumes `queue` for the duration of `body`, surviving reconnects.
    ///
    /// The consumer gets its own channel with `basic.qos(prefetchCount)`. After a reconnect it is
    /// re-subscribed with the same consumer tag and deliveries continue in the same sequence; deliveries
    /// from the old connection throw `.staleDelivery` when acknowledged and come again, marked
    /// `redelivered`. The sequence throws `.consumerCancelled` if the broker cancels the consumer (queue
    /// deleted) and ends normally on client shutdown. On exit the consumer is cancelled and its channel
    /// closed, which requeues whatever was not acknowledged.
    public func withConsumer<Result>(
        isolation: isolated (any Actor)? = #isolation,
        queue: String,
        prefetchCount: UInt16 = 100,
        consumerTag: String = "",
        noAck: Bool = false,
        exclusive: Bool = false,
        arguments: AMQPTable = [:],
        _ body: (AMQPConsumer) async throws -> Result
    ) async throws -> Result {
        let tag = consumerTag.isEmpty ? AMQPChannel.makeConsumerTag() : consumerTag
        let (consumer, sink) = AMQPConsumer.makeStream(consumerTag: tag)
        let id = try self.state.withLockedValue { state -> Int in
            if state.shuttingDown { throw AMQPError(code: .notConnected, message: "AMQP client is shutting down") }
            state.nextID += 1
            state.consumers[state.nextID] = ConsumerRecord(
                queue: queue,
                consumerTag: tag,
                prefetchCount: prefetchCount,
                noAck: noAck,
                exclusive: exclusive,
                arguments: arguments,
                sink: sink
            )
            return state.nextID
        }
        func cleanUp() async {
            let record = self.state.withLockedValue { $0.consumers.removeValue(forKey: id) }
            if let channel = record?.channel, channel.isOpen {
                try? await channel.basicCancel(tag)
                try? await channel.close()
            }
            sink.onFinish(nil)
        }
        do {
            let (connection, generation) = try await self.currentConnectionAndGeneration()
            await self.subscribe(consumerID: id, connection: connection, generation: generation)
            let result = try await body(consumer)
            await cleanUp()
            return result
        } catch {
            await cleanUp()
            throw error
        }
    }
}
