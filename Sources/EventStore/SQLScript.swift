/// Splits a SQL script into statements, because the extended query protocol (the only one postgres-nio
/// speaks) runs one statement per query.
///
/// Understands what PostgreSQL's lexer does around semicolons: single-quoted strings (with `''` and, in
/// `E'…'` strings, backslash escapes), double-quoted identifiers, dollar-quoted bodies (`$$…$$`,
/// `$tag$…$tag$`), `--` line comments and nested `/* */` block comments. Statements that contain only
/// whitespace and comments are dropped.
public enum SQLScript {
    /// The statements of `script`, trimmed, in order, without their terminating semicolons.
    public static func statements(in script: String) -> [String] {
        let bytes = Array(script.utf8)
        var statements: [String] = []
        var start = 0
        var index = 0
        var hasCode = false

        func flush(upTo end: Int) {
            if hasCode {
                let text = String(decoding: bytes[start..<end], as: UTF8.self)
                statements.append(text.trimmingWhitespace())
            }
            hasCode = false
        }

        while index < bytes.count {
            let byte = bytes[index]
            switch byte {
            case UInt8(ascii: "-") where index + 1 < bytes.count && bytes[index + 1] == UInt8(ascii: "-"):
                index = skipLineComment(bytes, from: index)
            case UInt8(ascii: "/") where index + 1 < bytes.count && bytes[index + 1] == UInt8(ascii: "*"):
                index = skipBlockComment(bytes, from: index)
            case UInt8(ascii: "'"):
                let escapes =
                    index > 0 && (bytes[index - 1] == UInt8(ascii: "E") || bytes[index - 1] == UInt8(ascii: "e"))
                index = skipQuoted(bytes, from: index, quote: UInt8(ascii: "'"), backslashEscapes: escapes)
                hasCode = true
            case UInt8(ascii: "\""):
                index = skipQuoted(bytes, from: index, quote: UInt8(ascii: "\""), backslashEscapes: false)
                hasCode = true
            case UInt8(ascii: "$"):
                if let end = skipDollarQuoted(bytes, from: index) {
                    index = end
                } else {
                    index += 1
                }
                hasCode = true
            case UInt8(ascii: ";"):
                flush(upTo: index)
                index += 1
                start = index
            case UInt8(ascii: " "), UInt8(ascii: "\t"), UInt8(ascii: "\n"), UInt8(ascii: "\r"):
                index += 1
            default:
                hasCode = true
                index += 1
            }
        }
        flush(upTo: bytes.count)
        return statements
    }

    private static func skipLineComment(_ bytes: [UInt8], from start: Int) -> Int {
        var index = start + 2
        while index < bytes.count && bytes[index] != UInt8(ascii: "\n") { index += 1 }
        return index
    }

    private static func skipBlockComment(_ bytes: [UInt8], from start: Int) -> Int {
        var depth = 0
        var index = start
        while index < bytes.count {
            if bytes[index] == UInt8(ascii: "/") && index + 1 < bytes.count && bytes[index + 1] == UInt8(ascii: "*") {
                depth += 1
                index += 2
            } else if bytes[index] == UInt8(ascii: "*") && index + 1 < bytes.count
                && bytes[index + 1] == UInt8(ascii: "/")
            {
                depth -= 1
                index += 2
                if depth == 0 { return index }
            } else {
                index += 1
            }
        }
        return index
    }

    private static func skipQuoted(_ bytes: [UInt8], from start: Int, quote: UInt8, backslashEscapes: Bool) -> Int {
        var index = start + 1
        while index < bytes.count {
            let byte = bytes[index]
            if backslashEscapes && byte == UInt8(ascii: "\\") {
                index += 2
                continue
            }
            if byte == quote {
                if index + 1 < bytes.count && bytes[index + 1] == quote {
                    index += 2
                    continue
                }
                return index + 1
            }
            index += 1
        }
        return index
    }

    /// Returns the index after the closing delimiter, or nil when `$` does not open a dollar quote
    /// (e.g. a positional parameter `$1`).
    private static func skipDollarQuoted(_ bytes: [UInt8], from start: Int) -> Int? {
        var index = start + 1
        while index < bytes.count, isTagByte(bytes[index]) { index += 1 }
        guard index < bytes.count, bytes[index] == UInt8(ascii: "$") else { return nil }
        let tag = Array(bytes[start...index])
        if tag.count > 2, let first = tag.dropFirst().first, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(first) {
            return nil
        }
        var cursor = index + 1
        while cursor + tag.count <= bytes.count {
            if bytes[cursor] == UInt8(ascii: "$") && Array(bytes[cursor..<(cursor + tag.count)]) == tag {
                return cursor + tag.count
            }
            cursor += 1
        }
        return bytes.count
    }

    private static func isTagByte(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte)
            || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) || byte == UInt8(ascii: "_") || byte >= 0x80
    }
}

extension String {
    /// The string without leading and trailing ASCII whitespace.
    func trimmingWhitespace() -> String {
        let scalars = unicodeScalars
        let isSpace: (Unicode.Scalar) -> Bool = { $0 == " " || $0 == "\n" || $0 == "\t" || $0 == "\r" }
        guard let first = scalars.firstIndex(where: { !isSpace($0) }),
            let last = scalars.lastIndex(where: { !isSpace($0) })
        else { return "" }
        return String(scalars[first...last])
    }
}
