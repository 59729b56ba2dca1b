public import NIOCore

/// A typed value in an AMQP field table or field array.
///
/// The type tags follow RabbitMQ's reading of the spec (the "AMQP 0-9-1 errata" page), which is what every
/// RabbitMQ client and the broker itself use: `s` is a signed 16-bit integer (not a short string), `l` is a
/// signed 64-bit integer, and `x` is a byte array. For tolerance the decoder also accepts the spec's
/// spellings `U` (signed 16-bit) and `L` (signed 64-bit); the encoder never emits them.
public enum AMQPFieldValue: Sendable, Hashable {
    /// `t`: a boolean.
    case bool(Bool)
    /// `b`: a signed 8-bit integer.
    case int8(Int8)
    /// `B`: an unsigned 8-bit integer.
    case uint8(UInt8)
    /// `s`: a signed 16-bit integer.
    case int16(Int16)
    /// `u`: an unsigned 16-bit integer.
    case uint16(UInt16)
    /// `I`: a signed 32-bit integer (what RabbitMQ clients send for small integers, e.g. `x-max-length`).
    case int32(Int32)
    /// `i`: an unsigned 32-bit integer.
    case uint32(UInt32)
    /// `l`: a signed 64-bit integer.
    case int64(Int64)
    /// `f`: a 32-bit IEEE float.
    case float(Float)
    /// `d`: a 64-bit IEEE float.
    case double(Double)
    /// `D`: a decimal, `value / 10^scale`.
    case decimal(scale: UInt8, value: UInt32)
    /// `S`: a long string (RabbitMQ treats it as UTF-8 text).
    case string(String)
    /// `x`: a byte array.
    case bytes([UInt8])
    /// `A`: an array of values.
    case array([AMQPFieldValue])
    /// `T`: a POSIX timestamp in seconds.
    case timestamp(UInt64)
    /// `F`: a nested table.
    case table(AMQPTable)
    /// `V`: no value.
    case void
}

extension AMQPFieldValue: ExpressibleByStringLiteral {
    /// Creates a `.string` value.
    public init(stringLiteral value: String) { self = .string(value) }
}

extension AMQPFieldValue: ExpressibleByIntegerLiteral {
    /// Creates `.int32` when the literal fits, `.int64` otherwise: the same choice pika and the Java client
    /// make, so a topology declared here is argument-equivalent to one declared by them.
    public init(integerLiteral value: Int64) {
        if let small = Int32(exactly: value) {
            self = .int32(small)
        } else {
            self = .int64(value)
        }
    }
}

extension AMQPFieldValue: ExpressibleByBooleanLiteral {
    /// Creates a `.bool` value.
    public init(booleanLiteral value: Bool) { self = .bool(value) }
}

extension AMQPFieldValue {
    /// The value as a 64-bit integer when it is any integer type that fits.
    public var intValue: Int64? {
        switch self {
        case .int8(let v): return Int64(v)
        case .uint8(let v): return Int64(v)
        case .int16(let v): return Int64(v)
        case .uint16(let v): return Int64(v)
        case .int32(let v): return Int64(v)
        case .uint32(let v): return Int64(v)
        case .int64(let v): return v
        case .timestamp(let v): return Int64(exactly: v)
        default: return nil
        }
    }

    /// The value as a string when it is a long string or a UTF-8 byte array.
    public var stringValue: String? {
        switch self {
        case .string(let s): return s
        case .bytes(let b): return String(decoding: b, as: UTF8.self)
        default: return nil
        }
    }
}

/// An AMQP field table (spec §4.2.5.5): ordered name/value pairs.
///
/// Order is kept as received so encoding is deterministic and round trips byte for byte.
public struct AMQPTable: Sendable, Hashable, ExpressibleByDictionaryLiteral, Sequence {
    /// The entries in wire order.
    public var entries: [(key: String, value: AMQPFieldValue)]

    /// Creates a table from entries in order.
    public init(_ entries: [(key: String, value: AMQPFieldValue)] = []) {
        self.entries = entries
    }

    /// Creates a table from a literal; the literal's order is the wire order.
    public init(dictionaryLiteral elements: (String, AMQPFieldValue)...) {
        self.entries = elements.map { (key: $0.0, value: $0.1) }
    }

    /// The value for `key`; setting replaces an existing entry in place or appends a new one.
    public subscript(key: String) -> AMQPFieldValue? {
        get { self.entries.first(where: { $0.key == key })?.value }
        set {
            if let index = self.entries.firstIndex(where: { $0.key == key }) {
                if let newValue {
                    self.entries[index].value = newValue
                } else {
                    self.entries.remove(at: index)
                }
            } else if let newValue {
                self.entries.append((key: key, value: newValue))
            }
        }
    }

