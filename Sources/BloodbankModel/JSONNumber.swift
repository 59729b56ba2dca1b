/// A JSON number kept as its exact literal text.
///
/// PostgreSQL `jsonb` keeps every digit of a number, and the Python producers send integers beyond 2^53 and
/// decimals such as `0.1`; converting through `Double` would silently change them. The literal is validated
/// against the RFC 8259 grammar on creation, so `text` is always valid JSON.
public struct JSONNumber: Sendable, Hashable, CustomStringConvertible {
    /// The literal exactly as it appeared in the input (or as produced by an initialiser).
    public let text: String

    /// Creates a number from a literal; `nil` when `text` is not a valid RFC 8259 number.
    public init?(_ text: String) {
        var copy = text
        let valid = copy.withUTF8 { buffer in
            let result = JSONNumber.scan(buffer, from: 0)
            return result.error == nil && result.end == buffer.count
        }
        guard valid else { return nil }
        self.text = text
    }

    /// Creates an integer literal.
    public init(_ value: Int) {
        self.text = String(value)
    }

    /// Creates an integer literal.
    public init(_ value: Int64) {
        self.text = String(value)
    }

    /// Creates a literal from a `Double` using Swift's shortest round-tripping form; `nil` for NaN and
    /// infinities, which JSON cannot represent.
    public init?(_ value: Double) {
        guard value.isFinite else { return nil }
        // Swift's description is the shortest round-tripping form and always valid JSON ("0.1", "1e+20").
        self.text = value.description
    }

    init(uncheckedText: String) {
        self.text = uncheckedText
    }

    /// The literal.
    public var description: String { text }

    /// Whether the literal is written as an integer (no fraction, no exponent).
    public var isIntegerLiteral: Bool {
        !text.utf8.contains { $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "e") || $0 == UInt8(ascii: "E") }
    }

    /// The nearest `Double` (lossy by nature: large exponents become infinity).
    public var doubleValue: Double {
        Double(text) ?? .nan
    }

    /// Whether the mathematical value is an integer (`3`, `3.0`, `3e2`, `-0`), which is what JSON Schema's
    /// `integer` type means.
    public var isIntegral: Bool {
        let parts = decompose()
        let pointPosition = parts.digits.count - parts.fractionCount + parts.exponent
        for (index, digit) in parts.digits.enumerated() where index >= max(pointPosition, 0) {
            if digit != 0 { return false }
        }
        return true
    }

    /// The exact value as `Int64` when it is integral and in range (`1.0` → 1, `2e3` → 2000); `nil`
    /// otherwise.
    public var int64Value: Int64? {
        guard isIntegral else { return nil }
        let parts = decompose()
        let pointPosition = parts.digits.count - parts.fractionCount + parts.exponent
        var magnitude: UInt64 = 0
        var index = 0
        while index < pointPosition {
            let digit = index < parts.digits.count ? UInt64(parts.digits[index]) : 0
            let (shifted, overflow1) = magnitude.multipliedReportingOverflow(by: 10)
            let (added, overflow2) = shifted.addingReportingOverflow(digit)
            if overflow1 || overflow2 { return nil }
            magnitude = added
            index += 1
        }
        if parts.negative {
            if magnitude == UInt64(Int64.max) + 1 { return Int64.min }
            guard magnitude <= UInt64(Int64.max) else { return nil }
            return -Int64(magnitude)
        }
        guard magnitude <= UInt64(Int64.max) else { return nil }
        return Int64(magnitude)
    }

    private struct Parts {
        var negative = false
        var digits: [UInt8] = []
        var fractionCount = 0
        var exponent = 0
    }

    private func decompose() -> Parts {
        var parts = Parts()
        var inFraction = false
        var inExponent = false
        var exponentNegative = false
        var exponent = 0
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "-"):
                if inExponent { exponentNegative = true } else { parts.negative = true }
            case UInt8(ascii: "+"):
                break
            case UInt8(ascii: "."):
                inFraction = true
            case UInt8(ascii: "e"), UInt8(ascii: "E"):
                inExponent = true
            default:
                let digit = byte &- UInt8(ascii: "0")
                if inExponent {
                    // Saturate: anything beyond this is far outside Int64 and any sane payload anyway.
                    exponent = min(exponent * 10 + Int(digit), 100_000)
                } else {
                    parts.digits.append(digit)
                    if inFraction { parts.fractionCount += 1 }
                }
            }
        }
        parts.exponent = exponentNegative ? -exponent : exponent
        return parts
    }

    /// Scans one number starting at `start`; returns the end offset, or an error message and the offset of
    /// the offending byte.
    static func scan(
        _ bytes: UnsafeBufferPointer<UInt8>,
        from start: Int
    ) -> (end: Int, error: (message: String, offset: Int)?) {
        var index = start
        let count = bytes.count
        @inline(__always) func isDigit(_ position: Int) -> Bool {
            position < count && bytes[position] &- UInt8(ascii: "0") < 10
        }
        if index < count, bytes[index] == UInt8(ascii: "-") { index += 1 }
        guard isDigit(index) else {
            return (index, ("expected a digit in number", index))
        }
        if bytes[index] == UInt8(ascii: "0") {
            index += 1
            if isDigit(index) { return (index, ("leading zeros are not allowed in numbers", index)) }
        } else {
            while isDigit(index) { index += 1 }
        }
        if index < count, bytes[index] == UInt8(ascii: ".") {
            index += 1
            guard isDigit(index) else { return (index, ("expected a digit after the decimal point", index)) }
            while isDigit(index) { index += 1 }
        }
        if index < count, bytes[index] == UInt8(ascii: "e") || bytes[index] == UInt8(ascii: "E") {
            index += 1
            if index < count, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") { index += 1 }
            guard isDigit(index) else { return (index, ("expected a digit in the exponent", index)) }
            while isDigit(index) { index += 1 }
        }
        return (index, nil)
    }
}
