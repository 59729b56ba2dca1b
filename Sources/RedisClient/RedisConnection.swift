public import Logging
public import NIOCore
public import NIOPosix

/// One TCP connection to Redis for ordinary (request/response) commands.
///
/// Commands may be sent concurrently from many tasks; they are pipelined on the socket and Redis answers them in
/// order, so throughput is not bounded by round trips. Each command has a deadline (``Configuration/commandTimeout``);
/// when it passes, the connection is closed, because a late reply could otherwise be paired with the wrong command.
/// Pub/sub needs a dedicated connection: use ``RedisClient/withSubscription(channels:_:)`` for that.
public final class RedisConnection: RedisCommandExecutor, Sendable {
    /// The underlying NIO channel; closing it fails every pending command with `connectionClosed`.
    let channel: any Channel
    /// The configuration this connection was opened with.
    public let configuration: Configuration
    private let commandTimeout: TimeAmount
    private let logger: Logger

    init(channel: any Channel, configuration: Configuration, logger: Logger) {
        self.channel = channel
        self.configuration = configuration
        self.commandTimeout = TimeAmount(configuration.commandTimeout)
        self.logger = logger
    }

    /// Opens a connection and runs the handshake (`AUTH`, `CLIENT SETNAME`, `SELECT`) the configuration asks for.
    ///
    /// - Throws: ``RedisClientError`` with code `connectionFailed` (underlying error attached) if the TCP connect,
    ///   the handshake or both together take longer than ``Configuration/connectTimeout`` or fail.
    public static func connect(
        configuration: Configuration,
        eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        logger: Logger = RedisConnection.noOpLogger
    ) async throws -> RedisConnection {
        let limits = configuration.decoderLimits
        let channel: any Channel
        do {
            channel = try await Self.bootstrap(configuration: configuration, eventLoopGroup: eventLoopGroup)
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHandler(
                            ByteToMessageHandler(RESPDecoder(limits: limits)))
                        try channel.pipeline.syncOperations.addHandler(RedisCommandHandler(logger: logger))
                    }
                }
                .connect(host: configuration.host, port: configuration.port).get()
        } catch {
            throw RedisClientError(
                code: .connectionFailed,
                message: "Could not connect to Redis at \(configuration.host):\(configuration.port)",
                underlying: error
            )
        }
        let connection = RedisConnection(channel: channel, configuration: configuration, logger: logger)
        do {
            try await connection.handshake()
        } catch {
            try? await channel.close()
            throw RedisClientError(
                code: .connectionFailed,
                message: "Redis handshake (AUTH/SELECT) failed at \(configuration.host):\(configuration.port)",
                serverMessage: (error as? RedisClientError)?.serverMessage,
                underlying: error
            )
        }
        logger.debug(
            "Connected to Redis",
            metadata: ["redis.host": "\(configuration.host)", "redis.port": "\(configuration.port)"]
        )
        return connection
    }

    /// Opens a connection, hands it to `body`, and closes it when `body` returns or throws.
    public static func withConnection<Result>(
        configuration: Configuration,
        eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        logger: Logger = RedisConnection.noOpLogger,
        _ body: (RedisConnection) async throws -> Result
    ) async throws -> Result {
        let connection = try await connect(configuration: configuration, eventLoopGroup: eventLoopGroup, logger: logger)
        do {
            let result = try await body(connection)
            await connection.close()
            return result
        } catch {
            await connection.close()
            throw error
        }
    }

    static func bootstrap(configuration: Configuration, eventLoopGroup: any EventLoopGroup) -> ClientBootstrap {
        ClientBootstrap(group: eventLoopGroup)
            .connectTimeout(TimeAmount(configuration.connectTimeout))
            .channelOption(.socketOption(.so_keepalive), value: 1)
            .channelOption(.tcpOption(.tcp_nodelay), value: 1)
    }

    /// Commands Redis must see before any user command, in the order they must run.
    static func handshakeCommands(for configuration: Configuration) -> [(String, [RESPArgument])] {
        var commands: [(String, [RESPArgument])] = []
        if let password = configuration.password {
            if let username = configuration.username {
                commands.append(("AUTH", [RESPArgument(username), RESPArgument(password)]))
            } else {
                commands.append(("AUTH", [RESPArgument(password)]))
            }
        }
        if let clientName = configuration.clientName {
            commands.append(("CLIENT", ["SETNAME", RESPArgument(clientName)]))
        }
        if configuration.database != 0 {
            commands.append(("SELECT", [RESPArgument(configuration.database)]))
        }
        return commands
    }

    private func handshake() async throws {
        let deadline = self.channel.eventLoop.now + TimeAmount(self.configuration.connectTimeout)
        let futures = Self.handshakeCommands(for: self.configuration).map { command, arguments in
            self.sendFuture(command: command, arguments: arguments, deadline: deadline)
        }
        for future in futures {
            let reply = try await future.get()
            if case .error(let message) = reply {
                throw RedisClientError.serverError(String(buffer: message))
            }
        }
    }

    /// Sends one command and returns Redis's reply.
    ///
    /// Error replies are thrown as ``RedisClientError`` with code `serverError` and the server text in
    /// ``RedisClientError/serverMessage``; errors nested inside arrays (as in `EXEC`) are returned as values.
    /// - Throws: `connectionClosed` if the connection is or becomes closed, `timeout` if no reply arrives within
    ///   ``Configuration/commandTimeout``, `protocolError` if the reply is malformed.
    public func send(command: String, arguments: [RESPArgument] = []) async throws -> RESPValue {
        let deadline = self.channel.eventLoop.now + self.commandTimeout
        let reply = try await self.sendFuture(command: command, arguments: arguments, deadline: deadline).get()
        if case .error(let message) = reply {
            throw RedisClientError.serverError(String(buffer: message))
        }
        return reply
    }

    func sendFuture(command: String, arguments: [RESPArgument], deadline: NIODeadline) -> EventLoopFuture<RESPValue> {
        var bytes = self.channel.allocator.buffer(capacity: Self.estimatedSize(command: command, arguments: arguments))
        bytes.writeRESPCommand(command, arguments: arguments)
        let promise = self.channel.eventLoop.makePromise(of: RESPValue.self)
        let request = RedisRequest(bytes: bytes, promises: .single(promise), deadline: deadline)
        // The handler fails the command promise itself on every path it sees; the write promise covers the one it
        // does not: a channel already closed, where the write never reaches the handler.
        self.channel.write(request).whenFailure { error in
            promise.fail(
                (error as? RedisClientError)
                    ?? RedisClientError(
                        code: .connectionClosed,
                        message: "The connection to Redis is closed",
                        underlying: error
                    )
            )
        }
        return promise.futureResult
    }

    /// Sends `commands` in one write and returns their replies in the same order.
    ///
    /// Error replies come back as ``RESPValue/error(_:)`` values in their slot, since the other commands still ran;
    /// only connection-level failures (closed, timeout, protocol) throw. One write and one event-loop hop for the
    /// whole batch make this the fastest way to publish many messages at once.
    public func send(pipeline commands: [RedisCommand]) async throws -> [RESPValue] {
        guard !commands.isEmpty else { return [] }
        let deadline = self.channel.eventLoop.now + self.commandTimeout
        return try await self.sendPipelineFuture(commands, deadline: deadline).get()
    }

    func sendPipelineFuture(_ commands: [RedisCommand], deadline: NIODeadline) -> EventLoopFuture<[RESPValue]> {
        var size = 0
        for command in commands {
            size += Self.estimatedSize(command: command.name, arguments: command.arguments)
        }
        var bytes = self.channel.allocator.buffer(capacity: size)
        for command in commands {
            bytes.writeRESPCommand(command.name, arguments: command.arguments)
        }
        let eventLoop = self.channel.eventLoop
        let promises = commands.map { _ in eventLoop.makePromise(of: RESPValue.self) }
        let request = RedisRequest(bytes: bytes, promises: .pipeline(promises), deadline: deadline)
        self.channel.write(request).whenFailure { error in
            let redisError =
                (error as? RedisClientError)
                ?? RedisClientError(
                    code: .connectionClosed, message: "The connection to Redis is closed", underlying: error)
            for promise in promises { promise.fail(redisError) }
        }
        return EventLoopFuture.whenAllSucceed(promises.map(\.futureResult), on: eventLoop)
    }

    private static func estimatedSize(command: String, arguments: [RESPArgument]) -> Int {
        var size = 16 + command.utf8.count
        for argument in arguments {
            switch argument.storage {
            case .string(let string): size += string.utf8.count + 16
            case .bytes(let bytes): size += bytes.readableBytes + 16
            case .integer: size += 40
            }
        }
        return size
    }

    /// Whether the socket is still open; a `false` here means every further command fails with `connectionClosed`.
    public var isActive: Bool {
        self.channel.isActive
    }

    /// Closes the connection after the replies to all commands already sent have arrived (or timed out).
    ///
    /// A `PING` is queued behind the in-flight commands; since Redis answers in order, its reply means every
    /// earlier reply has been delivered, so a graceful shutdown does not fail in-flight PUBLISHes.
    public func close() async {
        let deadline = self.channel.eventLoop.now + self.commandTimeout
        _ = try? await self.sendFuture(command: "PING", arguments: [], deadline: deadline).get()
        try? await self.channel.close()
    }

    /// Closes the socket at once; pending commands fail with `connectionClosed`.
    public func closeImmediately() async {
        try? await self.channel.close()
    }

    /// Suspends until the connection has closed, for whatever reason.
    public func waitUntilClosed() async {
        try? await self.channel.closeFuture.get()
    }

    /// The logger used when the caller passes none: silent, because a library should not decide where logs go.
    public static let noOpLogger = Logger(label: "RedisClient", factory: { _ in SwiftLogNoOpLogHandler() })
}
