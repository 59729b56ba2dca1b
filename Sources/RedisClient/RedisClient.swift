public import Logging
import NIOConcurrencyHelpers
public import NIOCore
public import NIOPosix
public import Retry
public import ServiceLifecycle

/// A long-lived Redis client: one multiplexed, pipelined command connection that ``run()`` keeps alive.
///
/// Run it in a `ServiceGroup` (or call ``run()`` in a task) and share it: every task can call
/// ``send(command:arguments:)`` and the typed helpers (`publish`, `get`, `set`, ...) concurrently; commands are
/// pipelined on one socket, which is what high-rate PUBLISH needs. For batches, ``send(pipeline:)`` and
/// `publish(channel:messages:)` use a single write.
///
/// Outage behaviour, chosen so a caller never hangs:
/// - while a connection attempt is in progress, commands wait for it, at most
///   ``RedisConnection/Configuration/connectTimeout``;
/// - after an attempt failed, commands fail at once with `connectionFailed` until ``run()`` retries after an
///   exponential backoff (``Configuration/reconnectBackoff``);
/// - a command in flight when the connection drops fails with `connectionClosed` (it may or may not have run) and is
///   not retried, because most commands (PUBLISH, INCR) are not idempotent;
/// - each reply is bounded by ``RedisConnection/Configuration/commandTimeout``.
///
/// Subscriptions use their own connections: see ``withSubscription(channels:_:)``.
public final class RedisClient: Service, RedisCommandExecutor, Sendable {
    /// Settings for the command connection, reconnects and subscriptions.
    public struct Configuration: Sendable {
        /// Where to connect and the per-connection timeouts.
        public var connection: RedisConnection.Configuration
        /// Delays between reconnect attempts, for the command connection and for subscriptions.
        public var reconnectBackoff: RetryPolicy
        /// Buffering and liveness settings of ``RedisClient/withSubscription(channels:_:)``.
        public var subscription: SubscriptionOptions

        /// Creates a configuration from its parts.
        public init(
            connection: RedisConnection.Configuration,
            reconnectBackoff: RetryPolicy = .init(),
            subscription: SubscriptionOptions = .init()
        ) {
            self.connection = connection
            self.reconnectBackoff = reconnectBackoff
            self.subscription = subscription
        }

        /// Creates a configuration from a `redis://` URL with default timeouts, backoff and subscription options.
        public init(url: String) throws {
            self.init(connection: try RedisConnection.Configuration(url: url))
        }
    }

    /// Settings of subscription scopes.
    public struct SubscriptionOptions: Sendable {
        /// How many events may wait for the consumer before the client stops reading from the socket.
        ///
        /// Beyond that, Redis buffers for us until its `client-output-buffer-limit pubsub` is hit and it disconnects
        /// the subscriber; the client then resubscribes and yields `.subscribed(isReconnect: true)`, so a slow
        /// consumer learns about the gap instead of losing messages silently. Defaults to 1024.
        public var bufferSize: Int
        /// Idle time after which the subscriber sends a `PING` to detect a dead (half-open) connection; a second idle
        /// period without any reply closes and re-establishes it. `nil` disables it. Defaults to 30 s.
        public var pingInterval: Duration?
        /// How long scope exit waits for Redis to confirm `UNSUBSCRIBE` before closing the socket. Defaults to 2 s.
        public var unsubscribeTimeout: Duration

        /// Creates subscription options.
        public init(
            bufferSize: Int = 1024, pingInterval: Duration? = .seconds(30), unsubscribeTimeout: Duration = .seconds(2)
        ) {
            self.bufferSize = max(2, bufferSize)
            self.pingInterval = pingInterval
            self.unsubscribeTimeout = unsubscribeTimeout
        }
    }

    /// A connection that lived shorter than this counts as a failed attempt when it drops.
    static let minimumHealthyConnectionLifetime: Duration = .seconds(1)

    private typealias StateMachine = RedisClientStateMachine<RedisConnection, EventLoopPromise<RedisConnection>>

    private struct LockedState: Sendable {
        var machine = StateMachine()
        var nextWaiterID = 0
        var backoffSleep: Scheduled<Void>?
    }

    /// The configuration the client was created with.
    public let configuration: Configuration
    let eventLoopGroup: any EventLoopGroup
    let logger: Logger
    private let state = NIOLockedValueBox(LockedState())

    /// Creates a client; nothing connects until ``run()`` starts.
    public init(
        configuration: Configuration,
        eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        logger: Logger = RedisConnection.noOpLogger
    ) {
        self.configuration = configuration
        self.eventLoopGroup = eventLoopGroup
        self.logger = logger
    }

    // MARK: - Service

    /// Keeps the command connection up until graceful shutdown or cancellation.
    ///
    /// On shutdown, new commands fail with `clientShutdown`; commands already sent still get their replies before
    /// the socket closes.
    public func run() async throws {
        await withTaskCancellationOrGracefulShutdownHandler {
            await self.connectionLoop()
        } onCancelOrGracefulShutdown: {
            self.shutdown()
        }
    }

