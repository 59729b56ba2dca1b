import NIOCore
import NIOEmbedded
import Testing

@testable import RedisClient

/// Drives a real `RedisConnection` pipeline against an `EmbeddedChannel` acting as the server.
@Suite struct RedisConnectionTests {
    final class Harness {
        let channel = EmbeddedChannel()
        let connection: RedisConnection

        init(commandTimeout: Duration = .seconds(5)) throws {
            try self.channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(RESPDecoder()))
            try self.channel.pipeline.syncOperations.addHandler(
                RedisCommandHandler(logger: RedisConnection.noOpLogger)
            )
            try self.channel.connect(to: .init(ipAddress: "127.0.0.1", port: 6379)).wait()
            self.connection = RedisConnection(
                channel: self.channel,
                configuration: .init(host: "test", commandTimeout: commandTimeout),
                logger: RedisConnection.noOpLogger
            )
        }

        func send(_ command: String, _ arguments: [RESPArgument] = []) -> EventLoopFuture<RESPValue> {
            self.connection.sendFuture(
                command: command,
                arguments: arguments,
                deadline: self.channel.embeddedEventLoop.now + TimeAmount(self.connection.configuration.commandTimeout)
            )
        }

        /// Everything the client has flushed so far, decoded as the server would.
        func readCommands() throws -> [RESPValue] {
            self.channel.embeddedEventLoop.run()
            var decoder = RESPDecoder()
            var commands: [RESPValue] = []
            while var buffer = try self.channel.readOutbound(as: ByteBuffer.self) {
                while let value = try decoder.decode(buffer: &buffer) {
                    commands.append(value)
                }
            }
            return commands
        }

