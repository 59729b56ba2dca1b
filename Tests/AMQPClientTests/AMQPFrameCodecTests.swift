import NIOCore
import NIOTestUtils
import Testing

@testable import AMQPClient

private func bytes(_ string: String) -> [UInt8] { Array(string.utf8) }

@Suite struct AMQPFrameCodecTests {
    // MARK: golden frames (hand-assembled from spec §4.2 and the class/method tables)

    static let startOkGolden: [UInt8] =
        [0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x32]  // method frame, channel 0, size 50
        + [0x00, 0x0A, 0x00, 0x0B]  // connection.start-ok (10, 11)
        + [0x00, 0x00, 0x00, 0x0E, 0x07] + bytes("product") + [0x53, 0x00, 0x00, 0x00, 0x01] + bytes("x")
        + [0x05] + bytes("PLAIN")
        + [0x00, 0x00, 0x00, 0x0C, 0x00] + bytes("guest") + [0x00] + bytes("guest")
        + [0x05] + bytes("en_US")
        + [0xCE]

    @Test func connectionStartOkGoldenFrame() throws {
        let method = AMQPMethod.connectionStartOk(
            clientProperties: ["product": "x"],
            mechanism: "PLAIN",
            response: "\u{0}guest\u{0}guest",
            locale: "en_US"
        )
        var buffer = ByteBuffer()
        try buffer.writeMethodFrame(channel: 0, method)
        #expect(Array(buffer.readableBytesView) == Self.startOkGolden)

        var decoder = AMQPFrameDecoder(frameMax: 131_072)
        var input = ByteBuffer(bytes: Self.startOkGolden)
        #expect(try decoder.decode(buffer: &input) == .method(channel: 0, method))
        #expect(input.readableBytes == 0)
    }

    static let publishGolden: [UInt8] =
        // basic.publish (60, 40) on channel 1: reserved-1, exchange "", routing key "q", mandatory bit
        [0x01, 0x00, 0x01, 0x00, 0x00, 0x00, 0x0A, 0x00, 0x3C, 0x00, 0x28, 0x00, 0x00, 0x00, 0x01, 0x71, 0x01, 0xCE]
        // content header: class 60, weight 0, body size 5, flags content-type|delivery-mode
        + [0x02, 0x00, 0x01, 0x00, 0x00, 0x00, 0x1A, 0x00, 0x3C, 0x00, 0x00]
        + [0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x05, 0x90, 0x00, 0x0A] + bytes("text/plain") + [0x02, 0xCE]
        // body
        + [0x03, 0x00, 0x01, 0x00, 0x00, 0x00, 0x05] + bytes("hello") + [0xCE]

