import Foundation

/// A JSON value for the parts of Letta's API this client does not model field by field.
///
/// Letta's configuration objects grow a field or two with most releases; keeping the unknown ones as
/// `LettaJSON` lets a caller set them today and lets a read-modify-write keep them, without a client release.
/// Integers stay integers (`.integer`) so ids and limits survive exactly.
public enum LettaJSON: Sendable, Hashable, Codable {
    /// JSON `null`.
    case null
    /// `true` or `false`.
    case bool(Bool)
    /// A number without fraction or exponent that fits in `Int`.
    case integer(Int)
    /// Any other number.
    case number(Double)
    /// A string.
    case string(String)
    /// An array.
    case array([LettaJSON])
    /// An object; key order is not kept.
    case object([String: LettaJSON])

    /// Decodes any JSON value, preferring `.integer` over `.number` when the value is integral.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let value = try? container.decode(Bool.self) {
            self = .bool(value)
        } else if let value = try? container.decode(Int.self) {
            self = .integer(value)
        } else if let value = try? container.decode(Double.self) {
            self = .number(value)
        } else if let value = try? container.decode(String.self) {
            self = .string(value)
        } else if let value = try? container.decode([LettaJSON].self) {
            self = .array(value)
        } else {
            self = .object(try container.decode([String: LettaJSON].self))
        }
    }

    /// Encodes the value as the JSON it stands for.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .null: try container.encodeNil()
        case .bool(let value): try container.encode(value)
        case .integer(let value): try container.encode(value)
        case .number(let value): try container.encode(value)
        case .string(let value): try container.encode(value)
        case .array(let value): try container.encode(value)
        case .object(let value): try container.encode(value)
        }
    }

    /// The string, when this is `.string`; lets callers read optional text fields without a switch.
    public var stringValue: String? {
        if case .string(let value) = self { return value }
        return nil
    }
}

/// A coding key built at run time, for the open-ended members of Letta's objects.
struct DynamicCodingKey: CodingKey {
    var stringValue: String
    var intValue: Int? { nil }

    init(_ string: String) { self.stringValue = string }
    init?(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { nil }
}

extension KeyedDecodingContainer where Key == DynamicCodingKey {
    /// Every member whose name is not in `known`, for the `extra` dictionaries of the config types.
    func extraMembers(excluding known: Set<String>) throws -> [String: LettaJSON] {
        var extra: [String: LettaJSON] = [:]
        for key in allKeys where !known.contains(key.stringValue) {
            extra[key.stringValue] = try decode(LettaJSON.self, forKey: key)
        }
        return extra
    }
}
