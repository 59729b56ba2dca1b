import NIOCore
import NIOTestUtils
import Testing

@testable import RedisClient

@Suite struct RESPDecoderTests {
    @Test(arguments: [
        ("+OK\r\n", RESPValue.simple("OK")),
        ("+\r\n", RESPValue.simple("")),
        ("-ERR unknown command 'FOO'\r\n", RESPValue.err("ERR unknown command 'FOO'")),
        (":0\r\n", RESPValue.integer(0)),
        (":-42\r\n", RESPValue.integer(-42)),
        (":9223372036854775807\r\n", RESPValue.integer(.max)),
        (":-9223372036854775808\r\n", RESPValue.integer(.min)),
        ("$5\r\nhello\r\n", RESPValue.bulk("hello")),
        ("$0\r\n\r\n", RESPValue.bulk("")),
        ("$-1\r\n", RESPValue.bulkString(nil)),
        ("$4\r\na\r\nb\r\n", RESPValue.bulk("a\r\nb")),
        ("*0\r\n", RESPValue.array([])),
        ("*-1\r\n", RESPValue.array(nil)),
        (
            "*3\r\n$7\r\nmessage\r\n$13\r\nevents:stream\r\n$2\r\n{}\r\n",
            RESPValue.array([.bulk("message"), .bulk("events:stream"), .bulk("{}")])
        ),
        (
            "*2\r\n*2\r\n:1\r\n$-1\r\n*1\r\n-WRONGTYPE x\r\n",
            RESPValue.array([.array([.integer(1), .bulkString(nil)]), .array([.err("WRONGTYPE x")])])
        ),
    ])
    func decodesGoldenValues(input: String, expected: RESPValue) throws {
        let (values, rest) = try decodeAll(input)
        #expect(values == [expected])
        #expect(rest == 0)
    }

    @Test func binarySafeBulkString() throws {
        let payload: [UInt8] = [0, 0xFF, 0x0D, 0x0A, 0x80, 0x24]
        var buffer = ByteBuffer(string: "$6\r\n")
        buffer.writeBytes(payload)
        buffer.writeString("\r\n")
        var decoder = RESPDecoder()
        let value = try decoder.decode(buffer: &buffer)
        #expect(value == .bulkString(ByteBuffer(bytes: payload)))
    }

    @Test func everyStrictPrefixIsIncompleteAndConsumesNothing() throws {
        let input = "*3\r\n$7\r\nmessage\r\n:12\r\n*2\r\n+OK\r\n$-1\r\n"
        let bytes = Array(input.utf8)
        for length in 0..<bytes.count {
            var buffer = ByteBuffer(bytes: bytes[0..<length])
            var decoder = RESPDecoder()
            #expect(try decoder.decode(buffer: &buffer) == nil, "prefix of \(length) bytes")
            #expect(buffer.readableBytes == length)
        }
    }

    @Test func decodesPipelinedValuesOneAtATime() throws {
        let (values, rest) = try decodeAll("+OK\r\n:1\r\n$1\r\nx\r\n$3\r\nab")
        #expect(values == [.simple("OK"), .integer(1), .bulk("x")])
        #expect(rest == "$3\r\nab".utf8.count)
    }

