import Logging
import NIOCore
import NIOEmbedded
import Testing

@testable import AMQPClient

/// Plays the broker's side of the protocol against an `AMQPConnectionHandler` on a `NIOAsyncTestingChannel`.
final class ScriptedBroker: Sendable {
    let channel: NIOAsyncTestingChannel
    private let outbound = AsyncBufferBox()

    init() {
        self.channel = NIOAsyncTestingChannel()
    }

    /// Reads and decodes the client's next frame.
    func readFrame() async throws -> AMQPFrame {
        while true {
            if let frame = try await self.outbound.nextFrame() { return frame }
            let buffer = try await self.channel.waitForOutboundWrite(as: ByteBuffer.self)
            await self.outbound.append(buffer)
        }
    }

    func readProtocolHeader() async throws -> [UInt8] {
        let buffer = try await self.channel.waitForOutboundWrite(as: ByteBuffer.self)
        return Array(buffer.readableBytesView)
    }

    func send(channel id: UInt16 = 0, _ method: AMQPMethod) async throws {
        var buffer = ByteBuffer()
        try buffer.writeMethodFrame(channel: id, method)
        try await self.channel.writeInbound(buffer)
    }

    func sendDelivery(channel id: UInt16, consumerTag: String, deliveryTag: UInt64, body: String) async throws {
        var buffer = ByteBuffer()
        try buffer.writeMethodFrame(
            channel: id,
            .basicDeliver(
                consumerTag: consumerTag, deliveryTag: deliveryTag, redelivered: false, exchange: "", routingKey: "q")
        )
        try buffer.writeHeaderFrame(channel: id, bodySize: UInt64(body.utf8.count), properties: .init())
        buffer.writeBodyFrames(channel: id, body: ByteBuffer(string: body), frameMax: 131_072)
        try await self.channel.writeInbound(buffer)
    }

    /// Connects a client and plays the handshake; returns the client connection.
    func handshake(
        heartbeat: UInt16 = 60, configuration: AMQPConfiguration = .init(), confirmTimeout: TimeAmount? = nil
    ) async throws -> AMQPConnection {
        let parameters = configuration.handshakeParameters()
        let testChannel = self.channel
        try await testChannel.eventLoop.submit {
            let handler = AMQPConnectionHandler(
                parameters: parameters,
                eventLoop: testChannel.eventLoop,
                logger: Logger(label: "test"),
                confirmTimeout: confirmTimeout
            )
            try testChannel.pipeline.syncOperations.addHandler(handler)
        }.get()
        try await self.channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 5672))
        let channel = self.channel
        async let connection = AMQPConnection.handshake(
            channel: channel,
            configuration: configuration,
            timeout: .seconds(30),
            logger: Logger(label: "test")
        )
        #expect(try await self.readProtocolHeader() == AMQPFrame.protocolHeader)
        try await self.send(
            .connectionStart(
                versionMajor: 0, versionMinor: 9, serverProperties: [:], mechanisms: "PLAIN", locales: "en_US")
        )
        guard case .method(0, .connectionStartOk) = try await self.readFrame() else {
            throw TestFailure("expected start-ok")
        }
        try await self.send(.connectionTune(channelMax: 0, frameMax: 131_072, heartbeat: heartbeat))
        guard case .method(0, .connectionTuneOk) = try await self.readFrame() else { throw TestFailure("tune-ok") }
        guard case .method(0, .connectionOpen(let vhost)) = try await self.readFrame() else {
            throw TestFailure("open")
        }
        #expect(vhost == configuration.virtualHost)
        try await self.send(.connectionOpenOk)
        return try await connection
    }

    /// Answers the next RPC the client sends with `response`, returning the request.
    @discardableResult
    func answer(_ response: AMQPMethod) async throws -> AMQPMethod {
        guard case .method(let id, let request) = try await self.readFrame() else { throw TestFailure("no method") }
        try await self.send(channel: id, response)
        return request
    }
}

