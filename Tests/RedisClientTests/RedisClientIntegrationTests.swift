import Foundation
import NIOCore
import Retry
import Testing

@testable import RedisClient

/// Talks to the real Redis at `REDIS_URL` (default `redis://127.0.0.1:6382/0`); fails if it is unreachable.
@Suite struct RedisClientIntegrationTests {
    static let url = ProcessInfo.processInfo.environment["REDIS_URL"] ?? "redis://127.0.0.1:6382/0"

    let configuration: RedisClient.Configuration
    let prefix = "redisclient-test:\(UInt64.random(in: 0 ... .max))"

    init() throws {
        var configuration = try RedisClient.Configuration(url: Self.url)
        configuration.reconnectBackoff = RetryPolicy(initialDelay: .milliseconds(50), maximumDelay: .milliseconds(500))
        // These tests assert behaviour, not latency: a loaded 2-core CI machine once needed more than the 5 s
        // default before `run()` had its connection up. Tests of the timeout itself set their own.
        configuration.connection.connectTimeout = .seconds(30)
        self.configuration = configuration
    }

    /// Runs `client.run()` in a child task for the duration of `body`, like a `ServiceGroup` would.
    func withRunningClient<Result: Sendable>(
        _ configuration: RedisClient.Configuration? = nil,
        _ body: @Sendable (RedisClient) async throws -> Result
    ) async throws -> Result {
        let client = RedisClient(configuration: configuration ?? self.configuration)
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await client.run() }
            defer { group.cancelAll() }
            return try await body(client)
        }
    }

    func withConnection<Result>(_ body: (RedisConnection) async throws -> Result) async throws -> Result {
        try await RedisConnection.withConnection(configuration: self.configuration.connection, body)
    }

    @Test func pingThroughConnectionAndClient() async throws {
        try await self.withConnection { connection in
            try await connection.ping()
        }
        try await self.withRunningClient { client in
            try await client.ping()
        }
    }

    @Test func setGetRoundTripIsBinarySafe() async throws {
        try await self.withRunningClient { client in
            let key = "\(self.prefix):binary"
            let bytes = ByteBuffer(bytes: (0...255).map { UInt8($0) } + [13, 10, 0, 13, 10])
            try await client.set(key, to: RESPArgument(bytes), expiration: .seconds(60))
            #expect(try await client.get(key) == bytes)
            #expect(try await client.get("\(self.prefix):missing") == nil)
            #expect(try await client.del(key) == 1)
            #expect(try await client.get(key) == nil)
            let counter = "\(self.prefix):counter"
            #expect(try await client.incr(counter) == 1)
            #expect(try await client.incr(counter) == 2)
            try await client.del(counter)
        }
    }

    @Test func selectsTheDatabaseFromTheURL() async throws {
        var database1 = self.configuration.connection
        database1.database = 1
        let key = "\(self.prefix):db"
        try await RedisConnection.withConnection(configuration: database1) { connection in
            try await connection.set(key, to: "in-db-1", expiration: .seconds(60))
        }
        let fromDatabase0 = try await self.withConnection { connection in
            try await connection.get(key)
        }
        #expect(fromDatabase0 == nil)
        try await RedisConnection.withConnection(configuration: database1) { connection in
            #expect(try await connection.get(key) == ByteBuffer(string: "in-db-1"))
            try await connection.del(key)
        }
    }

    @Test func failedAuthIsAConnectionFailureWithTheServerMessage() async throws {
        var configuration = self.configuration.connection
        configuration.password = "definitely-wrong"
        let error = await #expect(throws: RedisClientError.self) {
            try await RedisConnection.withConnection(configuration: configuration) { _ in }
        }
        #expect(error?.code == .connectionFailed)
        #expect(error?.serverMessage != nil)
    }

    @Test func serverErrorSurfacesWithItsMessageAndTheConnectionStaysUsable() async throws {
        try await self.withRunningClient { client in
            let key = "\(self.prefix):string"
            try await client.set(key, to: "text", expiration: .seconds(60))
            let error = await #expect(throws: RedisClientError.self) {
                _ = try await client.send(command: "LPUSH", arguments: [RESPArgument(key), "x"])
            }
            #expect(error?.code == .serverError)
            #expect(error?.serverErrorPrefix == "WRONGTYPE")
            #expect(error?.serverMessage?.contains("wrong kind of value") == true)
            let incr = await #expect(throws: RedisClientError.self) { try await client.incr(key) }
            #expect(incr?.code == .serverError)
            try await client.ping()
            try await client.del(key)
        }
    }

    @Test func pipelinedRepliesArePairedInOrder() async throws {
        try await self.withConnection { connection in
            let counter = "\(self.prefix):order"
            let channel = "\(self.prefix):order-channel"
            let deadline = connection.channel.eventLoop.now + .seconds(30)
            // Interleave PUBLISH with INCR without awaiting: each INCR reply must be exactly its sequence number.
            var futures: [(Int, EventLoopFuture<RESPValue>)] = []
            for index in 1...5000 {
                futures.append(
                    (
                        0,
                        connection.sendFuture(
                            command: "PUBLISH", arguments: [RESPArgument(channel), "m"], deadline: deadline)
                    ))
                futures.append(
                    (
                        index,
                        connection.sendFuture(command: "INCR", arguments: [RESPArgument(counter)], deadline: deadline)
                    ))
            }
            for (expected, future) in futures {
                let reply = try await future.get()
                #expect(reply == .integer(Int64(expected)))
            }
            try await connection.del(counter)
        }
    }

    @Test func tenThousandPipelinedPublishesAreAllAcknowledged() async throws {
        let channel = "\(self.prefix):publish"
        let count = 10_000
        try await self.withRunningClient { client in
            try await client.withSubscription(channels: [channel]) { events in
                var iterator = events.makeAsyncIterator()
                guard case .subscribed(isReconnect: false) = try await iterator.next() else {
                    Issue.record("expected the initial subscription")
                    return
                }
                let clock = ContinuousClock()
                let start = clock.now
                let receivers = try await withThrowingTaskGroup(of: Int.self) { group in
                    for index in 0..<count {
                        group.addTask {
                            try await client.publish(channel: channel, message: "message-\(index)")
                        }
                    }
                    return try await group.reduce(into: [Int]()) { $0.append($1) }
                }
                let elapsed = clock.now - start
                #expect(receivers.count == count)
                #expect(receivers.allSatisfy { $0 == 1 })
                var received = 0
                while received < count, let event = try await iterator.next() {
                    if case .message = event { received += 1 }
                }
                #expect(received == count)
                print("10,000 concurrent PUBLISHes acknowledged in \(elapsed)")
            }
        }
    }

    @Test func batchPublishOfTenThousandInOnePipeline() async throws {
        let channel = "\(self.prefix):batch"
        try await self.withRunningClient { client in
            try await client.withSubscription(channels: [channel]) { events in
                var iterator = events.makeAsyncIterator()
                guard case .subscribed(isReconnect: false) = try await iterator.next() else {
                    Issue.record("expected the initial subscription")
                    return
                }
                let messages = (0..<10_000).map { RESPArgument("event-\($0)") }
                let clock = ContinuousClock()
                let start = clock.now
                var receivers: [Int] = []
                for batch in stride(from: 0, to: messages.count, by: 500) {
                    receivers += try await client.publish(
                        channel: channel, messages: Array(messages[batch..<(batch + 500)]))
                }
                let elapsed = clock.now - start
                #expect(receivers == Array(repeating: 1, count: 10_000))
                for index in 0..<10_000 {
                    guard case .message(_, let payload) = try await iterator.next() else {
                        Issue.record("expected message \(index)")
                        return
                    }
                    #expect(String(buffer: payload) == "event-\(index)")
                }
                print("10,000 PUBLISHes in batches of 500 acknowledged in \(elapsed)")
            }
        }
    }

    @Test func subscribePublishRoundTripKeepsOrder() async throws {
        let channel = "\(self.prefix):roundtrip"
        try await self.withRunningClient { client in
            try await client.withSubscription(channels: [channel]) { events in
                var iterator = events.makeAsyncIterator()
                guard case .subscribed(isReconnect: false) = try await iterator.next() else {
                    Issue.record("expected the initial subscription")
                    return
                }
                try await withThrowingTaskGroup(of: Void.self) { group in
                    group.addTask {
                        for index in 0..<1000 {
                            try await client.publish(channel: channel, message: "\(index)")
                        }
                    }
                    var expected = 0
                    while expected < 1000, let event = try await iterator.next() {
                        guard case .message(let name, let payload) = event else {
                            Issue.record("unexpected event \(event)")
                            return
                        }
                        #expect(name == channel)
                        #expect(String(buffer: payload) == "\(expected)")
                        expected += 1
                    }
                    #expect(expected == 1000)
                    try await group.waitForAll()
                }
            }
        }
    }

    @Test func scopeExitUnsubscribes() async throws {
        let channels = ["\(self.prefix):exit-a", "\(self.prefix):exit-b"]
        try await self.withRunningClient { client in
            func subscriberCounts() async throws -> [Int64] {
                let reply = try await client.send(
                    command: "PUBSUB", arguments: ["NUMSUB"] + channels.map { RESPArgument($0) })
                let elements = try #require(reply.array)
                return stride(from: 1, to: elements.count, by: 2).map { elements[$0].integer ?? -1 }
            }
            try await client.withSubscription(channels: channels) { events in
                // An explicit iterator: leaving a `for try await` loop would end the subscription early.
                var iterator = events.makeAsyncIterator()
                guard case .subscribed = try await iterator.next() else {
                    Issue.record("expected the subscription")
                    return
                }
                #expect(try await subscriberCounts() == [1, 1])
            }
            // No sleep: the scope waits for Redis to confirm UNSUBSCRIBE before returning.
            #expect(try await subscriberCounts() == [0, 0])
        }
    }

    @Test func subscriberSurvivesClientKillAndReportsTheGap() async throws {
        let channel = "\(self.prefix):kill"
        var configuration = self.configuration
        let clientName = "redisclient-test-\(UInt64.random(in: 0 ... .max))"
        configuration.connection.clientName = clientName
        try await self.withRunningClient(configuration) { client in
            try await client.withSubscription(channels: [channel]) { events in
                var iterator = events.makeAsyncIterator()
                guard case .subscribed(isReconnect: false) = try await iterator.next() else {
                    Issue.record("expected the initial subscription")
                    return
                }
                // Kill only our own subscriber, so parallel tests and other services keep theirs.
                let list = try #require(
                    try await client.send(command: "CLIENT", arguments: ["LIST", "TYPE", "pubsub"]).string)
                let line = try #require(list.split(separator: "\n").first { $0.contains("name=\(clientName) ") })
                let idField = try #require(line.split(separator: " ").first { $0.hasPrefix("id=") })
                let killed = try await client.send(
                    command: "CLIENT",
                    arguments: ["KILL", "TYPE", "pubsub", "ID", RESPArgument(String(idField.dropFirst(3)))]
                )
                #expect(killed == .integer(1))

                var sawDisconnect = false
                resubscribe: while let event = try await iterator.next() {
                    switch event {
                    case .disconnected(let error):
                        sawDisconnect = true
                        #expect(error.code == .connectionClosed || error.code == .connectionFailed)
                    case .subscribed(let isReconnect):
                        #expect(isReconnect)
                        break resubscribe
                    case .message(_, let payload):
                        Issue.record("unexpected message \(String(buffer: payload))")
                    }
                }
                #expect(sawDisconnect)
                for index in 0..<10 {
                    #expect(try await client.publish(channel: channel, message: "after-\(index)") == 1)
                }
                for index in 0..<10 {
                    guard case .message(_, let payload) = try await iterator.next() else {
                        Issue.record("expected a message after resubscribing")
                        return
                    }
                    #expect(String(buffer: payload) == "after-\(index)")
                }
            }
        }
    }

    @Test func slowConsumerWithATinyBufferLosesNothing() async throws {
        let channel = "\(self.prefix):slow"
        var configuration = self.configuration
        configuration.subscription.bufferSize = 4
        try await self.withRunningClient(configuration) { client in
            try await client.withSubscription(channels: [channel]) { events in
                var iterator = events.makeAsyncIterator()
                guard case .subscribed(isReconnect: false) = try await iterator.next() else {
                    Issue.record("expected the initial subscription")
                    return
                }
                // Publish everything before reading anything: the client must stop reading, not drop.
                let messages = (0..<2000).map { RESPArgument("slow-\($0)") }
                let receivers = try await client.publish(channel: channel, messages: messages)
                #expect(receivers.allSatisfy { $0 == 1 })
                for index in 0..<2000 {
                    guard case .message(_, let payload) = try await iterator.next() else {
                        Issue.record("expected message \(index)")
                        return
                    }
                    #expect(String(buffer: payload) == "slow-\(index)")
                }
            }
        }
    }

    @Test func clientReconnectsAfterItsCommandConnectionIsKilled() async throws {
        var configuration = self.configuration
        let clientName = "redisclient-test-\(UInt64.random(in: 0 ... .max))"
        configuration.connection.clientName = clientName
        try await self.withRunningClient(configuration) { client in
            try await client.ping()
            try await self.withConnection { admin in
                let list = try #require(
                    try await admin.send(command: "CLIENT", arguments: ["LIST", "TYPE", "normal"]).string)
                let line = try #require(list.split(separator: "\n").first { $0.contains("name=\(clientName) ") })
                let idField = try #require(line.split(separator: " ").first { $0.hasPrefix("id=") })
                let killed = try await admin.send(
                    command: "CLIENT",
                    arguments: ["KILL", "ID", RESPArgument(String(idField.dropFirst(3)))]
                )
                #expect(killed == .integer(1))
            }
            // Commands may fail while the loss is noticed, but must never hang and must recover quickly.
            let clock = ContinuousClock()
            let start = clock.now
            var recovered = false
            while clock.now - start < .seconds(10) {
                do {
                    try await client.ping()
                    recovered = true
                    break
                } catch let error as RedisClientError {
                    #expect(error.code == .connectionClosed || error.code == .connectionFailed)
                    try await Task.sleep(for: .milliseconds(20))
                }
            }
            #expect(recovered)
        }
    }
}
