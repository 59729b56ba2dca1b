public import Logging
public import NIOCore
public import NIOPosix

/// One AMQP 0-9-1 connection: a TCP socket, the handshake (spec §2.2.4), heartbeats and multiplexed channels.
///
/// It does not reconnect; `AMQPClient` builds recovery on top of it. Open channels with `withChannel` (or
/// `openChannel`) and end with `close()`, which performs the close handshake with reply code 200.
public final class AMQPConnection: Sendable {
    /// Values agreed in connection.tune / tune-ok.
    public struct Tuning: Sendable, Hashable {
        /// Highest usable channel number (0 = no limit).
        public var channelMax: UInt16
        /// Largest frame either side may send, in bytes (0 = no limit).
        public var frameMax: UInt32
        /// Heartbeat interval in seconds (0 = disabled).
        public var heartbeat: UInt16
    }

    let channel: any Channel
    let handler: NIOLoopBound<AMQPConnectionHandler>
    let closedFuture: EventLoopFuture<AMQPError?>
    /// The event loop all of this connection's I/O runs on.
    public let eventLoop: any EventLoop
    /// The negotiated limits.
    public let tuning: Tuning
    /// The configuration this connection was opened with.
    public let configuration: AMQPConfiguration
    let logger: Logger

    private init(
        channel: any Channel,
        handler: NIOLoopBound<AMQPConnectionHandler>,
        closedFuture: EventLoopFuture<AMQPError?>,
        tuning: Tuning,
        configuration: AMQPConfiguration,
        logger: Logger
    ) {
        self.channel = channel
        self.handler = handler
        self.closedFuture = closedFuture
        self.eventLoop = channel.eventLoop
        self.tuning = tuning
        self.configuration = configuration
        self.logger = logger
    }