struct TestFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// Cumulates outbound bytes and decodes frames from them.
actor AsyncBufferBox {
    private var buffer = ByteBuffer()
    private var decoder = AMQPFrameDecoder(frameMax: 1 << 20)

    func append(_ bytes: ByteBuffer) {
        var bytes = bytes
        self.buffer.writeBuffer(&bytes)
    }

    func nextFrame() throws -> AMQPFrame? {
        try self.decoder.decode(buffer: &self.buffer)
    }
}

@Suite struct AMQPConnectionHandlerTests {
    @Test func handshakeNegotiatesAndOpensChannels() async throws {
        let broker = ScriptedBroker()
        let connection = try await broker.handshake(heartbeat: 60)
        #expect(connection.tuning == .init(channelMax: 2047, frameMax: 131_072, heartbeat: 30))
        async let channel = connection.openChannel()
        #expect(try await broker.answer(.channelOpenOk) == .channelOpen)
        #expect(try await channel.id == 1)
    }

    @Test func pipelinedPublishesResolveByConfirmTags() async throws {
        let broker = ScriptedBroker()
        let connection = try await broker.handshake()
        async let opened = connection.openChannel()
        try await broker.answer(.channelOpenOk)
        let channel = try await opened
        async let selected: Void = channel.confirmSelect()
        #expect(try await broker.answer(.confirmSelectOk) == .confirmSelect(noWait: false))
        try await selected

        try await withThrowingTaskGroup(of: AMQPPublishConfirm.self) { group in
            for index in 0..<3 {
                group.addTask {
                    try await channel.basicPublish(routingKey: "q", body: ByteBuffer(string: "m\(index)"))
                }
            }
            // All three publishes reach the broker before any confirm is sent: they are pipelined.
            var bodies: [String] = []
            while bodies.count < 3 {
                switch try await broker.readFrame() {
                case .body(1, let body): bodies.append(String(buffer: body))
                case .method(1, .basicPublish), .header(1, _): continue
                case let other: throw TestFailure("unexpected \(other)")
                }
            }
            #expect(bodies.sorted() == ["m0", "m1", "m2"])
            try await broker.send(channel: 1, .basicAck(deliveryTag: 2, multiple: true))
            try await broker.send(channel: 1, .basicNack(deliveryTag: 3, multiple: false, requeue: false))
            var outcomes: [AMQPPublishConfirm] = []
            for try await outcome in group { outcomes.append(outcome) }
            #expect(outcomes.filter { $0 == .ack }.count == 2)
            #expect(outcomes.filter { $0 == .nack }.count == 1)
        }
    }

    @Test func brokerForceCloseFailsUnconfirmedPublishesRecoverablyAndStalesDeliveries() async throws {
        let broker = ScriptedBroker()
        let connection = try await broker.handshake()
        async let opened = connection.openChannel()
        try await broker.answer(.channelOpenOk)
        let channel = try await opened
        async let selected: Void = channel.confirmSelect()
        try await broker.answer(.confirmSelectOk)
        try await selected

        async let consumer = channel.basicConsume(queue: "q", consumerTag: "ctag")
        try await broker.answer(.basicConsumeOk(consumerTag: "ctag"))
        let deliveries = try await consumer
        try await broker.sendDelivery(channel: 1, consumerTag: "ctag", deliveryTag: 1, body: "hello")
        var iterator = deliveries.makeAsyncIterator()
        let delivery = try #require(try await iterator.next())
        #expect(String(buffer: delivery.body) == "hello")

        async let publish = channel.basicPublish(routingKey: "q", body: ByteBuffer(string: "unconfirmed"))
        guard case .method(1, .basicPublish) = try await broker.readFrame() else { throw TestFailure("publish") }
        try await broker.send(
            .connectionClose(.init(replyCode: 320, replyText: "CONNECTION_FORCED", classID: 0, methodID: 0))
        )
        // The client answers close-ok before closing the socket.
        while true {
            if case .method(0, .connectionCloseOk) = try await broker.readFrame() { break }
        }
        let publishResult: Result<AMQPPublishConfirm, AMQPError>
        do {
            publishResult = .success(try await publish)
        } catch let error as AMQPError {
            publishResult = .failure(error)
        }
        guard case .failure(let publishError) = publishResult else { throw TestFailure("publish succeeded") }
        #expect(publishError.code == .publishUnconfirmed)
        #expect(publishError.isRecoverable)

        let closeReason = await connection.closed()
        #expect(closeReason?.replyCode == 320)
        #expect(closeReason?.isRecoverable == true)

        let consumerError = await #expect(throws: AMQPError.self) { _ = try await iterator.next() }
        #expect(consumerError?.replyCode == 320)
        let ackError = await #expect(throws: AMQPError.self) { try await delivery.ack() }
        #expect(ackError?.code == .staleDelivery)
    }

