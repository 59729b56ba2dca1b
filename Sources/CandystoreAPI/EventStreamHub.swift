import BloodbankModel
import EventStoreQueries
import Foundation
import Logging
import NIOConcurrencyHelpers
import NIOCore
import RedisClient
import ServiceLifecycle

/// One event on its way to WebSocket clients.
struct StreamEvent: Sendable {
    /// Global, gapless position.
    var position: Int64
    /// For `event_type` filters.
    var eventType: String
    /// The workflow id when known: exact for events read from the store, the payload's `workflow_id` for
    /// Redis messages (an inherited id is not in the JSON, so a workflow filter asks the store).
    var workflowID: UUID?
    /// Whether ``workflowID`` is the stored column (true) or only what the payload says.
    var workflowIDIsExact: Bool
    /// The stored event JSON with `position`, ready to embed as `data`.
    var json: [UInt8]
    /// The complete `{"type":"event",…}` frame, built once and shared by every session.
    var frame: String

    /// An event read from the store (its `workflow_id` column is exact).
    ///
    /// Takes the fields rather than the stored-event type so this module never names that type (EventStore
    /// and EventStoreQueries may both declare it until they are unified).
    init(position: Int64, eventType: String, workflowID: UUID?, json: [UInt8]) {
        self.position = position
        self.eventType = eventType
        self.workflowID = workflowID
        workflowIDIsExact = true
        self.json = json
        frame = StreamSession.eventFrame(position: position, json: json)
    }

    /// Parses a Redis `events:stream` message (stored event JSON with `position`); `nil` when malformed.
    init?(message bytes: [UInt8]) {
        guard case .object(let object)? = try? JSONValue(parsing: bytes),
            case .number(let number)? = object["position"], let position = number.int64Value, position > 0,
            case .string(let eventType)? = object["event_type"]
        else { return nil }
        self.position = position
        self.eventType = eventType
        if case .object(let payload)? = object["payload"], case .string(let text)? = payload["workflow_id"],
            let id = BloodbankUUID.parse(text)
        {
            workflowID = id
            workflowIDIsExact = true
        } else {
            workflowID = nil
            workflowIDIsExact = false
        }
        json = bytes
        frame = StreamSession.eventFrame(position: position, json: bytes)
    }
}

/// What a stream session receives through its bounded queue.
enum StreamInput: Sendable {
    case event(StreamEvent)
    case heartbeat
    case subscribe(EventStreamFilter)
    case clientError(String)
}

/// Fans the event feed out to WebSocket sessions: ONE Redis subscription per process (re-established with
/// backoff by ``RedisClient``), plus a store poller that takes over while Redis is down and, while it is up,
/// periodically catches whatever Redis may have dropped.
///
/// Every session gets every event through a bounded queue and filters itself; positions are gapless, so a
/// session detects a missed event exactly and repairs it from the store. A session whose queue overflows is
/// evicted (closed with an error frame) instead of growing memory.
final class EventStreamHub: Service, Sendable {
    struct Configuration: Sendable {
        var redis: RedisClient.Configuration?
        var channel: String
        var fallbackPollInterval: Duration
        var safetyPollInterval: Duration
    }

    /// A registered session's end of the hub.
    final class Subscriber: Sendable {
        let id: Int
        let inputs: AsyncStream<StreamInput>
        let continuation: AsyncStream<StreamInput>.Continuation
        let eviction: AsyncStream<Void>
        let evictionContinuation: AsyncStream<Void>.Continuation
        let evicted = NIOLockedValueBox(false)

        init(id: Int, bufferSize: Int) {
            self.id = id
            (inputs, continuation) = AsyncStream.makeStream(
                of: StreamInput.self, bufferingPolicy: .bufferingOldest(bufferSize))
            (eviction, evictionContinuation) = AsyncStream.makeStream(of: Void.self)
        }

        /// Queues an event; `false` when the queue is full (the caller evicts).
        func offer(_ event: StreamEvent) -> Bool {
            if case .dropped = continuation.yield(.event(event)) { return false }
            return true
        }

