import NIOCore
import NIOEmbedded
import Testing

@testable import RedisClient

@Suite struct RedisSubscriptionControlTests {
    @Test func livenessPingsAfterOneIdleIntervalAndClosesAfterTwo() {
        let control = RedisSubscriptionControl(unsubscribeTimeout: .seconds(1))
        let channel = EmbeddedChannel()
        #expect(control.attach(channel, unsubscribeCommand: .init()))
        #expect(control.livenessTick() == .none)  // activity at attach
        #expect(control.livenessTick() == .ping)
        #expect(control.livenessTick() == .close)
    }

    @Test func activityResetsTheLivenessCheck() {
        let control = RedisSubscriptionControl(unsubscribeTimeout: .seconds(1))
        #expect(control.attach(EmbeddedChannel(), unsubscribeCommand: .init()))
        #expect(control.livenessTick() == .none)
        #expect(control.livenessTick() == .ping)
        control.recordActivity()  // the pong (or any message)
        #expect(control.livenessTick() == .none)
        #expect(control.livenessTick() == .ping)
    }

    @Test func stopWakesWaitersAndRefusesLaterAttach() async {
        let control = RedisSubscriptionControl(unsubscribeTimeout: .seconds(1))
        let loop = EmbeddedEventLoop()
        async let slept: Void = control.sleep(for: .seconds(3600), on: loop)
        async let waited: Void = control.waitForDemand()
        try? await Task.sleep(for: .milliseconds(50))
        control.stop()
        _ = await (slept, waited)
        #expect(control.isStopped)
        #expect(!control.attach(EmbeddedChannel(), unsubscribeCommand: .init()))
    }

    @Test func stopSendsUnsubscribeOnTheAttachedChannel() throws {
        let control = RedisSubscriptionControl(unsubscribeTimeout: .seconds(1))
        let channel = EmbeddedChannel()
        try channel.connect(to: .init(ipAddress: "127.0.0.1", port: 6379)).wait()
        var unsubscribe = channel.allocator.buffer(capacity: 32)
        unsubscribe.writeRESPCommand("UNSUBSCRIBE", arguments: ["c"])
        #expect(control.attach(channel, unsubscribeCommand: unsubscribe))
        control.stop()
        #expect(try channel.readOutbound(as: ByteBuffer.self) == unsubscribe)
        #expect(channel.isActive)
        channel.embeddedEventLoop.advanceTime(by: .seconds(1))
        #expect(!channel.isActive)  // no confirmation in time: closed anyway
    }

    @Test func demandSignalledBeforeWaitingIsNotLost() async {
        let control = RedisSubscriptionControl(unsubscribeTimeout: .seconds(1))
        control.produceMore()
        await control.waitForDemand()  // must return at once
        #expect(!control.isStopped)
    }
}
