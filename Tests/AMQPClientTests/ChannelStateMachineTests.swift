import NIOCore
import NIOEmbedded
import Testing

@testable import AMQPClient

@Suite final class ChannelStateMachineTests {
    let loop = EmbeddedEventLoop()
    private var rpcPromises: [ChannelStateMachine.RPCPromise] = []
    private var confirmPromises: [ChannelStateMachine.ConfirmPromise] = []

    deinit {
        // Promises a test left pending are completed so NIO's leak check stays quiet.
        struct Done: Error {}
        for promise in self.rpcPromises { promise.fail(Done()) }
        for promise in self.confirmPromises { promise.fail(Done()) }
    }

    func rpcPromise() -> ChannelStateMachine.RPCPromise {
        let promise: ChannelStateMachine.RPCPromise = self.loop.makePromise()
        self.rpcPromises.append(promise)
        return promise
    }

    func confirmPromise() -> ChannelStateMachine.ConfirmPromise {
        let promise: ChannelStateMachine.ConfirmPromise = self.loop.makePromise()
        self.confirmPromises.append(promise)
        return promise
    }

    func openMachine() -> ChannelStateMachine {
        var machine = ChannelStateMachine(channelID: 1)
        let promise = self.rpcPromise()
        _ = machine.sendRPC(.channelOpen, promise: promise)
        _ = machine.methodReceived(.channelOpenOk)
        return machine
    }

    @Test func rpcsAreSerialised() throws {
        var machine = self.openMachine()
        let first = self.rpcPromise()
        let second = self.rpcPromise()
        let declare = AMQPMethod.queueDeclare(
            .init(
                queue: "q", passive: false, durable: true, exclusive: false, autoDelete: false, noWait: false,
                arguments: [:])
        )
        guard case .send(let sent) = machine.sendRPC(declare, promise: first) else {
            Issue.record()
            return
        }
        #expect(sent == declare)
        // Second request waits for the first response.
        guard case .none = machine.sendRPC(.basicQos(prefetchSize: 0, prefetchCount: 5, global: false), promise: second)
        else {
            Issue.record("second RPC was sent while the first was outstanding")
            return
        }
        let response = AMQPMethod.queueDeclareOk(queue: "q", messageCount: 0, consumerCount: 0)
        guard case .succeed(let promise, let method, let next) = machine.methodReceived(response) else {
            Issue.record()
            return
        }
        promise.succeed(.init(method: method))
        #expect(try first.futureResult.wait().method == response)
        #expect(next == .basicQos(prefetchSize: 0, prefetchCount: 5, global: false))
        guard case .succeed(let promise2, _, let none) = machine.methodReceived(.basicQosOk) else {
            Issue.record()
            return
        }
        promise2.succeed(.init(method: .basicQosOk))
        #expect(none == nil)
    }

    @Test func mismatchedResponseIsAConnectionError() {
        var machine = self.openMachine()
        _ = machine.sendRPC(.basicQos(prefetchSize: 0, prefetchCount: 1, global: false), promise: self.rpcPromise())
        guard case .connectionError(let error) = machine.methodReceived(.queueBindOk) else {
            Issue.record()
            return
        }
        #expect(error.replyCode == 505)
    }

    @Test func contentIsAssembledFromSeveralBodyFrames() {
        var machine = self.openMachine()
        _ = machine.methodReceived(
            .basicDeliver(consumerTag: "c", deliveryTag: 9, redelivered: true, exchange: "e", routingKey: "k")
        )
        let properties = AMQPProperties(messageID: "m")
        guard case .none = machine.headerReceived(.init(classID: 60, bodySize: 6, properties: properties)) else {
            Issue.record()
            return
        }
        guard case .none = machine.bodyReceived(ByteBuffer(string: "abc")) else {
            Issue.record()
            return
        }
        guard case .none = machine.bodyReceived(ByteBuffer(string: "de")) else {
            Issue.record()
            return
        }
        guard case .deliver(let tag, let message) = machine.bodyReceived(ByteBuffer(string: "f")) else {
            Issue.record("no delivery")
            return
        }
        #expect(tag == "c")
        #expect(message.deliveryTag == 9)
        #expect(message.redelivered)
        #expect(String(buffer: message.body) == "abcdef")
        #expect(message.properties == properties)
    }

    @Test func emptyBodyDeliversOnHeader() {
        var machine = self.openMachine()
        _ = machine.methodReceived(
            .basicDeliver(consumerTag: "c", deliveryTag: 1, redelivered: false, exchange: "", routingKey: "q")
        )
        guard
            case .deliver(_, let message) = machine.headerReceived(.init(classID: 60, bodySize: 0, properties: .init()))
        else {
            Issue.record()
            return
        }
        #expect(message.body.readableBytes == 0)
    }