        func evict() {
            let first = evicted.withLockedValue { value -> Bool in
                defer { value = true }
                return !value
            }
            guard first else { return }
            evictionContinuation.yield(())
            evictionContinuation.finish()
        }
    }

    private struct State {
        var subscribers: [Int: Subscriber] = [:]
        var nextID = 0
        var lastPosition: Int64 = 0
        /// Whether ``lastPosition`` has been read from the store (until then no Redis message is trusted).
        var initialized = false
        var redisLive = false
        var evictions = 0
    }

    let configuration: Configuration
    let reader: any EventStoreReading
    let logger: Logger
    private let state = NIOLockedValueBox(State())
    /// Rows per poll; a full page is followed by another poll at once.
    static let pollPageSize = 500

    /// Set by the Redis side to make the poller run now (cheaper than cancelling and restarting a sleep).
    private let pollRequested = NIOLockedValueBox(false)

    init(configuration: Configuration, reader: any EventStoreReading, logger: Logger) {
        self.configuration = configuration
        self.reader = reader
        self.logger = logger
    }

    /// Whether the Redis subscription is currently established.
    var isRedisLive: Bool { state.withLockedValue { $0.redisLive } }
    /// Connected sessions.
    var subscriberCount: Int { state.withLockedValue { $0.subscribers.count } }
    /// Whether the hub knows the store's last position (sessions wait for it before their catch-up read).
    var isInitialized: Bool { state.withLockedValue { $0.initialized } }
    /// Sessions evicted for being too slow since start.
    var evictionCount: Int { state.withLockedValue { $0.evictions } }

    func subscribe(bufferSize: Int) -> Subscriber {
        state.withLockedValue { state in
            state.nextID += 1
            let subscriber = Subscriber(id: state.nextID, bufferSize: bufferSize)
            state.subscribers[subscriber.id] = subscriber
            return subscriber
        }
    }

    func unsubscribe(_ subscriber: Subscriber) {
        _ = state.withLockedValue { $0.subscribers.removeValue(forKey: subscriber.id) }
        subscriber.continuation.finish()
    }

    /// Delivers one event to every session, evicting those whose queue is full.
    func broadcast(_ event: StreamEvent) {
        let subscribers = state.withLockedValue { state -> [Subscriber] in
            state.lastPosition = max(state.lastPosition, event.position)
            return Array(state.subscribers.values)
        }
        for subscriber in subscribers where !subscriber.offer(event) {
            state.withLockedValue {
                $0.subscribers.removeValue(forKey: subscriber.id)
                $0.evictions += 1
            }
            logger.warning("evicting slow stream client", metadata: ["client": "\(subscriber.id)"])
            subscriber.evict()
        }
    }

    /// Broadcasts a Redis message only when it is the next position after the last one the hub delivered
    /// (positions are gapless, so that is the one the manager announces next); an older one is a duplicate and
    /// dropped. Anything further ahead is not trusted: its position may be made up (any local process can
    /// publish on the channel), so the poller reads that range from the store instead. Returns whether the
    /// message was taken (delivered or a duplicate).
    func broadcastIfNext(_ event: StreamEvent) -> Bool {
        let verdict = state.withLockedValue { state -> Bool? in
            guard state.initialized else { return nil }
            if event.position <= state.lastPosition { return false }
            return event.position - 1 == state.lastPosition ? true : nil
        }
        switch verdict {
        case true?:
            broadcast(event)
            return true
        case false?:
            return true
        case nil:
            return false
        }
    }

    /// Records the store's last position at start-up; from then on Redis messages are checked against it.
    func initialize(lastPosition: Int64) {
        state.withLockedValue {
            $0.lastPosition = Swift.max($0.lastPosition, lastPosition)
            $0.initialized = true
        }
    }

    private func requestPoll() {
        pollRequested.withLockedValue { $0 = true }
    }

