import NIOCore
import NIOEmbedded
import Testing

@testable import RedisClient

@Suite struct RedisCommandStateMachineTests {
    let loop = EmbeddedEventLoop()

    @Test func repliesAreMatchedInOrderAndOnlyTheFirstSendArmsTheTimer() throws {
        var machine = RedisCommandStateMachine()
        let first = self.loop.makePromise(of: RESPValue.self)
        let second = self.loop.makePromise(of: RESPValue.self)
        let deadline = NIODeadline.uptimeNanoseconds(1000)
        guard case .write(armTimerAt: deadline) = machine.sendCommand(promise: first, deadline: deadline) else {
            Issue.record("first send must write and arm the timer")
            return
        }
        guard case .write(armTimerAt: nil) = machine.sendCommand(promise: second, deadline: deadline + .seconds(1))
        else {
            Issue.record("second send must write without re-arming")
            return
        }
        guard case .succeed(let p1, .integer(1)) = machine.receive(.integer(1)) else {
            Issue.record("expected first promise")
            return
        }
        #expect(p1.futureResult === first.futureResult)
        guard case .succeed(let p2, .integer(2)) = machine.receive(.integer(2)) else {
            Issue.record("expected second promise")
            return
        }
        #expect(p2.futureResult === second.futureResult)
        #expect(machine.pendingCount == 0)
        first.succeed(.integer(0))
        second.succeed(.integer(0))
    }

    @Test func unsolicitedReplyClosesTheConnection() {
        var machine = RedisCommandStateMachine()
        guard case .close(failing: _, with: let error) = machine.receive(.simple("surprise")) else {
            Issue.record("an unsolicited reply must close")
            return
        }
        #expect(error.code == .protocolError)
        let promise = self.loop.makePromise(of: RESPValue.self)
        guard case .fail(_, let sendError) = machine.sendCommand(promise: promise, deadline: .uptimeNanoseconds(0))
        else {
            Issue.record("sends after close must fail")
            return
        }
        #expect(sendError.code == .protocolError)
        promise.fail(sendError)
    }

    @Test func timerRearmsForTheHeadThenTimesOutAndFailsTheRest() {
        var machine = RedisCommandStateMachine()
        let first = self.loop.makePromise(of: RESPValue.self)
        let second = self.loop.makePromise(of: RESPValue.self)
        _ = machine.sendCommand(promise: first, deadline: .uptimeNanoseconds(100))
        _ = machine.receive(.integer(1))  // first answered
        _ = machine.sendCommand(promise: second, deadline: .uptimeNanoseconds(300))
        let third = self.loop.makePromise(of: RESPValue.self)
        _ = machine.sendCommand(promise: third, deadline: .uptimeNanoseconds(400))

        guard case .rearm(let deadline) = machine.timerFired(now: .uptimeNanoseconds(100)) else {
            Issue.record("head not yet due: must re-arm")
            return
        }
        #expect(deadline == .uptimeNanoseconds(300))
        guard
            case .close(let timedOut, let timeoutError, let others, let othersError) =
                machine.timerFired(now: .uptimeNanoseconds(300))
        else {
            Issue.record("head due: must time out")
            return
        }
        #expect(timedOut.futureResult === second.futureResult)
        #expect(timeoutError.code == .timeout)
        #expect(others.map(\.futureResult) == [third.futureResult])
        #expect(othersError.code == .connectionClosed)
        first.succeed(.integer(0))
        second.fail(timeoutError)
        third.fail(othersError)
    }

    @Test func channelInactiveFailsEverythingPending() {
        var machine = RedisCommandStateMachine()
        let promise = self.loop.makePromise(of: RESPValue.self)
        _ = machine.sendCommand(promise: promise, deadline: .uptimeNanoseconds(100))
        let (promises, error) = machine.channelInactive()
        #expect(promises.count == 1)
        #expect(error.code == .connectionClosed)
        #expect(machine.pendingCount == 0)
        promise.fail(error)
    }
}

@Suite struct RedisClientStateMachineTests {
    typealias Machine = RedisClientStateMachine<String, String>