    @Test func aPublishTheBrokerNeverConfirmsFailsRecoverablyAfterTheConfirmTimeout() async throws {
        let broker = ScriptedBroker()
        let connection = try await broker.handshake(confirmTimeout: .seconds(4))
        let loop = broker.channel.testingEventLoop
        async let opened = connection.openChannel()
        try await broker.answer(.channelOpenOk)
        let channel = try await opened
        async let selected: Void = channel.confirmSelect()
        try await broker.answer(.confirmSelectOk)
        try await selected

        async let silent = channel.basicPublish(routingKey: "q", body: ByteBuffer(string: "never confirmed"))
        guard case .method(1, .basicPublish) = try await broker.readFrame() else { throw TestFailure("publish 1") }
        await loop.advanceTime(by: .seconds(2))
        async let answered = channel.basicPublish(routingKey: "q", body: ByteBuffer(string: "confirmed"))
        while true {
            if case .body(1, let body) = try await broker.readFrame(), String(buffer: body) == "confirmed" { break }
        }
        // Past the first publish's deadline (4 s), not the second's (6 s).
        await loop.advanceTime(by: .seconds(3))
        do {
            let outcome = try await silent
            Issue.record("the unconfirmed publish returned \(outcome)")
        } catch let error as AMQPError {
            #expect(error.code == .publishUnconfirmed)
            #expect(error.isRecoverable)
        }
        // The broker's late multiple ack covers both tags; only the live publish takes it.
        try await broker.send(channel: 1, .basicAck(deliveryTag: 2, multiple: true))
        #expect(try await answered == .ack)
        #expect(connection.isOpen)
        #expect(channel.isOpen)
    }

    @Test func heartbeatsAreSentWhenIdleAndSilenceClosesTheConnection() async throws {
        let broker = ScriptedBroker()
        let connection = try await broker.handshake(heartbeat: 2)
        #expect(connection.tuning.heartbeat == 2)
        let loop = broker.channel.testingEventLoop
        // Tick 1 (1 s): handshake traffic both ways, nothing to do. Tick 2: idle both ways → heartbeat.
        await loop.advanceTime(by: .seconds(1))
        await loop.advanceTime(by: .seconds(1))
        #expect(try await broker.readFrame() == .heartbeat)
        // The broker stays silent: after two full intervals without inbound frames the client gives up.
        for _ in 0..<3 { await loop.advanceTime(by: .seconds(1)) }
        let error = await connection.closed()
        #expect(error?.code == .heartbeatTimeout)
    }

    @Test func inboundHeartbeatsKeepTheConnectionAlive() async throws {
        let broker = ScriptedBroker()
        let connection = try await broker.handshake(heartbeat: 2)
        let loop = broker.channel.testingEventLoop
        for _ in 0..<10 {
            var heartbeat = ByteBuffer()
            heartbeat.writeHeartbeatFrame()
            try await broker.channel.writeInbound(heartbeat)
            await loop.advanceTime(by: .seconds(1))
        }
        #expect(connection.isOpen)
    }

    @Test func unknownFrameTypeClosesWithFrameError() async throws {
        let broker = ScriptedBroker()
        let connection = try await broker.handshake()
        try await broker.channel.writeInbound(ByteBuffer(bytes: [0x07, 0, 0, 0, 0, 0, 0, 0xCE]))
        guard case .method(0, .connectionClose(let reason)) = try await broker.readFrame() else {
            throw TestFailure("expected connection.close")
        }
        #expect(reason.replyCode == 501)
        try await broker.send(.connectionCloseOk)
        let error = await connection.closed()
        #expect(error?.code == .frameError)
    }
}
