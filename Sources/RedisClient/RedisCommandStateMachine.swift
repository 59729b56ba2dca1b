import NIOCore

/// The protocol logic of a command connection, without any I/O.
///
/// Redis answers commands strictly in order, so the machine is a FIFO of pending requests plus a lifecycle state.
/// Events go in (a command is sent, a reply arrives, a timer fires, the channel goes away); the returned action
/// tells ``RedisCommandHandler`` what to do. Because all deadlines use the same timeout, they grow monotonically
/// along the queue and one timer on the oldest request suffices, instead of one per command.
struct RedisCommandStateMachine {
    struct PendingCommand {
        var promise: EventLoopPromise<RESPValue>
        var deadline: NIODeadline
    }

    private enum State {
        case active
        /// Closed, or closing; new commands fail with the stored error.
        case closed(RedisClientError)
    }

    private var state: State = .active
    private var pending = CircularBuffer<PendingCommand>(initialCapacity: 64)
    private var timerArmed = false

    var pendingCount: Int { self.pending.count }

    enum SendAction {
        /// Write the request; if a deadline is given, arm the timeout timer for it.
        case write(armTimerAt: NIODeadline?)
        /// Do not write; fail the promise.
        case fail(EventLoopPromise<RESPValue>, RedisClientError)
    }

    mutating func sendCommand(promise: EventLoopPromise<RESPValue>, deadline: NIODeadline) -> SendAction {
        switch self.state {
        case .closed(let error):
            return .fail(promise, error)
        case .active:
            self.pending.append(PendingCommand(promise: promise, deadline: deadline))
            if self.timerArmed {
                return .write(armTimerAt: nil)
            }
            self.timerArmed = true
            return .write(armTimerAt: deadline)
        }
    }

    enum PipelineAction {
        case write(armTimerAt: NIODeadline?)
        case fail([EventLoopPromise<RESPValue>], RedisClientError)
    }

    /// Several commands written together; their replies arrive in the same order.
    mutating func sendPipeline(promises: [EventLoopPromise<RESPValue>], deadline: NIODeadline) -> PipelineAction {
        switch self.state {
        case .closed(let error):
            return .fail(promises, error)
        case .active:
            for promise in promises {
                self.pending.append(PendingCommand(promise: promise, deadline: deadline))
            }
            if self.timerArmed || promises.isEmpty {
                return .write(armTimerAt: nil)
            }
            self.timerArmed = true
            return .write(armTimerAt: deadline)
        }
    }

    enum ReceiveAction {
        case succeed(EventLoopPromise<RESPValue>, RESPValue)
        /// A reply nobody asked for: the stream is out of sync, close and fail everything.
        case close(failing: [EventLoopPromise<RESPValue>], with: RedisClientError)
        case none
    }

    mutating func receive(_ value: RESPValue) -> ReceiveAction {
        switch self.state {
        case .closed:
            return .none
        case .active:
            guard let head = self.pending.popFirst() else {
                let error = RedisClientError.protocolError("Received a reply with no command pending: \(value)")
                return .close(failing: [], with: self.close(with: error))
            }
            return .succeed(head.promise, value)
        }
    }

    enum TimerAction {
        case none
        case rearm(NIODeadline)
        /// Fail the timed-out command with the timeout error and the others with `othersError`, then close.
        case close(
            timedOut: EventLoopPromise<RESPValue>,
            timeoutError: RedisClientError,
            others: [EventLoopPromise<RESPValue>],
            othersError: RedisClientError
        )
    }

    mutating func timerFired(now: NIODeadline) -> TimerAction {
        self.timerArmed = false
        guard case .active = self.state, let head = self.pending.first else {
            return .none
        }
        if head.deadline > now {
            self.timerArmed = true
            return .rearm(head.deadline)
        }
        self.pending.removeFirst()
        let timeout = RedisClientError(code: .timeout, message: "Redis did not reply within the command timeout")
        let closed = RedisClientError.connectionClosed("Connection closed because an earlier command timed out")
        self.state = .closed(closed)
        let others = self.pending.map(\.promise)
        self.pending.removeAll()
        return .close(timedOut: head.promise, timeoutError: timeout, others: others, othersError: closed)
    }

    /// A decoder or socket error: fail everything in flight with it and close.
    mutating func errorCaught(_ error: RedisClientError) -> [EventLoopPromise<RESPValue>] {
        guard case .active = self.state else { return [] }
        _ = self.close(with: error)
        let failing = self.pending.map(\.promise)
        self.pending.removeAll()
        return failing
    }

    /// The channel is gone: fail what is left with the stored error, or `connectionClosed`.
    mutating func channelInactive() -> (promises: [EventLoopPromise<RESPValue>], error: RedisClientError) {
        let error: RedisClientError
        switch self.state {
        case .closed(let stored):
            error = stored
        case .active:
            error = .connectionClosed("The connection to Redis was closed")
            self.state = .closed(error)
        }
        let failing = self.pending.map(\.promise)
        self.pending.removeAll()
        return (failing, error)
    }

    private mutating func close(with error: RedisClientError) -> RedisClientError {
        self.state = .closed(error)
        return error
    }
}
