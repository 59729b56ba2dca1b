/// Settings of the strict JSON parser.
public struct JSONParsingOptions: Sendable {
    /// Nesting limit for arrays and objects; deeper input is rejected instead of exhausting the stack.
    public var maximumDepth: Int
    /// Whether U+0000 in a string (only possible as `\u0000`) is rejected. PostgreSQL `jsonb` cannot store
    /// it, so the ingest path turns it into a clean `invalid_json` instead of a failing INSERT.
    public var rejectsNullCharacter: Bool

    /// Creates options; the defaults accept everything RFC 8259 allows up to 512 levels of nesting.
    public init(maximumDepth: Int = 512, rejectsNullCharacter: Bool = false) {
        self.maximumDepth = maximumDepth
        self.rejectsNullCharacter = rejectsNullCharacter
    }
}

extension JSONValue {
    /// Parses exactly one JSON value (RFC 8259) from UTF-8 bytes.
    ///
    /// Strict: no comments, no trailing commas, no trailing data, no invalid UTF-8, no lone surrogate
    /// escapes (PostgreSQL `jsonb` rejects them too), no `NaN`/`Infinity`. A leading UTF-8 byte order mark
    /// is skipped, as Python's `json.loads(bytes)` does. Errors carry the byte offset.
    public init(
        parsing bytes: some Collection<UInt8>,
        options: JSONParsingOptions = JSONParsingOptions()
    ) throws(BloodbankModelError) {
        let parse = { (buffer: UnsafeBufferPointer<UInt8>) -> Result<JSONValue, BloodbankModelError> in
            var parser = JSONParser(bytes: buffer, options: options)
            do throws(BloodbankModelError) {
                return .success(try parser.parseDocument())
            } catch {
                return .failure(error)
            }
        }
        let result: Result<JSONValue, BloodbankModelError>
        if let contiguous = bytes.withContiguousStorageIfAvailable(parse) {
            result = contiguous
        } else {
            result = Array(bytes).withUnsafeBufferPointer(parse)
        }
        self = try result.get()
    }

    /// Parses exactly one JSON value from a string.
    public init(parsing text: String, options: JSONParsingOptions = JSONParsingOptions()) throws(BloodbankModelError) {
        try self.init(parsing: Array(text.utf8), options: options)
    }
}

/// A recursive-descent parser over raw bytes; one instance parses one document.
struct JSONParser {
    private let bytes: UnsafeBufferPointer<UInt8>
    private let options: JSONParsingOptions
    private var index = 0
    private var depth = 0

    init(bytes: UnsafeBufferPointer<UInt8>, options: JSONParsingOptions) {
        self.bytes = bytes
        self.options = options
    }

    mutating func parseDocument() throws(BloodbankModelError) -> JSONValue {
        if bytes.count >= 3, bytes[0] == 0xEF, bytes[1] == 0xBB, bytes[2] == 0xBF {
            index = 3
        }
        let value = try parseValue()
        skipWhitespace()
        if index != bytes.count {
            throw .json("unexpected \(describe(at: index)) after the JSON value", at: index)
        }
        return value
    }

    @inline(__always)
    private mutating func skipWhitespace() {
        while index < bytes.count {
            switch bytes[index] {
            case 0x20, 0x0A, 0x0D, 0x09: index += 1
            default: return
            }
        }
    }

    private func describe(at position: Int) -> String {
        guard position < bytes.count else { return "end of input" }
        let byte = bytes[position]
        if byte >= 0x21, byte < 0x7F {
            return "character '\(Character(Unicode.Scalar(byte)))'"
        }
        return "byte 0x\(String(byte, radix: 16, uppercase: true))"
    }

    private mutating func parseValue() throws(BloodbankModelError) -> JSONValue {
        skipWhitespace()
        guard index < bytes.count else {
            throw .json("unexpected end of input, expected a value", at: index)
        }
        switch bytes[index] {
        case UInt8(ascii: "{"):
            return .object(try parseObject())
        case UInt8(ascii: "["):
            return .array(try parseArray())
        case UInt8(ascii: "\""):
            return .string(try parseString())
        case UInt8(ascii: "t"):
            try expectLiteral("true")
            return .bool(true)
        case UInt8(ascii: "f"):
            try expectLiteral("false")
            return .bool(false)
        case UInt8(ascii: "n"):
            try expectLiteral("null")
            return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            return .number(try parseNumber())
        default:
            throw .json("unexpected \(describe(at: index)), expected a value", at: index)
        }
    }

    private mutating func expectLiteral(_ literal: StaticString) throws(BloodbankModelError) {
        let start = index
        let length = literal.utf8CodeUnitCount
        let matches = literal.withUTF8Buffer { expected -> Bool in
            guard start + length <= bytes.count else { return false }
            for offset in 0..<length where bytes[start + offset] != expected[offset] {
                return false
            }
            return true
        }
        guard matches else {
            throw .json("invalid literal, expected '\(literal)'", at: start)
        }
        index += length
    }