    @Test func methodInterleavedWithContentIsUnexpectedFrame() {
        var machine = self.openMachine()
        _ = machine.methodReceived(
            .basicDeliver(consumerTag: "c", deliveryTag: 1, redelivered: false, exchange: "", routingKey: "q")
        )
        guard case .connectionError(let error) = machine.methodReceived(.basicQosOk) else {
            Issue.record()
            return
        }
        #expect(error.replyCode == 505)
        var fresh = self.openMachine()
        guard case .connectionError = fresh.bodyReceived(ByteBuffer(string: "x")) else {
            Issue.record()
            return
        }
    }

    @Test func bodyLongerThanDeclaredIsAFrameError() {
        var machine = self.openMachine()
        _ = machine.methodReceived(
            .basicDeliver(consumerTag: "c", deliveryTag: 1, redelivered: false, exchange: "", routingKey: "q")
        )
        _ = machine.headerReceived(.init(classID: 60, bodySize: 2, properties: .init()))
        guard case .connectionError(let error) = machine.bodyReceived(ByteBuffer(string: "xyz")) else {
            Issue.record()
            return
        }
        #expect(error.code == .frameError)
    }

    @Test func brokerChannelCloseFailsPendingWorkAndAnswersCloseOk() throws {
        var machine = self.openMachine()
        let rpc = self.rpcPromise()
        _ = machine.sendRPC(.confirmSelect(noWait: false), promise: rpc)
        _ = machine.methodReceived(.confirmSelectOk)
        rpc.succeed(.init(method: .confirmSelectOk))
        let publish = self.confirmPromise()
        #expect(machine.publish(promise: publish, mandatory: nil) == nil)
        let pending = self.rpcPromise()
        _ = machine.sendRPC(.queuePurge(queue: "q", noWait: false), promise: pending)
        let action = machine.methodReceived(
            .channelClose(.init(replyCode: 404, replyText: "NOT_FOUND - no queue 'q'", classID: 50, methodID: 30))
        )
        guard case .closed(let error, let rpcs, let confirms, let sendCloseOk) = action else {
            Issue.record()
            return
        }
        #expect(sendCloseOk)
        #expect(error.code == .channelClosedByBroker)
        #expect(error.replyCode == 404)
        #expect(error.classID == 50)
        #expect(error.methodID == 30)
        #expect(rpcs.count == 1)
        #expect(confirms.count == 1)
        for promise in rpcs { promise.fail(error) }
        for promise in confirms { promise.fail(error) }
        // Further requests fail immediately with the close reason.
        let late = self.rpcPromise()
        guard
            case .fail(_, let lateError) = machine.sendRPC(
                .basicQos(prefetchSize: 0, prefetchCount: 1, global: false), promise: late)
        else {
            Issue.record("expected the request to fail")
            return
        }
        #expect(lateError.replyCode == 404)
    }

    @Test func publishesAreNumberedFromConfirmSelect() throws {
        var machine = self.openMachine()
        let before = self.confirmPromise()
        #expect(machine.publish(promise: before, mandatory: nil) == nil)
        #expect(machine.confirms == nil)
        before.succeed(.unconfirmed)
        _ = machine.sendRPC(.confirmSelect(noWait: false), promise: self.rpcPromise())
        #expect(machine.confirms?.nextTag == 1)
        let first = self.confirmPromise()
        let second = self.confirmPromise()
        _ = machine.publish(promise: first, mandatory: nil)
        _ = machine.publish(promise: second, mandatory: nil)
        _ = machine.methodReceived(.confirmSelectOk)
        guard case .confirms(let resolved) = machine.methodReceived(.basicAck(deliveryTag: 2, multiple: true)) else {
            Issue.record()
            return
        }
        #expect(resolved.count == 2)
        #expect(resolved.map(\.1) == [.ack, .ack])
        for (promise, _) in resolved { promise.succeed(.ack) }
    }

    @Test func channelFlowIsAcknowledged() {
        var machine = self.openMachine()
        guard case .sendFlowOk(let active) = machine.methodReceived(.channelFlow(active: false)) else {
            Issue.record()
            return
        }
        #expect(!active)
    }

    @Test func requestsOnAClosedChannelFailWithTheCloseReason() {
        var machine = self.openMachine()
        _ = machine.methodReceived(
            .channelClose(.init(replyCode: 406, replyText: "PRECONDITION_FAILED", classID: 60, methodID: 80))
        )
        guard case .fail(_, let error) = machine.sendRPC(.basicRecover(requeue: true), promise: self.rpcPromise())
        else {
            Issue.record()
            return
        }
        #expect(error.replyCode == 406)
        #expect(machine.publish(promise: self.confirmPromise(), mandatory: nil)?.replyCode == 406)
    }

