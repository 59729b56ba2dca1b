import NIOCore
import Testing

@testable import RedisClient

@Suite struct RESPEncoderTests {
    @Test func encodesCommandAsArrayOfBulkStrings() {
        var buffer = ByteBuffer()
        let written = buffer.writeRESPCommand("SET", arguments: ["key", "välue"])
        let expected = "*3\r\n$3\r\nSET\r\n$3\r\nkey\r\n$6\r\nvälue\r\n"
        #expect(String(buffer: buffer) == expected)
        #expect(written == expected.utf8.count)
    }

    @Test func encodesIntegerArgumentsAsDecimalBulkStrings() {
        var buffer = ByteBuffer()
        buffer.writeRESPCommand("X", arguments: [0, 7, 10, -1, 1234, RESPArgument(Int64.min), RESPArgument(Int64.max)])
        #expect(
            String(buffer: buffer)
                == "*8\r\n$1\r\nX\r\n$1\r\n0\r\n$1\r\n7\r\n$2\r\n10\r\n$2\r\n-1\r\n$4\r\n1234\r\n"
                + "$20\r\n-9223372036854775808\r\n$19\r\n9223372036854775807\r\n"
        )
    }

    @Test func encodesBinaryArgumentsVerbatim() {
        var buffer = ByteBuffer()
        let payload: [UInt8] = [0, 13, 10, 255]
        buffer.writeRESPCommand("PUBLISH", arguments: ["c", RESPArgument(bytes: payload)])
        var expected = ByteBuffer(string: "*3\r\n$7\r\nPUBLISH\r\n$1\r\nc\r\n$4\r\n")
        expected.writeBytes(payload)
        expected.writeString("\r\n")
        #expect(buffer == expected)
    }

    @Test func encodedCommandDecodesBackToTheSameArray() throws {
        var buffer = ByteBuffer()
        buffer.writeRESPCommand("PUBLISH", arguments: ["events:stream", RESPArgument(ByteBuffer(string: "{\"a\":1}"))])
        var decoder = RESPDecoder()
        let value = try decoder.decode(buffer: &buffer)
        #expect(value == .array([.bulk("PUBLISH"), .bulk("events:stream"), .bulk("{\"a\":1}")]))
    }

    @Test(arguments: [
        (RESPValue.simple("OK"), "+OK\r\n"),
        (RESPValue.err("ERR no"), "-ERR no\r\n"),
        (RESPValue.integer(-12), ":-12\r\n"),
        (RESPValue.bulkString(nil), "$-1\r\n"),
        (RESPValue.array(nil), "*-1\r\n"),
        (RESPValue.array([.bulk("a"), .integer(1)]), "*2\r\n$1\r\na\r\n:1\r\n"),
    ])
    func encodesValues(value: RESPValue, expected: String) {
        var buffer = ByteBuffer()
        let written = buffer.writeRESPValue(value)
        #expect(String(buffer: buffer) == expected)
        #expect(written == expected.utf8.count)
    }

    @Test func valueAccessors() {
        #expect(RESPValue.bulk("12").integer == 12)
        #expect(RESPValue.integer(3).integer == 3)
        #expect(RESPValue.simple("PONG").string == "PONG")
        #expect(RESPValue.bulkString(nil).isNull)
        #expect(RESPValue.array(nil).isNull)
        #expect(!RESPValue.array([]).isNull)
        #expect(RESPValue.array([.integer(1)]).array == [.integer(1)])
        #expect(RESPValue.err("x").bytes == nil)
    }
}
