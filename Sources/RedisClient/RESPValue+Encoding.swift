public import NIOCore

/// One argument of a Redis command, always sent as a binary-safe bulk string.
///
/// Literals work directly (`["mykey", 42]`); binary values come in as `ByteBuffer` or bytes, so payloads never take
/// a detour through `String`.
public struct RESPArgument: Sendable, Hashable, ExpressibleByStringLiteral, ExpressibleByIntegerLiteral {
    enum Storage: Sendable, Hashable {
        case string(String)
        case bytes(ByteBuffer)
        case integer(Int64)
    }

    let storage: Storage

    /// An argument holding the UTF-8 bytes of `string`.
    public init(_ string: String) {
        self.storage = .string(string)
    }

    /// An argument holding the readable bytes of `buffer`, sent verbatim.
    public init(_ buffer: ByteBuffer) {
        self.storage = .bytes(buffer)
    }

    /// An argument holding `bytes` verbatim.
    public init(bytes: some Sequence<UInt8>) {
        self.storage = .bytes(ByteBuffer(bytes: bytes))
    }

    /// An argument holding the decimal text of `integer`, which is how Redis expects numbers.
    public init(_ integer: some BinaryInteger) {
        self.storage = .integer(Int64(integer))
    }

    /// Creates an argument from a string literal.
    public init(stringLiteral value: String) {
        self.storage = .string(value)
    }

    /// Creates an argument from an integer literal.
    public init(integerLiteral value: Int64) {
        self.storage = .integer(value)
    }
}

extension ByteBuffer {
    /// Writes a command as RESP wants it from clients: an array of bulk strings, name first.
    ///
    /// - Returns: The number of bytes written.
    @discardableResult
    public mutating func writeRESPCommand(_ command: String, arguments: [RESPArgument]) -> Int {
        var written = self.writeRESPHeader(UInt8(ascii: "*"), length: arguments.count + 1)
        written += self.writeRESPBulkString(utf8: command)
        for argument in arguments {
            switch argument.storage {
            case .string(let string):
                written += self.writeRESPBulkString(utf8: string)
            case .bytes(let bytes):
                written += self.writeRESPHeader(UInt8(ascii: "$"), length: bytes.readableBytes)
                written += self.writeImmutableBuffer(bytes)
                written += self.writeCRLF()
            case .integer(let value):
                written += self.writeRESPHeader(UInt8(ascii: "$"), length: Self.decimalLength(value))
                written += self.writeDecimal(value)
                written += self.writeCRLF()
            }
        }
        return written
    }

    /// Writes any value in RESP2 form; fake servers and tests use it to produce replies.
    ///
    /// Simple strings and errors must not contain CR or LF; that is the caller's responsibility.
    /// - Returns: The number of bytes written.
    @discardableResult
    public mutating func writeRESPValue(_ value: RESPValue) -> Int {
        switch value {
        case .simpleString(let line):
            return self.writeInteger(UInt8(ascii: "+")) + self.writeImmutableBuffer(line) + self.writeCRLF()
        case .error(let line):
            return self.writeInteger(UInt8(ascii: "-")) + self.writeImmutableBuffer(line) + self.writeCRLF()
        case .integer(let number):
            return self.writeInteger(UInt8(ascii: ":")) + self.writeDecimal(number) + self.writeCRLF()
        case .bulkString(.none):
            return self.writeRESPHeader(UInt8(ascii: "$"), length: -1)
        case .bulkString(.some(let bytes)):
            return self.writeRESPHeader(UInt8(ascii: "$"), length: bytes.readableBytes)
                + self.writeImmutableBuffer(bytes) + self.writeCRLF()
        case .array(.none):
            return self.writeRESPHeader(UInt8(ascii: "*"), length: -1)
        case .array(.some(let values)):
            var written = self.writeRESPHeader(UInt8(ascii: "*"), length: values.count)
            for element in values {
                written += self.writeRESPValue(element)
            }
            return written
        }
    }

    private mutating func writeRESPBulkString(utf8 string: String) -> Int {
        self.writeRESPHeader(UInt8(ascii: "$"), length: string.utf8.count) + self.writeString(string)
            + self.writeCRLF()
    }

    private mutating func writeRESPHeader(_ type: UInt8, length: Int) -> Int {
        self.writeInteger(type) + self.writeDecimal(Int64(length)) + self.writeCRLF()
    }

    private mutating func writeCRLF() -> Int {
        self.writeInteger(UInt16(0x0D0A))
    }

    /// Writes the decimal digits of `value` without allocating a `String` (this sits on the PUBLISH hot path).
    private mutating func writeDecimal(_ value: Int64) -> Int {
        let length = Self.decimalLength(value)
        var magnitude = value.magnitude
        let start = self.writerIndex
        self.writeRepeatingByte(UInt8(ascii: "-"), count: length)
        var index = start + length - 1
        repeat {
            self.setInteger(UInt8(ascii: "0") + UInt8(magnitude % 10), at: index)
            magnitude /= 10
            index -= 1
        } while magnitude > 0
        return length
    }

    /// The number of characters of `value` in decimal, sign included.
    private static func decimalLength(_ value: Int64) -> Int {
        var length = value < 0 ? 2 : 1
        var magnitude = value.magnitude
        while magnitude >= 10 {
            magnitude /= 10
            length += 1
        }
        return length
    }
}
