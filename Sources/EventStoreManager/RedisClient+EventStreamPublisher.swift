import NIOCore
import RedisClient

extension RedisClient: EventStreamPublisher {
    /// Publishes all messages in one pipelined batch (one write, replies in order).
    public func publish(channel: String, messages: [[UInt8]]) async throws {
        _ = try await publish(channel: channel, messages: messages.map { RESPArgument(ByteBuffer(bytes: $0)) })
    }
}
