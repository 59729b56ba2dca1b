extension JSONValue {
    /// The canonical compact encoding as UTF-8 bytes.
    ///
    /// Matches Python pydantic's `model_dump_json()`: no whitespace, `,` and `:` separators, non-ASCII
    /// written as raw UTF-8, and only `"`, `\`, and control characters escaped (`\n \r \t \b \f`, others as
    /// `\u00XX` in lowercase hex). Numbers are written as their exact literal; object key order is kept.
    public func encodedBytes() -> [UInt8] {
        var output: [UInt8] = []
        output.reserveCapacity(256)
        encode(into: &output)
        return output
    }

    /// The canonical compact encoding as a string.
    public func encodedString() -> String {
        String(decoding: encodedBytes(), as: UTF8.self)
    }

    /// Appends the canonical compact encoding to `output`, so callers can compose larger documents without
    /// intermediate copies.
    public func encode(into output: inout [UInt8]) {
        switch self {
        case .null:
            output.append(contentsOf: JSONWriter.nullLiteral)
        case .bool(let value):
            output.append(contentsOf: value ? JSONWriter.trueLiteral : JSONWriter.falseLiteral)
        case .number(let number):
            output.append(contentsOf: number.text.utf8)
        case .string(let string):
            JSONWriter.writeString(string, into: &output)
        case .array(let elements):
            output.append(UInt8(ascii: "["))
            for (offset, element) in elements.enumerated() {
                if offset > 0 { output.append(UInt8(ascii: ",")) }
                element.encode(into: &output)
            }
            output.append(UInt8(ascii: "]"))
        case .object(let object):
            object.encode(into: &output)
        }
    }
}

extension JSONObject {
    /// Appends the canonical compact encoding of this object to `output`.
    public func encode(into output: inout [UInt8]) {
        output.append(UInt8(ascii: "{"))
        for offset in 0..<keys.count {
            if offset > 0 { output.append(UInt8(ascii: ",")) }
            JSONWriter.writeString(keys[offset], into: &output)
            output.append(UInt8(ascii: ":"))
            values[offset].encode(into: &output)
        }
        output.append(UInt8(ascii: "}"))
    }

    /// The canonical compact encoding as UTF-8 bytes.
    public func encodedBytes() -> [UInt8] {
        var output: [UInt8] = []
        encode(into: &output)
        return output
    }
}

/// Low-level writing helpers shared by the value and envelope encoders.
enum JSONWriter {
    static let nullLiteral: [UInt8] = Array("null".utf8)
    static let trueLiteral: [UInt8] = Array("true".utf8)
    static let falseLiteral: [UInt8] = Array("false".utf8)
    private static let hexDigits: [UInt8] = Array("0123456789abcdef".utf8)

    static func writeString(_ string: String, into output: inout [UInt8]) {
        output.append(UInt8(ascii: "\""))
        var string = string
        string.withUTF8 { buffer in
            var runStart = 0
            for position in 0..<buffer.count {
                let byte = buffer[position]
                guard byte < 0x20 || byte == 0x22 || byte == 0x5C else { continue }
                if runStart < position {
                    output.append(contentsOf: UnsafeBufferPointer(rebasing: buffer[runStart..<position]))
                }
                runStart = position + 1
                output.append(UInt8(ascii: "\\"))
                switch byte {
                case 0x22: output.append(0x22)
                case 0x5C: output.append(0x5C)
                case 0x0A: output.append(UInt8(ascii: "n"))
                case 0x0D: output.append(UInt8(ascii: "r"))
                case 0x09: output.append(UInt8(ascii: "t"))
                case 0x08: output.append(UInt8(ascii: "b"))
                case 0x0C: output.append(UInt8(ascii: "f"))
                default:
                    output.append(contentsOf: [UInt8(ascii: "u"), UInt8(ascii: "0"), UInt8(ascii: "0")])
                    output.append(hexDigits[Int(byte >> 4)])
                    output.append(hexDigits[Int(byte & 0x0F)])
                }
            }
            if runStart < buffer.count {
                output.append(contentsOf: UnsafeBufferPointer(rebasing: buffer[runStart..<buffer.count]))
            }
        }
        output.append(UInt8(ascii: "\""))
    }
}

extension JSONValue {
    /// An indented encoding for files people read (exported schemas), laid out like Python's
    /// `json.dumps(value, indent=2, ensure_ascii=False)`, ending in a newline. Deterministic, so exported
    /// files diff cleanly. Strings and numbers are written exactly as in the compact form.
    public func prettyEncodedBytes(indent: Int = 2) -> [UInt8] {
        var output: [UInt8] = []
        writePretty(into: &output, indent: indent, level: 0)
        output.append(UInt8(ascii: "\n"))
        return output
    }

    private func writePretty(into output: inout [UInt8], indent: Int, level: Int) {
        func newline(_ level: Int) {
            output.append(UInt8(ascii: "\n"))
            output.append(contentsOf: repeatElement(UInt8(ascii: " "), count: indent * level))
        }
        switch self {
        case .array(let elements) where !elements.isEmpty:
            output.append(UInt8(ascii: "["))
            for (offset, element) in elements.enumerated() {
                if offset > 0 { output.append(UInt8(ascii: ",")) }
                newline(level + 1)
                element.writePretty(into: &output, indent: indent, level: level + 1)
            }
            newline(level)
            output.append(UInt8(ascii: "]"))
        case .object(let object) where !object.isEmpty:
            output.append(UInt8(ascii: "{"))
            for offset in 0..<object.keys.count {
                if offset > 0 { output.append(UInt8(ascii: ",")) }
                newline(level + 1)
                JSONWriter.writeString(object.keys[offset], into: &output)
                output.append(contentsOf: [UInt8(ascii: ":"), UInt8(ascii: " ")])
                object.values[offset].writePretty(into: &output, indent: indent, level: level + 1)
            }
            newline(level)
            output.append(UInt8(ascii: "}"))
        default:
            encode(into: &output)
        }
    }
}