    /// Whether the table has no entries.
    public var isEmpty: Bool { self.entries.isEmpty }

    /// Iterates entries in wire order.
    public func makeIterator() -> IndexingIterator<[(key: String, value: AMQPFieldValue)]> {
        self.entries.makeIterator()
    }

    /// Tables are equal when they hold the same entries in the same order.
    public static func == (lhs: AMQPTable, rhs: AMQPTable) -> Bool {
        lhs.entries.count == rhs.entries.count
            && zip(lhs.entries, rhs.entries).allSatisfy { $0.key == $1.key && $0.value == $1.value }
    }

    /// Hashes keys and values in order.
    public func hash(into hasher: inout Hasher) {
        hasher.combine(self.entries.count)
        for entry in self.entries {
            hasher.combine(entry.key)
            hasher.combine(entry.value)
        }
    }
}

// MARK: - Wire encoding (spec §4.2.5)

/// Nesting depth limit for tables/arrays: keeps a hostile frame from overflowing the stack.
let maximumFieldNesting = 64

extension ByteBuffer {
    /// Writes a short string; fails when longer than 255 bytes.
    @inlinable
    mutating func writeShortString(_ string: String) throws(AMQPError) {
        let length = string.utf8.count
        guard length <= 255 else {
            throw AMQPError(
                code: .invalidConfiguration, message: "short string longer than 255 bytes: \(string.prefix(40))…")
        }
        self.writeInteger(UInt8(length))
        self.writeString(string)
    }

    mutating func writeLongString(_ string: String) {
        self.writeInteger(UInt32(string.utf8.count))
        self.writeString(string)
    }

    mutating func writeLongBytes(_ bytes: [UInt8]) {
        self.writeInteger(UInt32(bytes.count))
        self.writeBytes(bytes)
    }

    mutating func writeFieldTable(_ table: AMQPTable) throws(AMQPError) {
        let lengthIndex = self.writerIndex
        self.writeInteger(UInt32(0))
        for entry in table.entries {
            try self.writeShortString(entry.key)
            try self.writeFieldValue(entry.value)
        }
        self.setInteger(UInt32(self.writerIndex - lengthIndex - 4), at: lengthIndex)
    }

    mutating func writeFieldValue(_ value: AMQPFieldValue) throws(AMQPError) {
        switch value {
        case .bool(let v):
            self.writeInteger(UInt8(ascii: "t"))
            self.writeInteger(UInt8(v ? 1 : 0))
        case .int8(let v):
            self.writeInteger(UInt8(ascii: "b"))
            self.writeInteger(v)
        case .uint8(let v):
            self.writeInteger(UInt8(ascii: "B"))
            self.writeInteger(v)
        case .int16(let v):
            self.writeInteger(UInt8(ascii: "s"))
            self.writeInteger(v)
        case .uint16(let v):
            self.writeInteger(UInt8(ascii: "u"))
            self.writeInteger(v)
        case .int32(let v):
            self.writeInteger(UInt8(ascii: "I"))
            self.writeInteger(v)
        case .uint32(let v):
            self.writeInteger(UInt8(ascii: "i"))
            self.writeInteger(v)
        case .int64(let v):
            self.writeInteger(UInt8(ascii: "l"))
            self.writeInteger(v)
        case .float(let v):
            self.writeInteger(UInt8(ascii: "f"))
            self.writeInteger(v.bitPattern)
        case .double(let v):
            self.writeInteger(UInt8(ascii: "d"))
            self.writeInteger(v.bitPattern)
        case .decimal(let scale, let v):
            self.writeInteger(UInt8(ascii: "D"))
            self.writeInteger(scale)
            self.writeInteger(v)
        case .string(let v):
            self.writeInteger(UInt8(ascii: "S"))
            self.writeLongString(v)
        case .bytes(let v):
            self.writeInteger(UInt8(ascii: "x"))
            self.writeLongBytes(v)
        case .array(let values):
            self.writeInteger(UInt8(ascii: "A"))
            let lengthIndex = self.writerIndex
            self.writeInteger(UInt32(0))
            for element in values {
                try self.writeFieldValue(element)
            }
            self.setInteger(UInt32(self.writerIndex - lengthIndex - 4), at: lengthIndex)
        case .timestamp(let v):
            self.writeInteger(UInt8(ascii: "T"))
            self.writeInteger(v)
        case .table(let v):
            self.writeInteger(UInt8(ascii: "F"))
            try self.writeFieldTable(v)
        case .void:
            self.writeInteger(UInt8(ascii: "V"))
        }
    }

