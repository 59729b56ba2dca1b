public import NIOCore

/// What a subscription scope delivers: messages, plus the lifecycle events a consumer needs to stay gap-free.
public enum RedisSubscriptionEvent: Sendable {
    /// Redis confirmed the subscription to every requested channel.
    ///
    /// Delivered first when the scope starts and again after every re-subscription. Pub/sub has no replay, so with
    /// `isReconnect == true` messages published while the subscriber was away are lost: catch up from the system of
    /// record before trusting the live feed again.
    case subscribed(isReconnect: Bool)
    /// A message published on `channel`; `payload` is exactly the bytes the publisher sent.
    case message(channel: String, payload: ByteBuffer)
    /// The connection was lost or could not be (re-)established; the client retries with backoff while the scope
    /// lives, and a `.subscribed(isReconnect: true)` follows once it succeeds.
    case disconnected(RedisClientError)
}

/// The events of one subscription scope, as an async sequence with bounded buffering.
///
/// Iterate it once, inside the ``RedisClient/withSubscription(channels:_:)`` closure that handed it to you. It ends
/// (returns `nil`) when the scope exits; it throws only if the consumer task is cancelled.
public struct RedisSubscription: AsyncSequence, Sendable {
    /// The element type.
    public typealias Element = RedisSubscriptionEvent

    typealias Producer = NIOThrowingAsyncSequenceProducer<
        RedisSubscriptionEvent,
        any Error,
        NIOAsyncSequenceProducerBackPressureStrategies.HighLowWatermark,
        RedisSubscriptionControl
    >

    let base: Producer

    /// Creates the iterator; only one may be created.
    public func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(base: self.base.makeAsyncIterator())
    }

    /// Iterates the events.
    public struct AsyncIterator: AsyncIteratorProtocol {
        var base: Producer.AsyncIterator

        /// The next event, or `nil` once the subscription has ended.
        public mutating func next() async throws -> RedisSubscriptionEvent? {
            try await self.base.next()
        }
    }
}
