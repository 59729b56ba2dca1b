public import NIOCore

/// A value of the Redis serialization protocol, version 2 (RESP2).
///
/// Redis answers every command with exactly one value, so the connection layer can pair replies with requests in
/// order. Bulk strings stay `ByteBuffer`s because Redis values are binary-safe and often not UTF-8.
public enum RESPValue: Sendable, Hashable {
    /// A status reply such as `OK` or `PONG` (`+...\r\n`); never contains CR or LF.
    case simpleString(ByteBuffer)
    /// An error reply (`-...\r\n`), for example `WRONGTYPE Operation against a key holding the wrong kind of value`.
    case error(ByteBuffer)
    /// A signed 64-bit integer reply (`:...\r\n`).
    case integer(Int64)
    /// A binary-safe string (`$<len>\r\n...\r\n`); `nil` is the RESP2 null bulk string (`$-1\r\n`).
    case bulkString(ByteBuffer?)
    /// An array of values (`*<count>\r\n...`); `nil` is the RESP2 null array (`*-1\r\n`).
    case array([RESPValue]?)
}

extension RESPValue {
    /// The value as UTF-8 text, for simple strings, bulk strings and error messages; `nil` for everything else.
    ///
    /// Invalid UTF-8 is repaired with replacement characters, so use ``bytes`` for binary payloads.
    public var string: String? {
        switch self {
        case .simpleString(let buffer), .error(let buffer), .bulkString(.some(let buffer)):
            return String(buffer: buffer)
        case .integer, .bulkString(.none), .array:
            return nil
        }
    }

    /// The raw bytes of a simple or bulk string; `nil` for other kinds and for the null bulk string.
    public var bytes: ByteBuffer? {
        switch self {
        case .simpleString(let buffer), .bulkString(.some(let buffer)):
            return buffer
        case .error, .integer, .bulkString(.none), .array:
            return nil
        }
    }

    /// The value of an integer reply, or a bulk/simple string that holds a decimal integer (as `GET` of a counter).
    public var integer: Int64? {
        switch self {
        case .integer(let value):
            return value
        case .simpleString(let buffer), .bulkString(.some(let buffer)):
            return Int64(String(buffer: buffer))
        case .error, .bulkString(.none), .array:
            return nil
        }
    }

    /// The elements of a non-null array; `nil` for other kinds and for the null array.
    public var array: [RESPValue]? {
        if case .array(.some(let values)) = self {
            return values
        }
        return nil
    }

    /// Whether the value is one of RESP2's two null encodings; Redis uses them for "no such key" and timeouts.
    public var isNull: Bool {
        switch self {
        case .bulkString(.none), .array(.none):
            return true
        case .simpleString, .error, .integer, .bulkString(.some), .array(.some):
            return false
        }
    }
}

extension RESPValue: CustomStringConvertible {
    /// A short debug rendering; bulk strings longer than 64 bytes are abbreviated so logs stay readable.
    public var description: String {
        switch self {
        case .simpleString(let buffer):
            return "+\(String(buffer: buffer))"
        case .error(let buffer):
            return "-\(String(buffer: buffer))"
        case .integer(let value):
            return ":\(value)"
        case .bulkString(.none):
            return "$null"
        case .bulkString(.some(let buffer)):
            if buffer.readableBytes > 64 {
                let head = String(buffer: buffer.getSlice(at: buffer.readerIndex, length: 64)!)
                return "$\"\(head)…\"(\(buffer.readableBytes) bytes)"
            }
            return "$\"\(String(buffer: buffer))\""
        case .array(.none):
            return "*null"
        case .array(.some(let values)):
            return "[" + values.map(\.description).joined(separator: ", ") + "]"
        }
    }
}