    @Test(arguments: [
        "?what\r\n",  // unknown type byte
        ":12a\r\n",  // not a number
        ":\r\n",  // empty number
        ":-\r\n",  // sign only
        ":9223372036854775808\r\n",  // overflow
        "$-2\r\n",  // negative length other than -1
        "*-5\r\n",
        "$3\r\nabcXY",  // bulk not terminated by CRLF
        "+OK\rX",  // CR without LF
    ])
    func rejectsMalformedInput(input: String) {
        #expect(throws: RedisClientError.self) {
            _ = try decodeAll(input)
        }
    }

    @Test func rejectsOversizedBulkStringBeforeItsBytesArrive() throws {
        let limits = RESPDecoder.Limits(maxBulkLength: 1024)
        // Only the header has arrived: the decoder must refuse now rather than wait for 1 GiB.
        let error = try #require(throws: RedisClientError.self) {
            _ = try decodeAll("$1073741824\r\n", limits: limits)
        }
        #expect(error.code == .protocolError)
        #expect(try decodeAll("$1024\r\n", limits: limits).values.isEmpty)
    }

    @Test func rejectsOversizedArrayAndDeepNesting() throws {
        #expect(throws: RedisClientError.self) {
            _ = try decodeAll("*2000000000\r\n", limits: .init(maxArrayLength: 1000))
        }
        let deep = String(repeating: "*1\r\n", count: 40) + ":1\r\n"
        #expect(throws: RedisClientError.self) {
            _ = try decodeAll(deep, limits: .init(maxNestingDepth: 32))
        }
        let allowed = String(repeating: "*1\r\n", count: 32) + ":1\r\n"
        #expect(try decodeAll(allowed, limits: .init(maxNestingDepth: 32)).values.count == 1)
    }

    @Test func rejectsOverlongLinesWithoutWaitingForever() throws {
        let limits = RESPDecoder.Limits(maxLineLength: 16)
        #expect(throws: RedisClientError.self) {
            _ = try decodeAll("+" + String(repeating: "a", count: 17), limits: limits)
        }
        #expect(try decodeAll("+" + String(repeating: "a", count: 16), limits: limits).values.isEmpty)
        #expect(try decodeAll("+" + String(repeating: "a", count: 16) + "\r\n", limits: limits).values.count == 1)
    }

    @Test func hugeArrayHeaderDoesNotPreallocate() throws {
        // Declares a million elements but sends one: must return nil quickly, not reserve a million slots.
        let (values, rest) = try decodeAll("*1000000\r\n:1\r\n")
        #expect(values.isEmpty)
        #expect(rest > 0)
    }

    @Test func passesByteToMessageDecoderVerifier() throws {
        let pairs: [(String, [RESPValue])] = [
            ("+OK\r\n", [.simple("OK")]),
            ("-ERR x\r\n", [.err("ERR x")]),
            (":123\r\n", [.integer(123)]),
            ("$5\r\nhello\r\n", [.bulk("hello")]),
            ("$-1\r\n", [.bulkString(nil)]),
            ("*2\r\n$3\r\nfoo\r\n:-7\r\n", [.array([.bulk("foo"), .integer(-7)])]),
            ("*-1\r\n", [.array(nil)]),
            ("*3\r\n$9\r\nsubscribe\r\n$1\r\na\r\n:1\r\n", [.array([.bulk("subscribe"), .bulk("a"), .integer(1)])]),
        ]
        try ByteToMessageDecoderVerifier.verifyDecoder(stringInputOutputPairs: pairs) {
            RESPDecoder()
        }
    }

    @Test(arguments: [UInt64(1), 2, 3, 42, 20_260_101])
    func fuzzRoundTripOfRandomValuesInRandomChunks(seed: UInt64) throws {
        var generator = SeededGenerator(seed: seed)
        for _ in 0..<200 {
            let values = (0..<Int.random(in: 1...8, using: &generator)).map { _ in
                randomValue(using: &generator)
            }
            var encoded = ByteBuffer()
            for value in values { encoded.writeRESPValue(value) }
            let bytes = Array(encoded.readableBytesView)

            var decoder = RESPDecoder()
            var accumulated = ByteBuffer()
            var decoded: [RESPValue] = []
            var offset = 0
            while offset < bytes.count {
                let chunk = Int.random(in: 1...max(1, bytes.count - offset), using: &generator)
                accumulated.writeBytes(bytes[offset..<(offset + chunk)])
                offset += chunk
                while let value = try decoder.decode(buffer: &accumulated) {
                    decoded.append(value)
                }
            }
            #expect(decoded == values)
            #expect(accumulated.readableBytes == 0)
        }
    }

    @Test(arguments: [UInt64(7), 99, 123_456])
    func fuzzMutatedInputNeverCrashes(seed: UInt64) {
        var generator = SeededGenerator(seed: seed)
        let alphabet = Array("+-:$*\r\n-0123456789abc".utf8)
        var outcomes = (decoded: 0, incomplete: 0, rejected: 0)
        for _ in 0..<2000 {
            var encoded = ByteBuffer()
            encoded.writeRESPValue(randomValue(using: &generator))
            var bytes = Array(encoded.readableBytesView)
            for _ in 0..<Int.random(in: 1...4, using: &generator) where !bytes.isEmpty {
                let index = Int.random(in: 0..<bytes.count, using: &generator)
                switch Int.random(in: 0..<4, using: &generator) {
                case 0: bytes[index] = alphabet.randomElement(using: &generator)!
                case 1: bytes[index] = UInt8.random(in: 0...255, using: &generator)
                case 2: bytes.remove(at: index)
                default: bytes.insert(alphabet.randomElement(using: &generator)!, at: index)
                }
            }
            var buffer = ByteBuffer(bytes: bytes)
            var decoder = RESPDecoder(limits: .init(maxBulkLength: 1 << 20, maxArrayLength: 1 << 16))
            do {
                var progressed = false
                while (try decoder.decode(buffer: &buffer)) != nil {
                    progressed = true
                }
                if progressed { outcomes.decoded += 1 } else { outcomes.incomplete += 1 }
            } catch let error as RedisClientError {
                #expect(error.code == .protocolError)
                outcomes.rejected += 1
            } catch {
                Issue.record("unexpected error type \(error)")
            }
        }
        // The mutations must actually exercise the error paths, not only the happy one.
        #expect(outcomes.rejected > 100)
        #expect(outcomes.decoded > 100)
    }
}
