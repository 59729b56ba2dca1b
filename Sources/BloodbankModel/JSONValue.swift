/// An exact JSON value: what arrived on the wire is what is kept.
///
/// Unlike `JSONSerialization` or `Codable`, this type never converts numbers through `Double` (a
/// ``JSONNumber`` keeps its literal text, so `12345678901234567890`, `0.1` and `1e400` survive byte for
/// byte) and objects keep their key order (``JSONObject``), so re-encoding a payload reproduces what the
/// producer sent. Equality is structural and literal: `1.0` and `1` are different values.
public enum JSONValue: Sendable, Hashable {
    /// The JSON `null` literal.
    case null
    /// `true` or `false`.
    case bool(Bool)
    /// A number, kept as its exact literal text.
    case number(JSONNumber)
    /// A string (any Unicode scalar; lone surrogates are rejected by the parser).
    case string(String)
    /// An ordered array.
    case array([JSONValue])
    /// An object whose key order is preserved.
    case object(JSONObject)

    /// The JSON type name used in error messages and JSON Schema (`null`, `boolean`, `number`, ...).
    public var typeName: String {
        switch self {
        case .null: return "null"
        case .bool: return "boolean"
        case .number: return "number"
        case .string: return "string"
        case .array: return "array"
        case .object: return "object"
        }
    }

    /// The string, when this is a string.
    public var stringValue: String? {
        if case .string(let value) = self { return value }
        return nil
    }

    /// The object, when this is an object.
    public var objectValue: JSONObject? {
        if case .object(let value) = self { return value }
        return nil
    }

    /// The elements, when this is an array.
    public var arrayValue: [JSONValue]? {
        if case .array(let value) = self { return value }
        return nil
    }

    /// The number, when this is a number.
    public var numberValue: JSONNumber? {
        if case .number(let value) = self { return value }
        return nil
    }

    /// The boolean, when this is a boolean.
    public var boolValue: Bool? {
        if case .bool(let value) = self { return value }
        return nil
    }

    /// Whether this is the `null` literal.
    public var isNull: Bool {
        if case .null = self { return true }
        return false
    }

    /// Looks up a key when this is an object; `nil` for a missing key or a non-object.
    public subscript(key: String) -> JSONValue? {
        objectValue?[key]
    }
}

extension JSONValue: ExpressibleByNilLiteral {
    /// Creates `null`.
    public init(nilLiteral: ()) {
        self = .null
    }
}

extension JSONValue: ExpressibleByBooleanLiteral {
    /// Creates a boolean.
    public init(booleanLiteral value: Bool) {
        self = .bool(value)
    }
}

extension JSONValue: ExpressibleByIntegerLiteral {
    /// Creates an integer number.
    public init(integerLiteral value: Int) {
        self = .number(JSONNumber(value))
    }
}

extension JSONValue: ExpressibleByStringLiteral {
    /// Creates a string.
    public init(stringLiteral value: String) {
        self = .string(value)
    }
}

extension JSONValue: ExpressibleByArrayLiteral {
    /// Creates an array.
    public init(arrayLiteral elements: JSONValue...) {
        self = .array(elements)
    }
}

extension JSONValue: ExpressibleByDictionaryLiteral {
    /// Creates an object whose key order is the literal's order.
    public init(dictionaryLiteral elements: (String, JSONValue)...) {
        self = .object(JSONObject(elements))
    }
}

/// A JSON object that keeps its members in arrival order.
///
/// Stored as two parallel arrays (cheap to build while parsing, synthesised `Hashable`). Duplicate keys are
/// kept for exact re-encoding, and lookup returns the LAST occurrence, which is what Python's `json`,
/// pydantic and PostgreSQL `jsonb` do, so every consumer agrees on the value.
public struct JSONObject: Sendable, Hashable {
    /// The member names in order.
    public private(set) var keys: [String]
    /// The member values, parallel to `keys`.
    public private(set) var values: [JSONValue]

    /// Creates an empty object.
    public init() {
        self.keys = []
        self.values = []
    }

    /// Creates an object from ordered pairs.
    public init(_ pairs: some Sequence<(String, JSONValue)>) {
        self.init()
        for (key, value) in pairs {
            keys.append(key)
            values.append(value)
        }
    }

    init(keys: [String], values: [JSONValue]) {
        self.keys = keys
        self.values = values
    }

    /// The number of members (duplicates counted).
    public var count: Int { keys.count }

    /// Whether the object has no members.
    public var isEmpty: Bool { keys.isEmpty }

    /// The members in order, as `(key, value)` pairs.
    public var entries: [(key: String, value: JSONValue)] {
        Array(zip(keys, values).map { (key: $0, value: $1) })
    }

    /// Reads the last member named `key`; setting replaces it in place or appends a new member, and
    /// setting `nil` removes every member with that name.
    public subscript(key: String) -> JSONValue? {
        get {
            guard let index = lastIndex(of: key) else { return nil }
            return values[index]
        }
        set {
            if let newValue {
                if let index = lastIndex(of: key) {
                    values[index] = newValue
                } else {
                    keys.append(key)
                    values.append(newValue)
                }
            } else {
                removeAll(key)
            }
        }
    }

    /// Whether a member with this name exists (its value may be `null`).
    public func contains(_ key: String) -> Bool {
        lastIndex(of: key) != nil
    }

    /// Appends a member at the end, even if the key already exists.
    public mutating func append(_ key: String, _ value: JSONValue) {
        keys.append(key)
        values.append(value)
    }

    private mutating func removeAll(_ key: String) {
        var index = keys.count - 1
        while index >= 0 {
            if keys[index] == key {
                keys.remove(at: index)
                values.remove(at: index)
            }
            index -= 1
        }
    }

    private func lastIndex(of key: String) -> Int? {
        // Linear scan: envelopes and payloads have a handful of keys, where this beats hashing.
        var index = keys.count - 1
        while index >= 0 {
            if keys[index] == key { return index }
            index -= 1
        }
        return nil
    }
}

extension JSONObject: ExpressibleByDictionaryLiteral {
    /// Creates an object whose key order is the literal's order.
    public init(dictionaryLiteral elements: (String, JSONValue)...) {
        self.init(elements)
    }
}