    @Test func clientCloseHandshakeDiscardsLateFrames() {
        var machine = self.openMachine()
        let close = self.rpcPromise()
        guard case .send(.channelClose(let reason)) = machine.closeRequested(promise: close) else {
            Issue.record()
            return
        }
        #expect(reason.replyCode == 200)
        // A delivery racing with our close is dropped (spec §2.2.5).
        guard case .none = machine.methodReceived(.basicAck(deliveryTag: 1, multiple: false)) else {
            Issue.record()
            return
        }
        guard case .closed(let error, _, _, let sendCloseOk) = machine.methodReceived(.channelCloseOk) else {
            Issue.record()
            return
        }
        #expect(!sendCloseOk)
        #expect(error.code == .channelClosed)
    }

    @Test func serverCancelRequestsCancelOk() {
        var machine = self.openMachine()
        guard
            case .consumerCancelledByBroker(let tag, let reply) = machine.methodReceived(
                .basicCancel(consumerTag: "c1", noWait: false)
            )
        else {
            Issue.record()
            return
        }
        #expect(tag == "c1")
        #expect(reply)
    }
}

@Suite struct ConfirmTrackerTests {
    @Test func singleAndMultipleAcksOutOfOrder() {
        var tracker = ConfirmTracker<Int>()
        for waiter in 1...6 { #expect(tracker.register(waiter) == UInt64(waiter)) }
        #expect(tracker.resolve(deliveryTag: 3, multiple: false, ack: true).map(\.0) == [3])
        #expect(tracker.resolve(deliveryTag: 4, multiple: true, ack: true).map(\.0) == [1, 2, 4])
        let nacked = tracker.resolve(deliveryTag: 5, multiple: false, ack: false)
        #expect(nacked.map(\.0) == [5])
        #expect(nacked.map(\.1) == [.nack])
        // Duplicate or unknown tags resolve nothing.
        #expect(tracker.resolve(deliveryTag: 3, multiple: false, ack: true).isEmpty)
        #expect(tracker.resolve(deliveryTag: 99, multiple: false, ack: true).isEmpty)
        #expect(tracker.outstandingCount == 1)
        #expect(tracker.failAll() == [6])
        #expect(tracker.outstandingCount == 0)
    }

    @Test func expireTakesOnlyOverduePublishesAndIgnoresTheirLateConfirms() {
        var tracker = ConfirmTracker<Int>()
        let start = NIODeadline.uptimeNanoseconds(1_000_000_000)
        for waiter in 1...5 {
            _ = tracker.register(
                waiter, mandatory: waiter == 2 ? .init(exchange: "e", routingKey: "k", bodyHash: 0) : nil,
                at: start + .seconds(Int64(waiter)))
        }
        #expect(tracker.resolve(deliveryTag: 1, multiple: false, ack: true).map(\.0) == [1])
        // Registered at +2 s and +3 s: overdue at a cutoff of +3.5 s; +4 s and +5 s are not.
        #expect(tracker.expire(registeredBefore: start + .milliseconds(3_500)) == [2, 3])
        #expect(tracker.outstandingCount == 2)
        // The broker's late multiple ack covers the expired tags too: only the live ones resolve.
        #expect(tracker.resolve(deliveryTag: 4, multiple: true, ack: true).map(\.0) == [4])
        #expect(tracker.expire(registeredBefore: start + .seconds(60)) == [5])
        #expect(tracker.outstandingCount == 0)
        #expect(tracker.register(6) == 6)
        #expect(tracker.expire(registeredBefore: start).isEmpty)
    }

    @Test func multipleAckBeyondPublishedIsClamped() {
        var tracker = ConfirmTracker<Int>()
        _ = tracker.register(1)
        #expect(tracker.resolve(deliveryTag: 50, multiple: true, ack: true).map(\.0) == [1])
        #expect(tracker.register(2) == 2)
        #expect(tracker.resolve(deliveryTag: 2, multiple: false, ack: true).map(\.0) == [2])
    }

    @Test func returnAttachesToMatchingMandatoryPublish() {
        var tracker = ConfirmTracker<String>()
        let body = ByteBuffer(string: "b")
        let key = ConfirmTracker<String>.MandatoryKey(exchange: "e", routingKey: "k", bodyHash: body.hashValue)
        _ = tracker.register("routable", mandatory: .init(exchange: "e", routingKey: "other", bodyHash: 0))
        _ = tracker.register("plain")
        _ = tracker.register("unroutable", mandatory: key)
        let returned = AMQPReturnedMessage(
            replyCode: 312,
            replyText: "NO_ROUTE",
            exchange: "e",
            routingKey: "k",
            properties: .init(),
            body: body
        )
        let matched = tracker.matchReturn(returned)
        #expect(matched)
        let resolved = tracker.resolve(deliveryTag: 3, multiple: true, ack: true)
        #expect(resolved.map(\.0) == ["routable", "plain", "unroutable"])
        #expect(resolved.map(\.1) == [.ack, .ack, .returned(returned)])
        let matchedAgain = tracker.matchReturn(returned)
        #expect(!matchedAgain)
    }
}