    // MARK: decoding: every read is bounds-checked and throws a frame error instead of trapping.

    mutating func readAMQPInteger<T: FixedWidthInteger>(as: T.Type = T.self) throws(AMQPError) -> T {
        guard let value = self.readInteger(as: T.self) else {
            throw AMQPError.syntax("truncated frame payload reading \(T.self)")
        }
        return value
    }

    mutating func readShortString() throws(AMQPError) -> String {
        let length: UInt8 = try self.readAMQPInteger()
        guard let string = self.readString(length: Int(length)) else {
            throw AMQPError.syntax("truncated short string")
        }
        return string
    }

    mutating func readLongString() throws(AMQPError) -> String {
        let length: UInt32 = try self.readAMQPInteger()
        guard length <= self.readableBytes, let string = self.readString(length: Int(length)) else {
            throw AMQPError.syntax("truncated long string")
        }
        return string
    }

    mutating func readLongBytes() throws(AMQPError) -> [UInt8] {
        let length: UInt32 = try self.readAMQPInteger()
        guard length <= self.readableBytes, let bytes = self.readBytes(length: Int(length)) else {
            throw AMQPError.syntax("truncated byte array")
        }
        return bytes
    }

    mutating func readFieldTable(depth: Int = 0) throws(AMQPError) -> AMQPTable {
        guard depth < maximumFieldNesting else { throw AMQPError.syntax("field table nested too deeply") }
        let length: UInt32 = try self.readAMQPInteger()
        guard length <= self.readableBytes, var slice = self.readSlice(length: Int(length)) else {
            throw AMQPError.syntax("field table length \(length) exceeds frame")
        }
        var entries: [(key: String, value: AMQPFieldValue)] = []
        while slice.readableBytes > 0 {
            let key = try slice.readShortString()
            let value = try slice.readFieldValue(depth: depth)
            entries.append((key: key, value: value))
        }
        return AMQPTable(entries)
    }

    mutating func readFieldValue(depth: Int) throws(AMQPError) -> AMQPFieldValue {
        let tag: UInt8 = try self.readAMQPInteger()
        switch tag {
        case UInt8(ascii: "t"): return .bool(try self.readAMQPInteger(as: UInt8.self) != 0)
        case UInt8(ascii: "b"): return .int8(try self.readAMQPInteger())
        case UInt8(ascii: "B"): return .uint8(try self.readAMQPInteger())
        case UInt8(ascii: "s"), UInt8(ascii: "U"): return .int16(try self.readAMQPInteger())
        case UInt8(ascii: "u"): return .uint16(try self.readAMQPInteger())
        case UInt8(ascii: "I"): return .int32(try self.readAMQPInteger())
        case UInt8(ascii: "i"): return .uint32(try self.readAMQPInteger())
        case UInt8(ascii: "l"), UInt8(ascii: "L"): return .int64(try self.readAMQPInteger())
        case UInt8(ascii: "f"): return .float(Float(bitPattern: try self.readAMQPInteger()))
        case UInt8(ascii: "d"): return .double(Double(bitPattern: try self.readAMQPInteger()))
        case UInt8(ascii: "D"):
            let scale: UInt8 = try self.readAMQPInteger()
            return .decimal(scale: scale, value: try self.readAMQPInteger())
        case UInt8(ascii: "S"): return .string(try self.readLongString())
        case UInt8(ascii: "x"): return .bytes(try self.readLongBytes())
        case UInt8(ascii: "A"):
            guard depth + 1 < maximumFieldNesting else { throw AMQPError.syntax("field array nested too deeply") }
            let length: UInt32 = try self.readAMQPInteger()
            guard length <= self.readableBytes, var slice = self.readSlice(length: Int(length)) else {
                throw AMQPError.syntax("field array length \(length) exceeds frame")
            }
            var values: [AMQPFieldValue] = []
            while slice.readableBytes > 0 {
                values.append(try slice.readFieldValue(depth: depth + 1))
            }
            return .array(values)
        case UInt8(ascii: "T"): return .timestamp(try self.readAMQPInteger())
        case UInt8(ascii: "F"): return .table(try self.readFieldTable(depth: depth + 1))
        case UInt8(ascii: "V"): return .void
        default:
            throw AMQPError.syntax("unknown field value type 0x\(String(tag, radix: 16))")
        }
    }
}
