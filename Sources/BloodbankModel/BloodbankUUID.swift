public import Foundation

/// UUID text handling for the wire format, hand-written because it runs several times per ingested event.
///
/// Input is the hyphenated 8-4-4-4-12 form in any letter case (what Python's `str(uuid)` and pydantic
/// produce, plus uppercase from other producers); output is always lowercase hyphenated, as Python writes it.
/// Braced, URN and 32-digit forms are rejected so that the JSON Schema pattern and the validator agree.
public enum BloodbankUUID {
    /// The JSON Schema `pattern` equivalent to ``parse(_:)``.
    public static let schemaPattern =
        "^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"

    /// Parses a hyphenated UUID in any letter case; `nil` for anything else.
    public static func parse(_ text: String) -> UUID? {
        var text = text
        return text.withUTF8 { parse(bytes: $0) }
    }

    static func parse(bytes: UnsafeBufferPointer<UInt8>) -> UUID? {
        guard bytes.count == 36 else { return nil }
        var uuid: uuid_t = (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        let valid = withUnsafeMutableBytes(of: &uuid) { raw -> Bool in
            var position = 0
            var written = 0
            while position < 36 {
                if position == 8 || position == 13 || position == 18 || position == 23 {
                    guard bytes[position] == UInt8(ascii: "-") else { return false }
                    position += 1
                    continue
                }
                guard let high = hexValue(bytes[position]), let low = hexValue(bytes[position + 1]) else {
                    return false
                }
                raw[written] = high << 4 | low
                written += 1
                position += 2
            }
            return true
        }
        return valid ? UUID(uuid: uuid) : nil
    }

    /// Formats a UUID as lowercase hyphenated text, the wire form.
    public static func format(_ uuid: UUID) -> String {
        var output: [UInt8] = []
        output.reserveCapacity(36)
        append(uuid, to: &output)
        return String(decoding: output, as: UTF8.self)
    }

    static func append(_ uuid: UUID, to output: inout [UInt8]) {
        let digits: StaticString = "0123456789abcdef"
        withUnsafeBytes(of: uuid.uuid) { raw in
            digits.withUTF8Buffer { hex in
                for index in 0..<16 {
                    if index == 4 || index == 6 || index == 8 || index == 10 { output.append(UInt8(ascii: "-")) }
                    output.append(hex[Int(raw[index] >> 4)])
                    output.append(hex[Int(raw[index] & 0x0F)])
                }
            }
        }
    }

    /// Extracts the UUID from a Letta agent id (`agent-<uuid>`), or parses a bare UUID; `nil` when there is
    /// none (Letta ids such as `agent-1234` exist in tests). The store keys `agent_sessions` by this UUID.
    public static func fromLettaAgentID(_ agentID: String) -> UUID? {
        if let uuid = parse(agentID) { return uuid }
        guard agentID.hasPrefix("agent-") else { return nil }
        return parse(String(agentID.dropFirst(6)))
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return byte - UInt8(ascii: "A") + 10
        default: return nil
        }
    }
}