    private func connectionLoop() async {
        var failedAttempts = 0
        while self.state.withLockedValue({ $0.machine.connectAttemptStarted() }) {
            let connection: RedisConnection
            do {
                connection = try await RedisConnection.connect(
                    configuration: self.configuration.connection,
                    eventLoopGroup: self.eventLoopGroup,
                    logger: self.logger
                )
            } catch {
                let redisError =
                    error as? RedisClientError
                    ?? RedisClientError(code: .connectionFailed, message: "Could not connect", underlying: error)
                failedAttempts += 1
                let delay = self.configuration.reconnectBackoff.delay(attempt: failedAttempts - 1)
                self.logger.warning(
                    "Redis connection failed, retrying",
                    metadata: ["error": "\(redisError)", "retry_in": "\(delay)", "attempt": "\(failedAttempts)"]
                )
                let waiters = self.state.withLockedValue { $0.machine.connectFailed(redisError) }
                for waiter in waiters { waiter.fail(redisError) }
                guard await self.sleep(for: delay) else { return }
                continue
            }

            switch self.state.withLockedValue({ $0.machine.connected(connection) }) {
            case .closeConnection:
                await connection.close()
                return
            case .succeed(let waiters):
                self.logger.info("Redis connected")
                for waiter in waiters { waiter.succeed(connection) }
            }

            let connectedAt = ContinuousClock.now
            await connection.waitUntilClosed()
            if ContinuousClock.now - connectedAt >= Self.minimumHealthyConnectionLifetime {
                failedAttempts = 0
                guard self.state.withLockedValue({ $0.machine.connectionLost() }) else { return }
                self.logger.warning("Redis connection lost, reconnecting")
                continue
            }
            // A connection that dies right after opening (server at maxclients, killed by a proxy) must not turn
            // into a reconnect storm: treat it like a failed attempt, with backoff and fail-fast commands.
            let error = RedisClientError.connectionClosed("The Redis connection closed right after it was opened")
            failedAttempts += 1
            let delay = self.configuration.reconnectBackoff.delay(attempt: failedAttempts - 1)
            self.logger.warning(
                "Redis connection closed right after opening, retrying",
                metadata: ["retry_in": "\(delay)", "attempt": "\(failedAttempts)"]
            )
            _ = self.state.withLockedValue { $0.machine.connectFailed(error) }
            guard await self.sleep(for: delay) else { return }
        }
    }

    /// Sleeps for the backoff delay; returns `false` if shutdown interrupted it.
    private func sleep(for delay: Duration) async -> Bool {
        let scheduled = self.eventLoopGroup.any().scheduleTask(in: TimeAmount(delay)) {}
        let stillRunning = self.state.withLockedValue { state in
            guard !state.machine.isShutDown else { return false }
            state.backoffSleep = scheduled
            return true
        }
        guard stillRunning else {
            scheduled.cancel()
            return false
        }
        let completed = (try? await scheduled.futureResult.get()) != nil
        self.state.withLockedValue { $0.backoffSleep = nil }
        return completed
    }

    private func shutdown() {
        let (action, sleep) = self.state.withLockedValue { state in
            (state.machine.shutdown(), state.backoffSleep)
        }
        sleep?.cancel()
        let error = RedisClientError(code: .clientShutdown, message: "The Redis client has shut down")
        for waiter in action.waitersToFail { waiter.fail(error) }
        if let connection = action.connectionToClose {
            // A PING queued behind in-flight commands: its reply means they have all been answered.
            let deadline = connection.channel.eventLoop.now + TimeAmount(self.configuration.connection.commandTimeout)
            connection.sendFuture(command: "PING", arguments: [], deadline: deadline).whenComplete { _ in
                connection.channel.close(promise: nil)
            }
        }
    }

    // MARK: - Commands

    /// Sends a command on the shared connection; see the type's documentation for the outage behaviour.
    public func send(command: String, arguments: [RESPArgument] = []) async throws -> RESPValue {
        let connection = try await self.leaseConnection()
        return try await connection.send(command: command, arguments: arguments)
    }

    /// Sends a batch on the shared connection in one write; see ``RedisConnection/send(pipeline:)``.
    public func send(pipeline commands: [RedisCommand]) async throws -> [RESPValue] {
        let connection = try await self.leaseConnection()
        return try await connection.send(pipeline: commands)
    }

    private enum LeaseAction {
        case use(RedisConnection)
        case wait(id: Int, EventLoopPromise<RedisConnection>)
        case fail(RedisClientError)
    }

    private func leaseConnection() async throws -> RedisConnection {
        let action = self.state.withLockedValue { state -> LeaseAction in
            switch state.machine.acquire() {
            case .use(let connection):
                return .use(connection)
            case .fail(let error):
                return .fail(error)
            case .wait:
                state.nextWaiterID += 1
                let promise = self.eventLoopGroup.any().makePromise(of: RedisConnection.self)
                state.machine.addWaiter(id: state.nextWaiterID, promise)
                return .wait(id: state.nextWaiterID, promise)
            }
        }
        switch action {
        case .use(let connection):
            return connection
        case .fail(let error):
            throw error
        case .wait(let id, let promise):
            let timeout = promise.futureResult.eventLoop.scheduleTask(
                in: TimeAmount(self.configuration.connection.connectTimeout)
            ) { [state] in
                if let waiter = state.withLockedValue({ $0.machine.removeWaiter(id: id) }) {
                    waiter.fail(
                        RedisClientError(
                            code: .connectionFailed,
                            message: "No Redis connection became available within the connect timeout"
                        )
                    )
                }
            }
            promise.futureResult.whenComplete { _ in timeout.cancel() }
            return try await promise.futureResult.get()
        }
    }
}
