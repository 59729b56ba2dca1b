public import NIOCore

/// Decodes one ``RESPValue`` at a time from a byte stream.
///
/// It is a pure function of the bytes: `decode` returns `nil` until a complete value is buffered and consumes nothing
/// in that case, so NIO simply calls it again when more bytes arrive. Every length the peer announces is checked
/// against ``Limits`` *before* anything is buffered for it, so a hostile or broken server cannot make us allocate
/// gigabytes or recurse without bound.
public struct RESPDecoder: NIOSingleStepByteToMessageDecoder {
    /// The decoded value type.
    public typealias InboundOut = RESPValue

    /// Upper bounds the decoder enforces; exceeding one is a ``RedisClientError/Code/protocolError``.
    public struct Limits: Sendable, Hashable {
        /// Largest accepted bulk string in bytes. Defaults to 64 MiB (Redis itself allows up to 512 MiB).
        public var maxBulkLength: Int
        /// Largest accepted array element count. Defaults to 1,048,576.
        public var maxArrayLength: Int
        /// Deepest accepted array nesting. Defaults to 32; Redis replies rarely nest more than three levels.
        public var maxNestingDepth: Int
        /// Longest accepted simple string, error or integer line, without CRLF. Defaults to 64 KiB.
        public var maxLineLength: Int

        /// Creates limits; the defaults suit normal Redis traffic with generous headroom.
        public init(
            maxBulkLength: Int = 64 * 1024 * 1024,
            maxArrayLength: Int = 1024 * 1024,
            maxNestingDepth: Int = 32,
            maxLineLength: Int = 64 * 1024
        ) {
            self.maxBulkLength = maxBulkLength
            self.maxArrayLength = maxArrayLength
            self.maxNestingDepth = maxNestingDepth
            self.maxLineLength = maxLineLength
        }
    }

    /// The limits this decoder enforces.
    public var limits: Limits

    /// Creates a decoder with the given limits.
    public init(limits: Limits = Limits()) {
        self.limits = limits
    }

    /// Returns the next complete value and consumes its bytes, or returns `nil` and consumes nothing.
    public mutating func decode(buffer: inout ByteBuffer) throws -> RESPValue? {
        var reader = buffer
        guard let value = try self.parseValue(&reader, depth: 0) else {
            return nil
        }
        buffer.moveReaderIndex(to: reader.readerIndex)
        return value
    }

    /// Same as ``decode(buffer:)``; a truncated trailing value at EOF is left for the channel to report as lost.
    public mutating func decodeLast(buffer: inout ByteBuffer, seenEOF: Bool) throws -> RESPValue? {
        try self.decode(buffer: &buffer)
    }

    // MARK: - Parsing

    private func parseValue(_ reader: inout ByteBuffer, depth: Int) throws -> RESPValue? {
        guard let type = reader.getInteger(at: reader.readerIndex, as: UInt8.self) else {
            return nil
        }
        switch type {
        case UInt8(ascii: "+"):
            reader.moveReaderIndex(forwardBy: 1)
            return try self.readLine(&reader).map { .simpleString($0) }
        case UInt8(ascii: "-"):
            reader.moveReaderIndex(forwardBy: 1)
            return try self.readLine(&reader).map { .error($0) }
        case UInt8(ascii: ":"):
            reader.moveReaderIndex(forwardBy: 1)
            guard let line = try self.readLine(&reader) else { return nil }
            return .integer(try Self.parseInteger(line))
        case UInt8(ascii: "$"):
            reader.moveReaderIndex(forwardBy: 1)
            return try self.parseBulkString(&reader)
        case UInt8(ascii: "*"):
            reader.moveReaderIndex(forwardBy: 1)
            return try self.parseArray(&reader, depth: depth)
        default:
            throw RedisClientError.protocolError("Unknown RESP type byte 0x\(String(type, radix: 16))")
        }
    }

