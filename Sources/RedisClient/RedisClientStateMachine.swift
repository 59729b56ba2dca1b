/// The connection lifecycle of ``RedisClient``, without I/O, clocks or locks.
///
/// Generic over the connection and waiter types so tests can drive it with plain values. The policy it encodes:
/// while a connection attempt is running, commands wait for it (bounded by the caller's timeout); after an attempt
/// failed, commands fail at once until the next attempt starts; after shutdown, everything fails.
struct RedisClientStateMachine<Connection, Waiter> {
    enum State {
        /// Before the first connect, or reconnecting after a lost connection: commands wait.
        case connecting(waiters: [Int: Waiter])
        case connected(Connection)
        /// The last attempt failed; commands fail fast with this error until the next attempt starts.
        case backingOff(RedisClientError)
        case shutDown
    }

    private var state: State = .connecting(waiters: [:])

    enum AcquireAction {
        case use(Connection)
        case wait
        case fail(RedisClientError)
    }

    /// Decides what a command should do now; on `.wait` the caller must call ``addWaiter(id:_:)`` under the same lock.
    func acquire() -> AcquireAction {
        switch self.state {
        case .connected(let connection):
            return .use(connection)
        case .connecting:
            return .wait
        case .backingOff(let error):
            return .fail(error)
        case .shutDown:
            return .fail(RedisClientError(code: .clientShutdown, message: "The Redis client has shut down"))
        }
    }

    mutating func addWaiter(id: Int, _ waiter: Waiter) {
        guard case .connecting(var waiters) = self.state else {
            preconditionFailure("addWaiter is only valid after acquire() returned .wait")
        }
        waiters[id] = waiter
        self.state = .connecting(waiters: waiters)
    }

    /// A waiter gave up (its timeout fired); returns it if it was still waiting, so it is failed exactly once.
    mutating func removeWaiter(id: Int) -> Waiter? {
        guard case .connecting(var waiters) = self.state, let waiter = waiters.removeValue(forKey: id) else {
            return nil
        }
        self.state = .connecting(waiters: waiters)
        return waiter
    }

    /// The run loop starts an attempt; `false` means the client shut down and the loop must end.
    mutating func connectAttemptStarted() -> Bool {
        switch self.state {
        case .shutDown:
            return false
        case .backingOff:
            self.state = .connecting(waiters: [:])
            return true
        case .connecting, .connected:
            return true
        }
    }

    enum ConnectedAction {
        /// Hand the connection to these waiters.
        case succeed([Waiter])
        /// The client shut down meanwhile: close the new connection.
        case closeConnection
    }

    mutating func connected(_ connection: Connection) -> ConnectedAction {
        switch self.state {
        case .shutDown:
            return .closeConnection
        case .connecting(let waiters):
            self.state = .connected(connection)
            return .succeed(Array(waiters.values))
        case .backingOff, .connected:
            self.state = .connected(connection)
            return .succeed([])
        }
    }

    /// An attempt failed: returns the waiters to fail with `error`, and commands fail fast until the next attempt.
    mutating func connectFailed(_ error: RedisClientError) -> [Waiter] {
        switch self.state {
        case .shutDown:
            return []
        case .connecting(let waiters):
            self.state = .backingOff(error)
            return Array(waiters.values)
        case .backingOff, .connected:
            self.state = .backingOff(error)
            return []
        }
    }

    /// An established connection closed: commands wait for the immediate reconnect attempt.
    /// Returns `false` if the client is shutting down and the loop must end.
    mutating func connectionLost() -> Bool {
        switch self.state {
        case .shutDown:
            return false
        case .connecting:
            return true
        case .connected, .backingOff:
            self.state = .connecting(waiters: [:])
            return true
        }
    }

    struct ShutdownAction {
        var connectionToClose: Connection?
        var waitersToFail: [Waiter]
    }

    mutating func shutdown() -> ShutdownAction {
        let action: ShutdownAction
        switch self.state {
        case .connected(let connection):
            action = ShutdownAction(connectionToClose: connection, waitersToFail: [])
        case .connecting(let waiters):
            action = ShutdownAction(connectionToClose: nil, waitersToFail: Array(waiters.values))
        case .backingOff, .shutDown:
            action = ShutdownAction(connectionToClose: nil, waitersToFail: [])
        }
        self.state = .shutDown
        return action
    }

    var isShutDown: Bool {
        if case .shutDown = self.state { return true }
        return false
    }
}

extension RedisClientStateMachine: Sendable where Connection: Sendable, Waiter: Sendable {}
extension RedisClientStateMachine.State: Sendable where Connection: Sendable, Waiter: Sendable {}
