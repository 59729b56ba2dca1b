import NIOConcurrencyHelpers
import NIOCore

/// Shared state between a subscription's consumer, its connection loop and the event loop.
///
/// It is the producer delegate (demand signals from the consumer), the stop switch (scope exit), the interruptible
/// backoff sleep, and the liveness monitor. Everything is behind one lock; continuations are resumed outside it.
final class RedisSubscriptionControl: NIOAsyncSequenceProducerDelegate, Sendable {
    private struct State: Sendable {
        var stopped = false
        var demandSignalled = false
        var demandWaiter: CheckedContinuation<Void, Never>?
        var waitingForDemand = false
        var sleeper: CheckedContinuation<Void, Never>?
        var sleepWoken = false
        var channel: (any Channel)?
        var unsubscribeCommand: ByteBuffer?
        var sawActivity = true
        var pingOutstanding = false
    }

    private let state = NIOLockedValueBox(State())
    private let unsubscribeTimeout: TimeAmount

    init(unsubscribeTimeout: Duration) {
        self.unsubscribeTimeout = TimeAmount(unsubscribeTimeout)
    }

    var isStopped: Bool {
        self.state.withLockedValue { $0.stopped }
    }

    // MARK: Producer delegate

    func produceMore() {
        let waiter = self.state.withLockedValue { state -> CheckedContinuation<Void, Never>? in
            let waiter = state.demandWaiter
            state.demandWaiter = nil
            if waiter == nil {
                state.demandSignalled = true
            }
            return waiter
        }
        waiter?.resume()
    }

    func didTerminate() {
        self.stop()
    }

    /// Suspends the connection loop until the consumer has drained the buffer (or the scope stops).
    func waitForDemand() async {
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let resumeNow = self.state.withLockedValue { state -> Bool in
                    if state.stopped || state.demandSignalled {
                        state.demandSignalled = false
                        return true
                    }
                    state.demandWaiter = continuation
                    state.waitingForDemand = true
                    return false
                }
                if resumeNow {
                    continuation.resume()
                }
            }
            self.state.withLockedValue { $0.waitingForDemand = false }
        } onCancel: {
            self.produceMore()
        }
    }

    // MARK: Stop

    /// Ends the scope: wakes the loop, and if a connection is subscribed, sends `UNSUBSCRIBE` so the loop can end
    /// cleanly, closing the socket anyway if Redis does not confirm in time.
    func stop() {
        let (waiters, channel, unsubscribe) = self.state.withLockedValue { state in
            guard !state.stopped else {
                return ([CheckedContinuation<Void, Never>](), (any Channel)?.none, ByteBuffer?.none)
            }
            state.stopped = true
            let waiters = [state.demandWaiter, state.sleeper].compactMap { $0 }
            state.demandWaiter = nil
            state.sleeper = nil
            return (waiters, state.channel, state.unsubscribeCommand)
        }
        for waiter in waiters { waiter.resume() }
        if let channel, let unsubscribe {
            channel.writeAndFlush(unsubscribe, promise: nil)
            channel.eventLoop.scheduleTask(in: self.unsubscribeTimeout) {
                channel.close(promise: nil)
            }
        }
    }

    // MARK: Connection attachment and liveness

    /// Registers the subscribed channel so ``stop()`` can unsubscribe; `false` if the scope already stopped.
    func attach(_ channel: any Channel, unsubscribeCommand: ByteBuffer) -> Bool {
        self.state.withLockedValue { state in
            guard !state.stopped else { return false }
            state.channel = channel
            state.unsubscribeCommand = unsubscribeCommand
            state.sawActivity = true
            state.pingOutstanding = false
            return true
        }
    }

    func detach() {
        self.state.withLockedValue { state in
            state.channel = nil
            state.unsubscribeCommand = nil
        }
    }

    func recordActivity() {
        self.state.withLockedValue { state in
            state.sawActivity = true
            state.pingOutstanding = false
        }
    }

    enum LivenessAction: Equatable {
        case none
        case ping
        case close
    }

    /// Called every ping interval: ping after an idle interval, give up after a second one without any reply.
    /// A consumer that is slow (the loop waits for demand) is not a dead connection, so it never triggers a close.
    func livenessTick() -> LivenessAction {
        self.state.withLockedValue { state in
            if state.sawActivity || state.waitingForDemand {
                state.sawActivity = false
                return .none
            }
            if state.pingOutstanding {
                return .close
            }
            state.pingOutstanding = true
            return .ping
        }
    }

    // MARK: Backoff sleep

    /// Sleeps for `delay`; returns early when the scope stops or the task is cancelled.
    func sleep(for delay: Duration, on eventLoop: any EventLoop) async {
        self.state.withLockedValue { $0.sleepWoken = false }
        let wake: @Sendable () -> Void = {
            let sleeper = self.state.withLockedValue { state in
                let sleeper = state.sleeper
                state.sleeper = nil
                state.sleepWoken = true
                return sleeper
            }
            sleeper?.resume()
        }
        let scheduled = eventLoop.scheduleTask(in: TimeAmount(delay)) { wake() }
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let resumeNow = self.state.withLockedValue { state -> Bool in
                    if state.stopped || state.sleepWoken || Task.isCancelled { return true }
                    state.sleeper = continuation
                    return false
                }
                if resumeNow {
                    continuation.resume()
                }
            }
        } onCancel: {
            wake()
        }
        scheduled.cancel()
    }
}