    private func parseBulkString(_ reader: inout ByteBuffer) throws -> RESPValue? {
        guard let line = try self.readLine(&reader) else { return nil }
        let length = try Self.parseInteger(line)
        if length == -1 {
            return .bulkString(nil)
        }
        guard length >= 0 else {
            throw RedisClientError.protocolError("Negative bulk string length \(length)")
        }
        guard length <= self.limits.maxBulkLength else {
            throw RedisClientError.protocolError(
                "Bulk string of \(length) bytes exceeds the limit of \(self.limits.maxBulkLength)"
            )
        }
        let count = Int(length)
        guard reader.readableBytes >= count + 2 else {
            return nil
        }
        let payload = reader.readSlice(length: count)!
        guard reader.readInteger(as: UInt16.self) == UInt16(0x0D0A) else {
            throw RedisClientError.protocolError("Bulk string of \(count) bytes is not terminated by CRLF")
        }
        return .bulkString(payload)
    }

    private func parseArray(_ reader: inout ByteBuffer, depth: Int) throws -> RESPValue? {
        guard let line = try self.readLine(&reader) else { return nil }
        let length = try Self.parseInteger(line)
        if length == -1 {
            return .array(nil)
        }
        guard length >= 0 else {
            throw RedisClientError.protocolError("Negative array length \(length)")
        }
        guard length <= self.limits.maxArrayLength else {
            throw RedisClientError.protocolError(
                "Array of \(length) elements exceeds the limit of \(self.limits.maxArrayLength)"
            )
        }
        guard depth < self.limits.maxNestingDepth else {
            throw RedisClientError.protocolError("Arrays nested deeper than \(self.limits.maxNestingDepth) levels")
        }
        let count = Int(length)
        var values: [RESPValue] = []
        // The smallest encoded element is 3 bytes ("+\r\n"): never reserve more than the bytes at hand can hold.
        values.reserveCapacity(min(count, reader.readableBytes / 3))
        for _ in 0..<count {
            guard let value = try self.parseValue(&reader, depth: depth + 1) else {
                return nil
            }
            values.append(value)
        }
        return .array(values)
    }

    /// Reads up to CRLF and returns the line without it; `nil` while the CRLF has not arrived.
    private func readLine(_ reader: inout ByteBuffer) throws -> ByteBuffer? {
        let view = reader.readableBytesView
        let searchEnd = view.startIndex + min(view.count, self.limits.maxLineLength + 1)
        guard let cr = view[view.startIndex..<searchEnd].firstIndex(of: UInt8(ascii: "\r")) else {
            if view.count > self.limits.maxLineLength {
                throw RedisClientError.protocolError("Line longer than \(self.limits.maxLineLength) bytes")
            }
            return nil
        }
        guard cr + 1 < view.endIndex else {
            return nil
        }
        guard view[cr + 1] == UInt8(ascii: "\n") else {
            throw RedisClientError.protocolError("CR not followed by LF in a RESP line")
        }
        let line = reader.readSlice(length: cr - view.startIndex)!
        reader.moveReaderIndex(forwardBy: 2)
        return line
    }

    /// Parses an optionally negative decimal that fits in `Int64`, rejecting anything else.
    private static func parseInteger(_ line: ByteBuffer) throws -> Int64 {
        let bytes = line.readableBytesView
        var index = bytes.startIndex
        var negative = false
        if index < bytes.endIndex, bytes[index] == UInt8(ascii: "-") {
            negative = true
            index += 1
        }
        guard index < bytes.endIndex else {
            throw RedisClientError.protocolError("Empty integer in RESP")
        }
        var value: Int64 = 0
        while index < bytes.endIndex {
            let byte = bytes[index]
            guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else {
                throw RedisClientError.protocolError("Invalid integer \"\(String(buffer: line))\" in RESP")
            }
            let digit = Int64(byte - UInt8(ascii: "0"))
            let (multiplied, overflow1) = value.multipliedReportingOverflow(by: 10)
            let (added, overflow2) =
                negative ? multiplied.subtractingReportingOverflow(digit) : multiplied.addingReportingOverflow(digit)
            guard !overflow1, !overflow2 else {
                throw RedisClientError.protocolError("Integer \"\(String(buffer: line))\" overflows Int64")
            }
            value = added
            index += 1
        }
        return value
    }
}
