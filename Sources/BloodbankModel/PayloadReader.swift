import Foundation

/// Reads typed values out of a payload object, taking defaults from the field descriptors.
///
/// Runs after validation, so its errors only fire if a typed decoder and its descriptors disagree; they
/// still produce the same `invalid_payload` wording rather than trapping.
struct PayloadReader {
    let object: JSONObject
    let fields: [PayloadField]
    let path: String

    init(_ object: JSONObject, fields: [PayloadField], path: String = "payload") {
        self.object = object
        self.fields = fields
        self.path = path
    }

    /// The member, or the descriptor default when it is missing or null.
    func value(_ name: String) -> JSONValue? {
        switch object[name] {
        case .none, .null?:
            return fields.first { $0.name == name }?.defaultValue
        case let value?:
            return value
        }
    }

    private func mismatch(_ name: String, _ expected: String, _ value: JSONValue) -> BloodbankModelError {
        .payload("\(path).\(name)", "expected \(expected), \(FieldChecks.got(value))")
    }

    func require<T>(_ name: String, _ read: (String) throws(BloodbankModelError) -> T?) throws(BloodbankModelError)
        -> T
    {
        guard let value = try read(name) else {
            throw .payload("\(path).\(name)", "required field is missing")
        }
        return value
    }

    func string(_ name: String) throws(BloodbankModelError) -> String? {
        guard let value = value(name) else { return nil }
        guard let text = value.stringValue else { throw mismatch(name, "a string", value) }
        return text
    }

    func uuid(_ name: String) throws(BloodbankModelError) -> UUID? {
        guard let value = value(name) else { return nil }
        guard let text = value.stringValue, let uuid = BloodbankUUID.parse(text) else {
            throw mismatch(name, "a UUID string", value)
        }
        return uuid
    }

    func timestamp(_ name: String) throws(BloodbankModelError) -> EventTimestamp? {
        guard let value = value(name) else { return nil }
        guard let text = value.stringValue, let timestamp = EventTimestamp(parsing: text) else {
            throw mismatch(name, "an ISO 8601 timestamp string", value)
        }
        return timestamp
    }

    func enumeration<E: RawRepresentable>(_ name: String, as type: E.Type) throws(BloodbankModelError) -> E?
    where E.RawValue == String {
        guard let value = value(name) else { return nil }
        guard let text = value.stringValue, let result = E(rawValue: text) else {
            throw mismatch(name, "a known \(name) value", value)
        }
        return result
    }

    func int64(_ name: String) throws(BloodbankModelError) -> Int64? {
        guard let value = value(name) else { return nil }
        guard let integer = value.numberValue?.int64Value else { throw mismatch(name, "an integer", value) }
        return integer
    }

    func double(_ name: String) throws(BloodbankModelError) -> Double? {
        guard let value = value(name) else { return nil }
        guard let number = value.numberValue else { throw mismatch(name, "a number", value) }
        return number.doubleValue
    }

    func bool(_ name: String) throws(BloodbankModelError) -> Bool? {
        guard let value = value(name) else { return nil }
        guard let flag = value.boolValue else { throw mismatch(name, "a boolean", value) }
        return flag
    }

    func object(_ name: String) throws(BloodbankModelError) -> JSONObject? {
        guard let value = value(name) else { return nil }
        guard let object = value.objectValue else { throw mismatch(name, "an object", value) }
        return object
    }

    func array(_ name: String) throws(BloodbankModelError) -> [JSONValue]? {
        guard let value = value(name) else { return nil }
        guard let elements = value.arrayValue else { throw mismatch(name, "an array", value) }
        return elements
    }

    /// A reader for a nested object field, using that field's own descriptors.
    func nested(_ name: String) throws(BloodbankModelError) -> PayloadReader? {
        guard let object = try object(name) else { return nil }
        var nestedFields: [PayloadField] = []
        if case .object(let fields?)? = fields.first(where: { $0.name == name })?.kind {
            nestedFields = fields
        }
        return PayloadReader(object, fields: nestedFields, path: "\(path).\(name)")
    }

    /// Readers for each element of an array of objects.
    func nestedArray(_ name: String) throws(BloodbankModelError) -> [PayloadReader]? {
        guard let elements = try array(name) else { return nil }
        var itemFields: [PayloadField] = []
        if case .array(.object(let fields?)?)? = fields.first(where: { $0.name == name })?.kind {
            itemFields = fields
        }
        var readers: [PayloadReader] = []
        for (offset, element) in elements.enumerated() {
            guard let object = element.objectValue else {
                throw .payload("\(path).\(name)[\(offset)]", "expected an object, \(FieldChecks.got(element))")
            }
            readers.append(PayloadReader(object, fields: itemFields, path: "\(path).\(name)[\(offset)]"))
        }
        return readers
    }
}

/// Builds payload objects for publishing, skipping `nil` optionals.
struct PayloadWriter {
    private(set) var object = JSONObject()

    mutating func set(_ name: String, _ value: String?) {
        if let value { object.append(name, .string(value)) }
    }

    mutating func set(_ name: String, _ value: UUID?) {
        if let value { object.append(name, .string(BloodbankUUID.format(value))) }
    }

    mutating func set<E: RawRepresentable>(_ name: String, _ value: E?) where E.RawValue == String {
        if let value { object.append(name, .string(value.rawValue)) }
    }

    mutating func set(_ name: String, _ value: EventTimestamp?) {
        if let value { object.append(name, .string(value.description)) }
    }

    mutating func set(_ name: String, _ value: Int64?) {
        if let value { object.append(name, .number(JSONNumber(value))) }
    }

    mutating func set(_ name: String, _ value: Double?) {
        if let value, let number = JSONNumber(value) { object.append(name, .number(number)) }
    }

    mutating func set(_ name: String, _ value: Bool?) {
        if let value { object.append(name, .bool(value)) }
    }

    mutating func set(_ name: String, _ value: JSONValue?) {
        if let value { object.append(name, value) }
    }

    mutating func set(_ name: String, _ value: JSONObject?) {
        if let value { object.append(name, .object(value)) }
    }

    mutating func set(_ name: String, _ value: [JSONValue]?) {
        if let value { object.append(name, .array(value)) }
    }
}