    func run() async throws {
        await cancelWhenGracefulShutdown {
            await withTaskGroup(of: Void.self) { group in
                if let redis = self.configuration.redis {
                    group.addTask { await self.runRedis(redis) }
                }
                group.addTask { await self.runPoller() }
                await group.waitForAll()
            }
        }
        // Sessions end with the hub (their handlers then close the sockets).
        let subscribers = state.withLockedValue { state -> [Subscriber] in
            defer { state.subscribers = [:] }
            return Array(state.subscribers.values)
        }
        for subscriber in subscribers { subscriber.continuation.finish() }
    }

    private func runRedis(_ redisConfiguration: RedisClient.Configuration) async {
        let client = RedisClient(configuration: redisConfiguration, logger: logger)
        while !Task.isCancelled {
            do {
                try await client.withSubscription(channels: [configuration.channel]) { events in
                    for try await event in events {
                        switch event {
                        case .subscribed(let isReconnect):
                            state.withLockedValue { $0.redisLive = true }
                            logger.info("stream subscribed to Redis", metadata: ["reconnect": "\(isReconnect)"])
                            // Pub/sub has no replay: fetch whatever was committed while we were away.
                            requestPoll()
                        case .message(_, let payload):
                            let bytes = Array(payload.readableBytesView)
                            if let streamEvent = StreamEvent(message: bytes) {
                                if !broadcastIfNext(streamEvent) {
                                    // Ahead of what the hub has seen (a lost message, two managers
                                    // announcing out of order, or a forged position): the store decides.
                                    requestPoll()
                                }
                            } else {
                                logger.warning("ignoring malformed events:stream message")
                                requestPoll()
                            }
                        case .disconnected(let error):
                            state.withLockedValue { $0.redisLive = false }
                            logger.warning(
                                "Redis subscription lost; polling the store", metadata: ["error": "\(error)"])
                            requestPoll()
                        }
                    }
                }
            } catch {
                state.withLockedValue { $0.redisLive = false }
                if Task.isCancelled { break }
                logger.warning("Redis subscription failed", metadata: ["error": "\(error)"])
                try? await Task.sleep(for: .seconds(1))
            }
        }
        state.withLockedValue { $0.redisLive = false }
    }

    /// Polls `position > last` quickly while Redis is down and slowly while it is up (a safety net for a
    /// message lost between commit and PUBLISH, which the gapless positions reveal only once a later event
    /// arrives).
    private func runPoller() async {
        var initialized = false
        var failing = false
        while !Task.isCancelled {
            pollRequested.withLockedValue { $0 = false }
            do {
                var more = false
                if !initialized {
                    let max = try await reader.maxPosition()
                    initialize(lastPosition: max)
                    initialized = true
                } else {
                    let from = state.withLockedValue { $0.lastPosition } + 1
                    let events = try await reader.events(
                        positions: from, through: Int64.max, filter: EventStreamFilter(), limit: Self.pollPageSize)
                    for event in events {
                        broadcast(
                            StreamEvent(
                                position: event.position, eventType: event.envelope.eventType,
                                workflowID: event.workflowID, json: event.jsonBytes()))
                    }
                    more = events.count == Self.pollPageSize
                }
                if failing {
                    failing = false
                    logger.info("stream poll recovered")
                }
                if more { continue }
            } catch {
                if Task.isCancelled { break }
                // Log the transition only: with the database down this fails four times a second.
                if !failing {
                    failing = true
                    logger.warning("stream poll failed", metadata: ["error": "\(error)"])
                }
            }
            // Sleep in short steps so a poll request or a Redis outage takes effect within 50 ms.
            let start = ContinuousClock.now
            while !Task.isCancelled, !pollRequested.withLockedValue({ $0 }) {
                let interval = isRedisLive ? configuration.safetyPollInterval : configuration.fallbackPollInterval
                if ContinuousClock.now - start >= interval { break }
                try? await Task.sleep(for: .milliseconds(50))
            }
        }
    }
}