    private mutating func enterContainer() throws(BloodbankModelError) {
        depth += 1
        if depth > options.maximumDepth {
            throw .json("nesting deeper than \(options.maximumDepth) levels", at: index)
        }
    }

    private mutating func parseObject() throws(BloodbankModelError) -> JSONObject {
        try enterContainer()
        index += 1
        var keys: [String] = []
        var values: [JSONValue] = []
        skipWhitespace()
        if index < bytes.count, bytes[index] == UInt8(ascii: "}") {
            index += 1
            depth -= 1
            return JSONObject(keys: keys, values: values)
        }
        while true {
            skipWhitespace()
            guard index < bytes.count, bytes[index] == UInt8(ascii: "\"") else {
                throw .json("unexpected \(describe(at: index)), expected a string key", at: index)
            }
            keys.append(try parseString())
            skipWhitespace()
            guard index < bytes.count, bytes[index] == UInt8(ascii: ":") else {
                throw .json("unexpected \(describe(at: index)), expected ':' after an object key", at: index)
            }
            index += 1
            values.append(try parseValue())
            skipWhitespace()
            guard index < bytes.count else {
                throw .json("unexpected end of input, expected ',' or '}' in an object", at: index)
            }
            if bytes[index] == UInt8(ascii: ",") {
                index += 1
            } else if bytes[index] == UInt8(ascii: "}") {
                index += 1
                depth -= 1
                return JSONObject(keys: keys, values: values)
            } else {
                throw .json("unexpected \(describe(at: index)), expected ',' or '}' in an object", at: index)
            }
        }
    }

    private mutating func parseArray() throws(BloodbankModelError) -> [JSONValue] {
        try enterContainer()
        index += 1
        var elements: [JSONValue] = []
        skipWhitespace()
        if index < bytes.count, bytes[index] == UInt8(ascii: "]") {
            index += 1
            depth -= 1
            return elements
        }
        while true {
            elements.append(try parseValue())
            skipWhitespace()
            guard index < bytes.count else {
                throw .json("unexpected end of input, expected ',' or ']' in an array", at: index)
            }
            if bytes[index] == UInt8(ascii: ",") {
                index += 1
            } else if bytes[index] == UInt8(ascii: "]") {
                index += 1
                depth -= 1
                return elements
            } else {
                throw .json("unexpected \(describe(at: index)), expected ',' or ']' in an array", at: index)
            }
        }
    }