    /// Connects, authenticates with PLAIN, negotiates limits and opens the virtual host.
    ///
    /// Fails with `.connectionFailed` when the socket cannot be opened, `.authenticationFailed` on bad
    /// credentials, `.timeout` when the whole sequence exceeds `configuration.connectTimeout`.
    public static func connect(
        configuration: AMQPConfiguration,
        eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        logger: Logger = Logger(label: "amqp")
    ) async throws -> AMQPConnection {
        let parameters = configuration.handshakeParameters()
        var logger = logger
        logger[metadataKey: "amqp.host"] = "\(configuration.host):\(configuration.port)"
        if let name = configuration.connectionName { logger[metadataKey: "amqp.connection"] = "\(name)" }
        let handlerLogger = logger
        let confirmTimeout = configuration.publishConfirmTimeout.map { TimeAmount.nanoseconds(Int64($0.seconds * 1e9)) }
        let timeout = TimeAmount.nanoseconds(
            Int64(configuration.connectTimeout.seconds * 1e9)
        )
        let channel: any Channel
        do {
            channel = try await ClientBootstrap(group: eventLoopGroup)
                .connectTimeout(timeout)
                .channelOption(.socketOption(.tcp_nodelay), value: 1)
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        let handler = AMQPConnectionHandler(
                            parameters: parameters,
                            eventLoop: channel.eventLoop,
                            logger: handlerLogger,
                            confirmTimeout: confirmTimeout
                        )
                        try channel.pipeline.syncOperations.addHandler(handler)
                    }
                }
                .connect(host: configuration.host, port: configuration.port)
                .get()
        } catch {
            throw AMQPError(
                code: .connectionFailed,
                message: "could not connect to \(configuration.host):\(configuration.port)",
                underlying: error
            )
        }
        return try await Self.handshake(
            channel: channel,
            configuration: configuration,
            timeout: timeout,
            logger: logger
        )
    }

    /// Waits for the handshake driven by the `AMQPConnectionHandler` already in `channel`'s pipeline.
    /// Split from `connect` so tests can run it against an in-memory channel and a scripted broker.
    static func handshake(
        channel: any Channel,
        configuration: AMQPConfiguration,
        timeout: TimeAmount,
        logger: Logger
    ) async throws -> AMQPConnection {
        let (handler, startup, closed) = try await channel.eventLoop.submit {
            let handler = try channel.pipeline.syncOperations.handler(type: AMQPConnectionHandler.self)
            return (
                NIOLoopBound(handler, eventLoop: channel.eventLoop),
                handler.startupPromise.futureResult,
                handler.closedPromise.futureResult
            )
        }.get()
        let timer = channel.eventLoop.scheduleTask(in: timeout) {
            let error = AMQPError(code: .timeout, message: "AMQP handshake did not finish within \(timeout)")
            handler.value.startupPromise.fail(error)
            channel.close(promise: nil)
        }
        do {
            let tuning = try await startup.get()
            timer.cancel()
            let connection = AMQPConnection(
                channel: channel,
                handler: handler,
                closedFuture: closed,
                tuning: Tuning(channelMax: tuning.channelMax, frameMax: tuning.frameMax, heartbeat: tuning.heartbeat),
                configuration: configuration,
                logger: logger
            )
            logger.debug(
                "AMQP connection open",
                metadata: ["frame_max": "\(tuning.frameMax)", "heartbeat": "\(tuning.heartbeat)"]
            )
            return connection
        } catch {
            timer.cancel()
            channel.close(promise: nil)
            throw error
        }
    }

    /// Opens a connection, runs `body`, and closes the connection (reply 200) whatever `body` did.
    public static func withConnection<Result>(
        isolation: isolated (any Actor)? = #isolation,
        configuration: AMQPConfiguration,
        eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        logger: Logger = Logger(label: "amqp"),
        _ body: (AMQPConnection) async throws -> Result
    ) async throws -> Result {
        let connection = try await Self.connect(
            configuration: configuration,
            eventLoopGroup: eventLoopGroup,
            logger: logger
        )
        do {
            let result = try await body(connection)
            try? await connection.close()
            return result
        } catch {
            try? await connection.close()
            throw error
        }
    }

    /// Opens a new channel (spec §2.2.5 channel.open).
    public func openChannel() async throws -> AMQPChannel {
        let promise = self.eventLoop.makePromise(of: AMQPChannel.self)
        self.onLoop { handler in
            handler.openChannel(handleFactory: { AMQPChannel(id: $0, connection: self) }, promise: promise)
        }
        return try await promise.futureResult.get()
    }

    /// Opens a channel, runs `body` with it and closes it afterwards (unless the broker already closed it).
    public func withChannel<Result>(
        isolation: isolated (any Actor)? = #isolation,
        _ body: (AMQPChannel) async throws -> Result
    ) async throws -> Result {
        let channel = try await self.openChannel()
        do {
            let result = try await body(channel)
            try? await channel.close()
            return result
        } catch {
            try? await channel.close()
            throw error
        }
    }

    /// Performs the close handshake (connection.close 200 → close-ok) and closes the socket.
    ///
    /// Outstanding RPCs fail and unconfirmed publishes fail with `.publishUnconfirmed`.
    public func close() async throws {
        let promise = self.eventLoop.makePromise(of: Void.self)
        self.onLoop { $0.close(promise: promise) }
        let timer = self.eventLoop.scheduleTask(in: .seconds(5)) { [channel] in
            channel.close(promise: nil)
        }
        defer { timer.cancel() }
        try await promise.futureResult.get()
    }

    /// Waits until the connection is closed; returns nil after a clean `close()`, else the cause.
    public func closed() async -> AMQPError? {
        try? await self.closedFuture.get()
    }

    /// Whether the connection is still usable.
    public var isOpen: Bool {
        self.channel.isActive
    }

    /// Runs `body` with the handler on its event loop.
    func onLoop(_ body: @escaping @Sendable (AMQPConnectionHandler) -> Void) {
        if self.eventLoop.inEventLoop {
            body(self.handler.value)
        } else {
            self.eventLoop.execute { body(self.handler.value) }
        }
    }
}