    @Test func commandsWaitWhileConnectingAndGetTheConnection() {
        var machine = Machine()
        guard case .wait = machine.acquire() else {
            Issue.record("before the first connect commands must wait")
            return
        }
        machine.addWaiter(id: 1, "w1")
        machine.addWaiter(id: 2, "w2")
        #expect(machine.removeWaiter(id: 2) == "w2")
        #expect(machine.removeWaiter(id: 2) == nil)
        guard case .succeed(let waiters) = machine.connected("conn") else {
            Issue.record("connected must hand out the connection")
            return
        }
        #expect(waiters == ["w1"])
        guard case .use("conn") = machine.acquire() else {
            Issue.record("connected: commands use the connection")
            return
        }
    }

    @Test func failedAttemptFailsWaitersAndThenFailsFastUntilTheNextAttempt() {
        var machine = Machine()
        machine.addWaiter(id: 1, "w1")
        let error = RedisClientError(code: .connectionFailed, message: "refused")
        #expect(machine.connectFailed(error) == ["w1"])
        guard case .fail(let failure) = machine.acquire() else {
            Issue.record("backing off: commands fail fast")
            return
        }
        #expect(failure.code == .connectionFailed)
        let attemptStarted = machine.connectAttemptStarted()
        #expect(attemptStarted)
        guard case .wait = machine.acquire() else {
            Issue.record("a new attempt: commands wait again")
            return
        }
    }

    @Test func lostConnectionMakesCommandsWaitForTheReconnect() {
        var machine = Machine()
        _ = machine.connected("c1")
        let reconnecting = machine.connectionLost()
        #expect(reconnecting)
        guard case .wait = machine.acquire() else {
            Issue.record("after a loss commands wait for the immediate reconnect")
            return
        }
        machine.addWaiter(id: 9, "w9")
        // The waiter survives the next attempt starting.
        let nextAttemptStarted = machine.connectAttemptStarted()
        #expect(nextAttemptStarted)
        guard case .succeed(let waiters) = machine.connected("c2") else {
            Issue.record("expected success")
            return
        }
        #expect(waiters == ["w9"])
    }

    @Test func shutdownFailsWaitersClosesTheConnectionAndStopsTheLoop() {
        var machine = Machine()
        machine.addWaiter(id: 1, "w1")
        let action = machine.shutdown()
        #expect(action.waitersToFail == ["w1"])
        #expect(action.connectionToClose == nil)
        let attemptAfterShutdown = machine.connectAttemptStarted()
        #expect(!attemptAfterShutdown)
        let reconnectAfterShutdown = machine.connectionLost()
        #expect(!reconnectAfterShutdown)
        guard case .closeConnection = machine.connected("late") else {
            Issue.record("a connection finished after shutdown must be closed")
            return
        }
        guard case .fail(let error) = machine.acquire() else {
            Issue.record("after shutdown commands fail")
            return
        }
        #expect(error.code == .clientShutdown)

        var connected = Machine()
        _ = connected.connected("c")
        #expect(connected.shutdown().connectionToClose == "c")
    }
}

@Suite struct RedisPubSubPushTests {
    @Test func classifiesPushes() throws {
        #expect(
            try RedisPubSubPush(.array([.bulk("message"), .bulk("ch"), .bulk("payload")]))
                == .message(channel: "ch", payload: ByteBuffer(string: "payload"))
        )
        #expect(
            try RedisPubSubPush(.array([.bulk("subscribe"), .bulk("ch"), .integer(1)]))
                == .subscribe(channel: "ch", count: 1)
        )
        #expect(
            try RedisPubSubPush(.array([.bulk("unsubscribe"), .bulkString(nil), .integer(0)]))
                == .unsubscribe(channel: nil, count: 0)
        )
        #expect(try RedisPubSubPush(.array([.bulk("pong"), .bulk("")])) == .pong)
    }

    @Test func rejectsErrorsAndUnexpectedShapes() {
        let server = #expect(throws: RedisClientError.self) {
            _ = try RedisPubSubPush(.err("NOAUTH Authentication required."))
        }
        #expect(server?.code == .serverError)
        #expect(server?.serverMessage == "NOAUTH Authentication required.")
        for value in [RESPValue.integer(1), .array([]), .array([.bulk("message"), .bulk("only-two")])] {
            let error = #expect(throws: RedisClientError.self) { _ = try RedisPubSubPush(value) }
            #expect(error?.code == .protocolError)
        }
    }
}