    @Test func basicPublishHeaderAndBodyGoldenFrames() throws {
        let properties = AMQPProperties(contentType: "text/plain", deliveryMode: 2)
        var buffer = ByteBuffer()
        try buffer.writeMethodFrame(
            channel: 1,
            .basicPublish(exchange: "", routingKey: "q", mandatory: true, immediate: false)
        )
        try buffer.writeHeaderFrame(channel: 1, bodySize: 5, properties: properties)
        buffer.writeBodyFrames(channel: 1, body: ByteBuffer(string: "hello"), frameMax: 131_072)
        #expect(Array(buffer.readableBytesView) == Self.publishGolden)

        var decoder = AMQPFrameDecoder(frameMax: 131_072)
        var input = ByteBuffer(bytes: Self.publishGolden)
        #expect(
            try decoder.decode(buffer: &input)
                == .method(channel: 1, .basicPublish(exchange: "", routingKey: "q", mandatory: true, immediate: false))
        )
        #expect(
            try decoder.decode(buffer: &input)
                == .header(channel: 1, AMQPContentHeader(classID: 60, bodySize: 5, properties: properties))
        )
        #expect(try decoder.decode(buffer: &input) == .body(channel: 1, ByteBuffer(string: "hello")))
        #expect(try decoder.decode(buffer: &input) == nil)
    }

    static let nestedTableGolden: [UInt8] =
        [0x00, 0x00, 0x00, 0x1D]
        // "a": F{"b": I 1}
        + [0x01, 0x61, 0x46, 0x00, 0x00, 0x00, 0x07, 0x01, 0x62, 0x49, 0x00, 0x00, 0x00, 0x01]
        // "c": A[t 1, S "x"]
        + [0x01, 0x63, 0x41, 0x00, 0x00, 0x00, 0x08, 0x74, 0x01, 0x53, 0x00, 0x00, 0x00, 0x01, 0x78]

    @Test func tableWithNestedTableAndArrayGolden() throws {
        let table: AMQPTable = ["a": .table(["b": .int32(1)]), "c": .array([.bool(true), .string("x")])]
        var buffer = ByteBuffer()
        try buffer.writeFieldTable(table)
        #expect(Array(buffer.readableBytesView) == Self.nestedTableGolden)
        var input = ByteBuffer(bytes: Self.nestedTableGolden)
        #expect(try input.readFieldTable() == table)
    }

    @Test func rabbitMQFieldTypesRoundTrip() throws {
        let table: AMQPTable = [
            "t": .bool(false), "b": .int8(-2), "B": .uint8(250), "s": .int16(-300), "u": .uint16(60_000),
            "I": .int32(-70_000), "i": .uint32(4_000_000_000), "l": .int64(-(1 << 40)), "f": .float(1.5),
            "d": .double(-2.25), "D": .decimal(scale: 2, value: 12_345), "S": .string("héllo"),
            "x": .bytes([0, 1, 255]), "T": .timestamp(1_700_000_000), "V": .void,
            "F": .table([:]), "A": .array([]),
        ]
        var buffer = ByteBuffer()
        try buffer.writeFieldTable(table)
        #expect(try buffer.readFieldTable() == table)
        #expect(buffer.readableBytes == 0)
    }

    @Test func rabbitMQTypeTagsFollowTheErrata() throws {
        // 's' is a signed 16-bit integer (not a short string), 'l' signed 64-bit, 'x' a byte array.
        var buffer = ByteBuffer()
        try buffer.writeFieldValue(.int16(-1))
        try buffer.writeFieldValue(.int64(7))
        try buffer.writeFieldValue(.bytes([9]))
        #expect(
            Array(buffer.readableBytesView)
                == [0x73, 0xFF, 0xFF, 0x6C, 0, 0, 0, 0, 0, 0, 0, 7, 0x78, 0, 0, 0, 1, 9]
        )
        // The spec's own spellings 'U' and 'L' are accepted on input.
        var spec = ByteBuffer(bytes: [0x55, 0xFF, 0xFE, 0x4C, 0, 0, 0, 0, 0, 0, 0, 3])
        #expect(try spec.readFieldValue(depth: 0) == .int16(-2))
        #expect(try spec.readFieldValue(depth: 0) == .int64(3))
    }

    @Test func tablesBuildFromPairsAndSubscript() {
        let arguments = ["x-max-length": 10, "x-message-ttl": 5]
        var table = AMQPTable(
            arguments.sorted { $0.key < $1.key }.map { ($0.key, AMQPFieldValue.int64(Int64($0.value))) })
        #expect(table.entries.map(\.key) == ["x-max-length", "x-message-ttl"])
        #expect(table["x-message-ttl"]?.intValue == 5)
        table["x-message-ttl"] = nil
        table["x-queue-type"] = "classic"
        #expect(table == ["x-max-length": .int64(10), "x-queue-type": "classic"])
    }

    @Test func integerLiteralsUseInt32LikeOtherClients() {
        let small: AMQPFieldValue = 100_000
        let large: AMQPFieldValue = 10_000_000_000
        #expect(small == .int32(100_000))
        #expect(large == .int64(10_000_000_000))
    }

    @Test func allPropertiesRoundTrip() throws {
        var properties = AMQPProperties(
            contentType: "application/json",
            contentEncoding: "utf-8",
            headers: ["k": "v"],
            deliveryMode: 2,
            priority: 9,
            correlationID: "c",
            replyTo: "r",
            expiration: "1000",
            messageID: "m",
            timestamp: 42,
            type: "t",
            userID: "u",
            appID: "a"
        )
        properties.clusterID = "cl"
        var buffer = ByteBuffer()
        try buffer.writeContentHeaderPayload(classID: 60, bodySize: 123, properties: properties)
        let header = try buffer.readContentHeaderPayload()
        #expect(header == AMQPContentHeader(classID: 60, bodySize: 123, properties: properties))
        #expect(buffer.readableBytes == 0)
    }

    @Test(arguments: [
        AMQPMethod.connectionTune(channelMax: 2047, frameMax: 131_072, heartbeat: 60),
        .connectionOpen(virtualHost: "/"),
        .connectionClose(.init(replyCode: 320, replyText: "CONNECTION_FORCED", classID: 0, methodID: 0)),
        .connectionBlocked(reason: "low on memory"),
        .channelClose(.init(replyCode: 406, replyText: "PRECONDITION_FAILED", classID: 50, methodID: 10)),
        .exchangeDeclare(
            .init(
                exchange: "e", type: "topic", passive: false, durable: true, autoDelete: false, internal: false,
                noWait: false, arguments: ["k": 1])
        ),
        .queueDeclare(
            .init(
                queue: "q", passive: true, durable: true, exclusive: false, autoDelete: true, noWait: false,
                arguments: ["x-max-length": 10])
        ),
        .queueDeclareOk(queue: "q", messageCount: 3, consumerCount: 1),
        .queueBind(.init(destination: "q", source: "e", routingKey: "a.#", noWait: false, arguments: [:])),
        .queueUnbind(.init(destination: "q", source: "e", routingKey: "a.#", noWait: false, arguments: [:])),
        .queueDelete(queue: "q", ifUnused: true, ifEmpty: false, noWait: false),
        .basicQos(prefetchSize: 0, prefetchCount: 100, global: false),
        .basicConsume(
            .init(
                queue: "q", consumerTag: "c", noLocal: false, noAck: false, exclusive: true, noWait: false,
                arguments: [:])),
        .basicCancel(consumerTag: "c", noWait: true),
        .basicDeliver(consumerTag: "c", deliveryTag: 1 << 40, redelivered: true, exchange: "e", routingKey: "k"),
        .basicReturn(replyCode: 312, replyText: "NO_ROUTE", exchange: "e", routingKey: "k"),
        .basicAck(deliveryTag: 7, multiple: true),
        .basicNack(deliveryTag: 8, multiple: false, requeue: true),
        .basicReject(deliveryTag: 9, requeue: false),
        .basicGetOk(deliveryTag: 1, redelivered: false, exchange: "", routingKey: "q", messageCount: 5),
        .confirmSelect(noWait: false),
    ])
    func methodRoundTrip(_ method: AMQPMethod) throws {
        var buffer = ByteBuffer()
        try buffer.writeMethodFrame(channel: 3, method)
        var decoder = AMQPFrameDecoder(frameMax: 131_072)
        #expect(try decoder.decode(buffer: &buffer) == .method(channel: 3, method))
    }

    @Test func bodiesLargerThanFrameMaxAreSplit() throws {
        var buffer = ByteBuffer()
        buffer.writeBodyFrames(channel: 1, body: ByteBuffer(repeating: 7, count: 10_000), frameMax: 4096)
        var decoder = AMQPFrameDecoder(frameMax: 4096)
        var sizes: [Int] = []
        while let frame = try decoder.decode(buffer: &buffer) {
            guard case .body(1, let chunk) = frame else {
                Issue.record("unexpected \(frame)")
                return
            }
            sizes.append(chunk.readableBytes)
        }
        #expect(sizes == [4088, 4088, 1824])
    }

    // MARK: decoder behaviour

    @Test func decoderVerifier() throws {
        var input = ByteBuffer(bytes: Self.startOkGolden)
        input.writeBytes(Self.publishGolden)
        input.writeHeartbeatFrame()
        var expectedInput = ByteBuffer(bytes: Self.startOkGolden)
        var publishInput = ByteBuffer(bytes: Self.publishGolden)
        var decoder = AMQPFrameDecoder(frameMax: 131_072)
        var expected: [AMQPFrame] = []
        while let frame = try decoder.decode(buffer: &expectedInput) { expected.append(frame) }
        while let frame = try decoder.decode(buffer: &publishInput) { expected.append(frame) }
        expected.append(.heartbeat)
        try ByteToMessageDecoderVerifier.verifyDecoder(
            inputOutputPairs: [(input, expected)],
            decoderFactory: { AMQPFrameDecoder(frameMax: 131_072) }
        )
    }

    @Test func oversizedFrameIsRejectedFromItsHeaderAlone() throws {
        var decoder = AMQPFrameDecoder(frameMax: 4096)
        // Only the 7-byte header of a frame claiming 1 GiB: rejected before any payload is buffered.
        var input = ByteBuffer(bytes: [0x03, 0x00, 0x01, 0x40, 0x00, 0x00, 0x00])
        let error = #expect(throws: AMQPError.self) { try decoder.decode(buffer: &input) }
        #expect(error?.code == .frameError)
        #expect(error?.replyCode == 501)
    }

    @Test func incompleteFrameReturnsNil() throws {
        var decoder = AMQPFrameDecoder(frameMax: 131_072)
        for length in 0..<Self.startOkGolden.count {
            var input = ByteBuffer(bytes: Self.startOkGolden.prefix(length))
            #expect(try decoder.decode(buffer: &input) == nil)
            #expect(input.readableBytes == length)
        }
    }

    @Test func missingFrameEndIsAFrameError() {
        var golden = Self.startOkGolden
        golden[golden.count - 1] = 0x00
        var decoder = AMQPFrameDecoder(frameMax: 131_072)
        var input = ByteBuffer(bytes: golden)
        #expect(throws: AMQPError.self) { try decoder.decode(buffer: &input) }
    }

    @Test func brokerProtocolHeaderMeansVersionMismatch() {
        var decoder = AMQPFrameDecoder(frameMax: 131_072)
        var input = ByteBuffer(bytes: [0x41, 0x4D, 0x51, 0x50, 0, 0, 9, 1])
        let error = #expect(throws: AMQPError.self) { try decoder.decode(buffer: &input) }
        #expect(error?.code == .handshakeFailed)
    }

    @Test func deeplyNestedTablesAreRejectedNotRecursedForever() {
        // 200 nested 'A' arrays each claiming the rest of the buffer.
        var buffer = ByteBuffer()
        let depth = 200
        buffer.writeInteger(UInt32(depth * 5 + 2))
        buffer.writeBytes([0x01, 0x6B])
        for level in 0..<depth {
            buffer.writeInteger(UInt8(ascii: "A"))
            buffer.writeInteger(UInt32((depth - level - 1) * 5))
        }
        #expect(throws: AMQPError.self) { try buffer.readFieldTable() }
    }
}