    private mutating func parseNumber() throws(BloodbankModelError) -> JSONNumber {
        let start = index
        let result = JSONNumber.scan(bytes, from: start)
        if let error = result.error {
            throw .json(error.message, at: error.offset)
        }
        index = result.end
        return JSONNumber(
            uncheckedText: String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<index]), as: UTF8.self))
    }

    /// Parses a string starting at its opening quote. The common case (no escapes) slices the input
    /// directly; UTF-8 is validated here so the `String` never contains replacement characters.
    private mutating func parseString() throws(BloodbankModelError) -> String {
        let start = index + 1
        var position = start
        let count = bytes.count
        while position < count {
            let byte = bytes[position]
            if byte == UInt8(ascii: "\"") {
                index = position + 1
                return String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<position]), as: UTF8.self)
            }
            if byte == UInt8(ascii: "\\") {
                return try parseEscapedString(start: start, firstEscape: position)
            }
            if byte < 0x20 {
                throw .json("unescaped control character U+\(hex4(UInt32(byte))) in a string", at: position)
            }
            position = byte < 0x80 ? position + 1 : try validateUTF8Sequence(at: position)
        }
        throw .json("unterminated string", at: index)
    }

    private mutating func parseEscapedString(start: Int, firstEscape: Int) throws(BloodbankModelError) -> String {
        var buffer: [UInt8] = []
        buffer.reserveCapacity(firstEscape - start + 16)
        buffer.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[start..<firstEscape]))
        var position = firstEscape
        let count = bytes.count
        while position < count {
            let byte = bytes[position]
            switch byte {
            case UInt8(ascii: "\""):
                index = position + 1
                return String(decoding: buffer, as: UTF8.self)
            case UInt8(ascii: "\\"):
                position = try decodeEscape(at: position, into: &buffer)
            case 0..<0x20:
                throw .json("unescaped control character U+\(hex4(UInt32(byte))) in a string", at: position)
            case 0..<0x80:
                buffer.append(byte)
                position += 1
            default:
                let end = try validateUTF8Sequence(at: position)
                buffer.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[position..<end]))
                position = end
            }
        }
        throw .json("unterminated string", at: index)
    }

    /// Decodes the escape at `position` (pointing at the backslash); returns the offset after it.
    private func decodeEscape(at position: Int, into buffer: inout [UInt8]) throws(BloodbankModelError) -> Int {
        guard position + 1 < bytes.count else {
            throw .json("unterminated escape sequence", at: position)
        }
        switch bytes[position + 1] {
        case UInt8(ascii: "\""): buffer.append(0x22)
        case UInt8(ascii: "\\"): buffer.append(0x5C)
        case UInt8(ascii: "/"): buffer.append(0x2F)
        case UInt8(ascii: "b"): buffer.append(0x08)
        case UInt8(ascii: "f"): buffer.append(0x0C)
        case UInt8(ascii: "n"): buffer.append(0x0A)
        case UInt8(ascii: "r"): buffer.append(0x0D)
        case UInt8(ascii: "t"): buffer.append(0x09)
        case UInt8(ascii: "u"):
            var unit = try readHex4(at: position + 2)
            var end = position + 6
            if unit >= 0xD800, unit <= 0xDBFF {
                guard end + 1 < bytes.count, bytes[end] == UInt8(ascii: "\\"), bytes[end + 1] == UInt8(ascii: "u")
                else {
                    throw .json("lone high surrogate \\u\(hex4(unit)) is not followed by a low surrogate", at: position)
                }
                let low = try readHex4(at: end + 2)
                guard low >= 0xDC00, low <= 0xDFFF else {
                    throw .json("high surrogate \\u\(hex4(unit)) is followed by \\u\(hex4(low))", at: end)
                }
                unit = 0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00)
                end += 6
            } else if unit >= 0xDC00, unit <= 0xDFFF {
                throw .json("lone low surrogate \\u\(hex4(unit))", at: position)
            }
            if unit == 0, options.rejectsNullCharacter {
                throw .json("\\u0000 is not accepted (PostgreSQL jsonb cannot store U+0000)", at: position)
            }
            appendUTF8(unit, to: &buffer)
            return end
        default:
            throw .json(
                "invalid escape sequence: unexpected \(describe(at: position + 1)) after a backslash", at: position)
        }
        return position + 2
    }

    private func readHex4(at position: Int) throws(BloodbankModelError) -> UInt32 {
        guard position + 4 <= bytes.count else {
            throw .json("truncated \\u escape", at: position)
        }
        var value: UInt32 = 0
        for offset in 0..<4 {
            let byte = bytes[position + offset]
            let digit: UInt8
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
            default: throw .json("invalid hex digit in \\u escape", at: position + offset)
            }
            value = value << 4 | UInt32(digit)
        }
        return value
    }

    private func appendUTF8(_ scalar: UInt32, to buffer: inout [UInt8]) {
        switch scalar {
        case 0..<0x80:
            buffer.append(UInt8(scalar))
        case 0x80..<0x800:
            buffer.append(UInt8(0xC0 | scalar >> 6))
            buffer.append(UInt8(0x80 | scalar & 0x3F))
        case 0x800..<0x10000:
            buffer.append(UInt8(0xE0 | scalar >> 12))
            buffer.append(UInt8(0x80 | scalar >> 6 & 0x3F))
            buffer.append(UInt8(0x80 | scalar & 0x3F))
        default:
            buffer.append(UInt8(0xF0 | scalar >> 18))
            buffer.append(UInt8(0x80 | scalar >> 12 & 0x3F))
            buffer.append(UInt8(0x80 | scalar >> 6 & 0x3F))
            buffer.append(UInt8(0x80 | scalar & 0x3F))
        }
    }

    /// Validates one multi-byte UTF-8 sequence (Unicode Table 3-7: no overlongs, no encoded surrogates,
    /// nothing above U+10FFFF) and returns the offset after it.
    private func validateUTF8Sequence(at position: Int) throws(BloodbankModelError) -> Int {
        let lead = bytes[position]
        let length: Int
        var lowerBound: UInt8 = 0x80
        var upperBound: UInt8 = 0xBF
        switch lead {
        case 0xC2...0xDF: length = 2
        case 0xE0:
            length = 3
            lowerBound = 0xA0
        case 0xE1...0xEC, 0xEE...0xEF: length = 3
        case 0xED:
            length = 3
            upperBound = 0x9F
        case 0xF0:
            length = 4
            lowerBound = 0x90
        case 0xF1...0xF3: length = 4
        case 0xF4:
            length = 4
            upperBound = 0x8F
        default:
            throw .json("invalid UTF-8 lead byte 0x\(String(lead, radix: 16, uppercase: true))", at: position)
        }
        guard position + length <= bytes.count else {
            throw .json("truncated UTF-8 sequence", at: position)
        }
        let second = bytes[position + 1]
        guard second >= lowerBound, second <= upperBound else {
            throw .json("invalid UTF-8 continuation byte", at: position + 1)
        }
        var offset = 2
        while offset < length {
            guard bytes[position + offset] & 0xC0 == 0x80 else {
                throw .json("invalid UTF-8 continuation byte", at: position + offset)
            }
            offset += 1
        }
        return position + length
    }
}

func hex4(_ value: UInt32) -> String {
    let digits = String(value, radix: 16, uppercase: true)
    return String(repeating: "0", count: max(0, 4 - digits.count)) + digits
}
