import Logging
import NIOCore
import NIOPosix
import Retry

extension RedisClient {
    /// Subscribes to `channels` for the duration of `body`, surviving disconnects.
    ///
    /// ```swift
    /// try await redis.withSubscription(channels: ["events:stream"]) { events in
    ///     for try await event in events {
    ///         switch event {
    ///         case .subscribed(let isReconnect): if isReconnect { try await catchUpFromDatabase() }
    ///         case .message(_, let payload): fanOut(payload)
    ///         case .disconnected(let error): logger.warning("live feed down: \(error)")
    ///         }
    ///     }
    /// }
    /// ```
    ///
    /// The scope owns a dedicated connection (a subscribed connection cannot run other commands). While the scope is
    /// alive, a lost connection is re-established with ``Configuration/reconnectBackoff`` (exponential, with
    /// jitter), and each successful (re-)subscription yields `.subscribed`; it does not need ``run()`` to be running.
    /// When `body` returns or throws, the client sends `UNSUBSCRIBE`, waits up to
    /// ``SubscriptionOptions/unsubscribeTimeout`` for the confirmation, closes the socket, and only then returns, so
    /// the server no longer counts this subscriber afterwards. Buffering is bounded by
    /// ``SubscriptionOptions/bufferSize``, see there for what happens to a slow consumer.
    ///
    /// - Parameters:
    ///   - channels: Channel names (not patterns); must not be empty.
    ///   - body: Consumes the events; do not let the sequence escape the closure.
    /// - Returns: What `body` returns.
    public func withSubscription<Result>(
        channels: [String],
        _ body: (RedisSubscription) async throws -> Result
    ) async throws -> Result {
        precondition(!channels.isEmpty, "withSubscription needs at least one channel")
        let options = self.configuration.subscription
        let control = RedisSubscriptionControl(unsubscribeTimeout: options.unsubscribeTimeout)
        let producer = RedisSubscription.Producer.makeSequence(
            elementType: RedisSubscriptionEvent.self,
            backPressureStrategy: .init(lowWatermark: options.bufferSize / 2, highWatermark: options.bufferSize),
            finishOnDeinit: false,
            delegate: control
        )
        let source = producer.source
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                await self.subscriptionLoop(channels: channels, source: source, control: control)
            }
            let result: Result
            do {
                result = try await body(RedisSubscription(base: producer.sequence))
            } catch {
                control.stop()
                try? await group.waitForAll()
                throw error
            }
            control.stop()
            try? await group.waitForAll()
            return result
        }
    }

    private func subscriptionLoop(
        channels: [String],
        source: RedisSubscription.Producer.Source,
        control: RedisSubscriptionControl
    ) async {
        defer { source.finish() }
        var failedAttempts = 0
        var subscribedBefore = false
        let logger = self.logger
        while !control.isStopped, !Task.isCancelled {
            var subscribedThisTime = false
            let startedAt = ContinuousClock.now
            let failure: RedisClientError
            do {
                try await self.runSubscriptionConnection(
                    channels: channels,
                    control: control
                ) { event in
                    if case .subscribed = event {
                        subscribedThisTime = true
                    }
                    await Self.deliver(event, to: source, control: control)
                } isReconnect: {
                    subscribedBefore
                }
                failure = .connectionClosed("The subscription connection was closed")
            } catch let redisError as RedisClientError {
                failure = redisError
            } catch {
                failure = RedisClientError(
                    code: .connectionClosed,
                    message: "The subscription connection failed",
                    underlying: error
                )
            }
            if subscribedThisTime {
                subscribedBefore = true
                // Only a connection that stayed up resets the backoff; one that drops at once must not turn into a
                // resubscribe storm.
                if ContinuousClock.now - startedAt >= RedisClient.minimumHealthyConnectionLifetime {
                    failedAttempts = 0
                }
            }
            if control.isStopped || Task.isCancelled {
                return
            }
            failedAttempts += 1
            let delay = self.configuration.reconnectBackoff.delay(attempt: failedAttempts - 1)
            logger.warning(
                "Redis subscription lost, resubscribing",
                metadata: ["error": "\(failure)", "retry_in": "\(delay)", "attempt": "\(failedAttempts)"]
            )
            await Self.deliver(.disconnected(failure), to: source, control: control)
            await control.sleep(for: delay, on: self.eventLoopGroup.any())
        }
    }

    private static func deliver(
        _ event: RedisSubscriptionEvent,
        to source: RedisSubscription.Producer.Source,
        control: RedisSubscriptionControl
    ) async {
        guard !control.isStopped else { return }
        switch source.yield(event) {
        case .produceMore:
            break
        case .stopProducing:
            await control.waitForDemand()
        case .dropped:
            control.stop()
        }
    }

    /// Runs one subscribed connection until it closes (throws) or the scope stops (returns).
    private func runSubscriptionConnection(
        channels: [String],
        control: RedisSubscriptionControl,
        deliver: (RedisSubscriptionEvent) async -> Void,
        isReconnect: () -> Bool
    ) async throws {
        let configuration = self.configuration.connection
        let limits = configuration.decoderLimits
        let asyncChannel: NIOAsyncChannel<RESPValue, ByteBuffer>
        do {
            asyncChannel = try await RedisConnection.bootstrap(
                configuration: configuration,
                eventLoopGroup: self.eventLoopGroup
            ).connect(host: configuration.host, port: configuration.port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(RESPDecoder(limits: limits)))
                    return try NIOAsyncChannel<RESPValue, ByteBuffer>(
                        wrappingChannelSynchronously: channel,
                        configuration: .init(backPressureStrategy: .init(lowWatermark: 16, highWatermark: 64))
                    )
                }
            }
        } catch {
            throw RedisClientError(
                code: .connectionFailed,
                message: "Could not connect to Redis at \(configuration.host):\(configuration.port) to subscribe",
                underlying: error
            )
        }
        let channel = asyncChannel.channel
        // Bounds the handshake and SUBSCRIBE confirmation by the connect timeout; cancelled once subscribed.
        let handshakeTimeout = channel.eventLoop.scheduleTask(in: TimeAmount(configuration.connectTimeout)) {
            channel.close(promise: nil)
        }
        defer { handshakeTimeout.cancel() }
        let liveness = self.configuration.subscription.pingInterval.map { interval in
            channel.eventLoop.scheduleRepeatedTask(initialDelay: TimeAmount(interval), delay: TimeAmount(interval)) {
                _ in
                switch control.livenessTick() {
                case .none:
                    break
                case .ping:
                    var ping = channel.allocator.buffer(capacity: 14)
                    ping.writeRESPCommand("PING", arguments: [])
                    channel.writeAndFlush(ping, promise: nil)
                case .close:
                    channel.close(promise: nil)
                }
            }
        }
        defer { liveness?.cancel() }

        try await asyncChannel.executeThenClose { inbound, outbound in
            var iterator = inbound.makeAsyncIterator()
            // Handshake: AUTH (and CLIENT SETNAME) must succeed before SUBSCRIBE; SELECT is pointless for pub/sub.
            let handshake = RedisConnection.handshakeCommands(for: configuration).filter { $0.0 != "SELECT" }
            if !handshake.isEmpty {
                var buffer = channel.allocator.buffer(capacity: 128)
                for (command, arguments) in handshake {
                    buffer.writeRESPCommand(command, arguments: arguments)
                }
                try await outbound.write(buffer)
                for _ in handshake {
                    guard let reply = try await iterator.next() else {
                        throw RedisClientError.connectionClosed("Connection closed during the Redis handshake")
                    }
                    if case .error(let message) = reply {
                        throw RedisClientError(
                            code: .connectionFailed,
                            message: "Redis handshake (AUTH) failed",
                            serverMessage: String(buffer: message)
                        )
                    }
                }
            }

            let arguments = channels.map { RESPArgument($0) }
            var subscribe = channel.allocator.buffer(capacity: 64)
            subscribe.writeRESPCommand("SUBSCRIBE", arguments: arguments)
            try await outbound.write(subscribe)
            var unsubscribe = channel.allocator.buffer(capacity: 64)
            unsubscribe.writeRESPCommand("UNSUBSCRIBE", arguments: arguments)
            guard control.attach(channel, unsubscribeCommand: unsubscribe) else {
                return
            }
            defer { control.detach() }

            var awaitingConfirmation = Set(channels)
            var announced = false
            while let value = try await iterator.next() {
                control.recordActivity()
                switch try RedisPubSubPush(value) {
                case .subscribe(let name, _):
                    awaitingConfirmation.remove(name)
                    if awaitingConfirmation.isEmpty, !announced {
                        announced = true
                        handshakeTimeout.cancel()
                        await deliver(.subscribed(isReconnect: isReconnect()))
                    }
                case .message(let name, let payload):
                    await deliver(.message(channel: name, payload: payload))
                case .unsubscribe(_, let count):
                    if count == 0 {
                        return
                    }
                case .pong:
                    break
                }
            }
            throw RedisClientError.connectionClosed("The subscription connection was closed by the server")
        }
    }
}
