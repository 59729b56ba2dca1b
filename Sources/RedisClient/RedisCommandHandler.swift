import Logging
import NIOCore

/// A command on its way to Redis: the encoded bytes and where to deliver the reply.
struct RedisRequest: Sendable {
    enum Promises: Sendable {
        case single(EventLoopPromise<RESPValue>)
        /// One write carrying several commands, answered in order: one event-loop hop for a whole batch.
        case pipeline([EventLoopPromise<RESPValue>])
    }

    var bytes: ByteBuffer
    var promises: Promises
    var deadline: NIODeadline
}

/// Performs the actions of ``RedisCommandStateMachine`` on a channel; holds no protocol logic of its own.
///
/// Writes are coalesced: the first write of an event-loop tick schedules one flush for the end of the tick, so a
/// burst of pipelined commands goes out in few syscalls without callers having to batch.
final class RedisCommandHandler: ChannelDuplexHandler {
    typealias InboundIn = RESPValue
    typealias OutboundIn = RedisRequest
    typealias OutboundOut = ByteBuffer

    private var stateMachine = RedisCommandStateMachine()
    private var flushScheduled = false
    private var timer: Scheduled<Void>?
    private let logger: Logger

    init(logger: Logger) {
        self.logger = logger
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let request = self.unwrapOutboundIn(data)
        let armTimerAt: NIODeadline?
        switch request.promises {
        case .single(let commandPromise):
            switch self.stateMachine.sendCommand(promise: commandPromise, deadline: request.deadline) {
            case .fail(let commandPromise, let error):
                commandPromise.fail(error)
                promise?.fail(error)
                return
            case .write(let deadline):
                armTimerAt = deadline
            }
        case .pipeline(let commandPromises):
            switch self.stateMachine.sendPipeline(promises: commandPromises, deadline: request.deadline) {
            case .fail(let commandPromises, let error):
                for commandPromise in commandPromises { commandPromise.fail(error) }
                promise?.fail(error)
                return
            case .write(let deadline):
                armTimerAt = deadline
            }
        }
        if let armTimerAt {
            self.armTimer(context: context, deadline: armTimerAt)
        }
        context.write(self.wrapOutboundOut(request.bytes), promise: promise)
        self.scheduleFlush(context: context)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let value = self.unwrapInboundIn(data)
        switch self.stateMachine.receive(value) {
        case .none:
            break
        case .succeed(let promise, let value):
            promise.succeed(value)
        case .close(let promises, let error):
            self.logger.error("Redis protocol out of sync, closing", metadata: ["error": "\(error)"])
            for promise in promises { promise.fail(error) }
            context.close(promise: nil)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        let redisError: RedisClientError
        if let error = error as? RedisClientError {
            redisError = error
        } else {
            redisError = RedisClientError(
                code: .connectionClosed,
                message: "The connection to Redis failed",
                underlying: error
            )
        }
        let promises = self.stateMachine.errorCaught(redisError)
        for promise in promises { promise.fail(redisError) }
        context.close(promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        let (promises, error) = self.stateMachine.channelInactive()
        for promise in promises { promise.fail(error) }
        self.timer?.cancel()
        self.timer = nil
        context.fireChannelInactive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        let (promises, error) = self.stateMachine.channelInactive()
        for promise in promises { promise.fail(error) }
        self.timer?.cancel()
        self.timer = nil
    }

    private func scheduleFlush(context: ChannelHandlerContext) {
        guard !self.flushScheduled else { return }
        self.flushScheduled = true
        context.eventLoop.assumeIsolated().execute {
            self.flushScheduled = false
            context.flush()
        }
    }

    private func armTimer(context: ChannelHandlerContext, deadline: NIODeadline) {
        self.timer = context.eventLoop.assumeIsolated().scheduleTask(deadline: deadline) {
            self.timerFired(context: context)
        }
    }

    private func timerFired(context: ChannelHandlerContext) {
        self.timer = nil
        switch self.stateMachine.timerFired(now: context.eventLoop.now) {
        case .none:
            break
        case .rearm(let deadline):
            self.armTimer(context: context, deadline: deadline)
        case .close(let timedOut, let timeoutError, let others, let othersError):
            self.logger.warning("Redis command timed out, closing the connection")
            timedOut.fail(timeoutError)
            for promise in others { promise.fail(othersError) }
            context.close(promise: nil)
        }
    }
}
