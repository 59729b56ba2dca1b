extension PayloadFieldKind {
    /// The schema pattern of a ``name``: no C0 control character and no DEL.
    public static let namePattern = #"^[^\x00-\x1F\x7F]*$"#

    /// The JSON Schema (2020-12) of a non-null value of this kind.
    var jsonSchema: JSONObject {
        switch self {
        case .string:
            return ["type": "string"]
        case .name:
            return [
                "type": "string", "minLength": 1, "maxLength": .number(JSONNumber(Int64(Self.maximumNameLength))),
                "pattern": .string(Self.namePattern),
            ]
        case .uuid:
            return ["type": "string", "format": "uuid", "pattern": .string(BloodbankUUID.schemaPattern)]
        case .timestamp:
            return ["type": "string", "pattern": .string(EventTimestamp.schemaPattern)]
        case .enumeration(let values):
            return ["type": "string", "enum": .array(values.map(JSONValue.string))]
        case .integer:
            return [
                "type": "integer",
                "minimum": .number(JSONNumber(Int64.min)),
                "maximum": .number(JSONNumber(Int64.max)),
            ]
        case .number:
            return ["type": "number"]
        case .boolean:
            return ["type": "boolean"]
        case .object(let fields):
            guard let fields else { return ["type": "object"] }
            return PayloadField.objectSchema(fields)
        case .array(let items):
            guard let items else { return ["type": "array"] }
            return ["type": "array", "items": .object(items.jsonSchema)]
        case .anyOf(let kinds):
            return ["anyOf": .array(kinds.map { .object($0.jsonSchema) })]
        case .any:
            return [:]
        }
    }
}

extension PayloadField {
    /// The schema of this field as a property: optional fields also accept `null`.
    var propertySchema: JSONObject {
        var schema: JSONObject
        if isRequired {
            schema = kind.jsonSchema
        } else if case .any = kind {
            schema = [:]
        } else {
            schema = ["anyOf": [.object(kind.jsonSchema), ["type": "null"]]]
        }
        schema["description"] = .string(summary)
        if let defaultValue { schema["default"] = defaultValue }
        return schema
    }

    /// An object schema: properties in descriptor order, `required` listing the required fields, other
    /// members allowed (payloads may carry extra fields, which the store keeps).
    static func objectSchema(_ fields: [PayloadField]) -> JSONObject {
        var properties = JSONObject()
        for field in fields { properties.append(field.name, .object(field.propertySchema)) }
        var schema: JSONObject = ["type": "object", "properties": .object(properties)]
        let required = fields.filter(\.isRequired).map { JSONValue.string($0.name) }
        if !required.isEmpty { schema["required"] = .array(required) }
        return schema
    }
}