        func reply(_ values: RESPValue...) throws {
            var buffer = ByteBuffer()
            for value in values { buffer.writeRESPValue(value) }
            try self.channel.writeInbound(buffer)
        }
    }

    @Test func pipelinedCommandsAreWrittenTogetherAndAnsweredInOrder() throws {
        let harness = try Harness()
        let futures = (0..<100).map { harness.send("INCR", [RESPArgument("k\($0)")]) }
        let commands = try harness.readCommands()
        #expect(commands.count == 100)
        #expect(commands.first == .array([.bulk("INCR"), .bulk("k0")]))
        #expect(commands.last == .array([.bulk("INCR"), .bulk("k99")]))
        // Answer in one burst, split oddly across reads.
        var buffer = ByteBuffer()
        for index in 0..<100 { buffer.writeRESPValue(.integer(Int64(index))) }
        let half = buffer.readSlice(length: buffer.readableBytes / 2 + 1)!
        try harness.channel.writeInbound(half)
        try harness.channel.writeInbound(buffer)
        for (index, future) in futures.enumerated() {
            #expect(try future.wait() == .integer(Int64(index)))
        }
    }

    @Test func errorReplyIsDeliveredInOrderAsAValue() throws {
        let harness = try Harness()
        let future = harness.send("GET", ["list"])
        _ = try harness.readCommands()
        try harness.reply(.err("WRONGTYPE Operation against a key holding the wrong kind of value"))
        #expect(try future.wait() == .err("WRONGTYPE Operation against a key holding the wrong kind of value"))
    }

    @Test func commandTimeoutFailsTheCommandAndClosesTheConnection() throws {
        let harness = try Harness(commandTimeout: .seconds(1))
        let first = harness.send("BLPOP", ["q", 0])
        harness.channel.embeddedEventLoop.advanceTime(by: .milliseconds(500))
        let second = harness.send("PING")
        harness.channel.embeddedEventLoop.advanceTime(by: .milliseconds(600))
        let firstError = #expect(throws: RedisClientError.self) { try first.wait() }
        #expect(firstError?.code == .timeout)
        let secondError = #expect(throws: RedisClientError.self) { try second.wait() }
        #expect(secondError?.code == .connectionClosed)
        #expect(!harness.channel.isActive)
        let late = harness.send("PING")
        let lateError = #expect(throws: RedisClientError.self) { try late.wait() }
        #expect(lateError?.code == .connectionClosed)
    }

    @Test func answeredCommandsDoNotTimeOutAndTheTimerFollowsTheHead() throws {
        let harness = try Harness(commandTimeout: .seconds(1))
        let first = harness.send("PING")
        harness.channel.embeddedEventLoop.advanceTime(by: .milliseconds(900))
        let second = harness.send("PING")
        _ = try harness.readCommands()
        try harness.reply(.simple("PONG"))
        // The first deadline passes; the second command is not due yet and must survive.
        harness.channel.embeddedEventLoop.advanceTime(by: .milliseconds(200))
        #expect(try first.wait() == .simple("PONG"))
        #expect(harness.channel.isActive)
        try harness.reply(.simple("PONG"))
        #expect(try second.wait() == .simple("PONG"))
    }

    @Test func pipelineIsOneWriteAndRepliesKeepTheirSlots() throws {
        let harness = try Harness()
        let before = harness.send("PING")
        let batch = harness.connection.sendPipelineFuture(
            [
                RedisCommand("PUBLISH", ["c", "1"]), RedisCommand("LPUSH", ["s", "x"]),
                RedisCommand("PUBLISH", ["c", "2"]),
            ],
            deadline: harness.channel.embeddedEventLoop.now + .seconds(5)
        )
        harness.channel.embeddedEventLoop.run()
        var writes = 0
        var decoder = RESPDecoder()
        var commands: [RESPValue] = []
        while var buffer = try harness.channel.readOutbound(as: ByteBuffer.self) {
            writes += 1
            while let value = try decoder.decode(buffer: &buffer) { commands.append(value) }
        }
        #expect(writes == 2)  // the single PING, then the whole batch
        #expect(commands.count == 4)
        try harness.reply(.simple("PONG"), .integer(1), .err("WRONGTYPE nope"), .integer(0))
        #expect(try before.wait() == .simple("PONG"))
        #expect(try batch.wait() == [.integer(1), .err("WRONGTYPE nope"), .integer(0)])
    }

    @Test func pipelineOnAClosedConnectionFailsEveryCommand() throws {
        let harness = try Harness()
        try harness.channel.close().wait()
        let batch = harness.connection.sendPipelineFuture(
            [RedisCommand("PING"), RedisCommand("PING")],
            deadline: harness.channel.embeddedEventLoop.now + .seconds(5)
        )
        let error = #expect(throws: RedisClientError.self) { try batch.wait() }
        #expect(error?.code == .connectionClosed)
    }

    @Test func batchPublishHelperReturnsCountsAndThrowsOnRejectedPublish() async throws {
        let fake = FakeExecutor(replies: [.integer(1), .integer(2), .integer(1), .err("ERR boom")])
        #expect(try await fake.publish(channel: "c", messages: ["a", "b"]) == [1, 2])
        let error = await #expect(throws: RedisClientError.self) {
            try await fake.publish(channel: "c", messages: ["a", "b"])
        }
        #expect(error?.serverMessage == "ERR boom")
        #expect(fake.sent.count == 4)
    }

    @Test func serverClosingFailsPendingCommandsWithConnectionClosed() throws {
        let harness = try Harness()
        let pending = harness.send("PUBLISH", ["c", "m"])
        _ = try harness.readCommands()
        harness.channel.pipeline.fireChannelInactive()
        let error = #expect(throws: RedisClientError.self) { try pending.wait() }
        #expect(error?.code == .connectionClosed)
    }

    @Test func malformedReplyFailsPendingWithProtocolError() throws {
        let harness = try Harness()
        let pending = harness.send("PING")
        _ = try harness.readCommands()
        // The command handler consumes the decoder error (it fails the commands and closes), so none escapes here.
        try harness.channel.writeInbound(ByteBuffer(string: "!bogus\r\n"))
        let error = #expect(throws: RedisClientError.self) { try pending.wait() }
        #expect(error?.code == .protocolError)
        #expect(!harness.channel.isActive)
    }

    @Test func unsolicitedReplyClosesTheConnection() throws {
        let harness = try Harness()
        try harness.reply(.simple("OK"))
        #expect(!harness.channel.isActive)
    }

    @Test func typedHelpersSendTheRightCommandsAndParseReplies() async throws {
        let fake = FakeExecutor(replies: [
            .simple("PONG"), .integer(3), .bulkString(nil), .bulk("v"), .simple("OK"), .simple("OK"), .integer(2),
            .integer(7),
        ])
        try await fake.ping()
        #expect(try await fake.publish(channel: "events:stream", message: "{}") == 3)
        #expect(try await fake.get("missing") == nil)
        #expect(try await fake.get("k") == ByteBuffer(string: "v"))
        try await fake.set("k", to: "v")
        try await fake.set("k", to: "v", expiration: .milliseconds(1500))
        #expect(try await fake.del(["a", "b"]) == 2)
        #expect(try await fake.incr("n") == 7)
        #expect(
            fake.sent == [
                ["PING"], ["PUBLISH", "events:stream", "{}"], ["GET", "missing"], ["GET", "k"], ["SET", "k", "v"],
                ["SET", "k", "v", "PX", "1500"], ["DEL", "a", "b"], ["INCR", "n"],
            ]
        )
    }

    @Test func typedHelpersRejectWrongShapes() async throws {
        let fake = FakeExecutor(replies: [.bulk("nope"), .bulk("3")])
        let error = await #expect(throws: RedisClientError.self) { try await fake.ping() }
        #expect(error?.code == .unexpectedResponse)
        let incr = await #expect(throws: RedisClientError.self) { try await fake.incr("n") }
        #expect(incr?.code == .unexpectedResponse)
    }
}

/// Replays canned replies and records the commands, to test the typed helpers without a server.
final class FakeExecutor: RedisCommandExecutor, @unchecked Sendable {
    private var replies: [RESPValue]
    private(set) var sent: [[String]] = []

    init(replies: [RESPValue]) {
        self.replies = replies
    }

    func send(command: String, arguments: [RESPArgument]) async throws -> RESPValue {
        self.sent.append([command] + arguments.map(\.debugText))
        return self.replies.removeFirst()
    }

    func send(pipeline commands: [RedisCommand]) async throws -> [RESPValue] {
        var replies: [RESPValue] = []
        for command in commands {
            self.sent.append([command.name] + command.arguments.map(\.debugText))
            replies.append(self.replies.removeFirst())
        }
        return replies
    }
}
