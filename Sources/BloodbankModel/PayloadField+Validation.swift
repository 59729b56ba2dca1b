extension PayloadField {
    /// Checks a payload object against its fields, reporting the first failure with its full path.
    ///
    /// Unknown members are allowed (and kept by the envelope), as pydantic models ignore extra fields.
    static func validate(
        _ object: JSONObject,
        against fields: [PayloadField],
        path: String
    ) throws(BloodbankModelError) {
        if let error = firstMismatch(object, against: fields, path: path) {
            throw error
        }
    }

    /// Paths are passed as non-escaping closures and only rendered for the error: building them for every
    /// field would cost an allocation per field on the ingest hot path.
    static func firstMismatch(
        _ object: JSONObject,
        against fields: [PayloadField],
        path: () -> String
    ) -> BloodbankModelError? {
        for field in fields {
            switch object[field.name] {
            case .none:
                if field.isRequired { return .payload("\(path()).\(field.name)", "required field is missing") }
            case .null?:
                if field.isRequired {
                    return .payload("\(path()).\(field.name)", "expected \(field.kind.expectation), got null")
                }
            case let value?:
                if let error = field.kind.mismatch(value, path: { "\(path()).\(field.name)" }) { return error }
            }
        }
        return nil
    }

    static func firstMismatch(_ object: JSONObject, against fields: [PayloadField], path: String)
        -> BloodbankModelError?
    {
        firstMismatch(object, against: fields, path: { path })
    }
}

extension PayloadFieldKind {
    /// Returns the error for a non-null `value`, or `nil` when it matches; non-throwing so `anyOf` can try
    /// each kind.
    func mismatch(_ value: JSONValue, path: () -> String) -> BloodbankModelError? {
        // Built only on failure: formatting the message on every field would dominate validation time.
        var wrongType: BloodbankModelError {
            .payload(path(), "expected \(expectation), \(FieldChecks.got(value))")
        }
        switch self {
        case .any:
            return nil
        case .string:
            return value.stringValue == nil ? wrongType : nil
        case .name:
            guard let text = value.stringValue else { return wrongType }
            let length = text.unicodeScalars.count
            if length == 0 { return .payload(path(), "expected \(expectation), got an empty string") }
            if length > Self.maximumNameLength {
                return .payload(path(), "expected \(expectation), got \(length) characters")
            }
            if text.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) {
                return .payload(path(), "expected \(expectation), got a control character")
            }
            return nil
        case .uuid:
            guard let text = value.stringValue, BloodbankUUID.parse(text) != nil else { return wrongType }
            return nil
        case .timestamp:
            guard let text = value.stringValue else { return wrongType }
            if case .failure(let error) = EventTimestamp.parse(text) {
                return .payload(path(), "\(error.reason), got \(FieldChecks.quoted(text))")
            }
            return nil
        case .enumeration(let allowed):
            guard let text = value.stringValue, allowed.contains(text) else { return wrongType }
            return nil
        case .integer:
            guard let number = value.numberValue else { return wrongType }
            guard number.isIntegral else {
                return .payload(path(), "expected an integer, got \(number.text)")
            }
            guard number.int64Value != nil else {
                return .payload(path(), "integer \(number.text) is outside the 64-bit range")
            }
            return nil
        case .number:
            return value.numberValue == nil ? wrongType : nil
        case .boolean:
            return value.boolValue == nil ? wrongType : nil
        case .object(let fields):
            guard let object = value.objectValue else { return wrongType }
            guard let fields else { return nil }
            return PayloadField.firstMismatch(object, against: fields, path: path)
        case .array(let items):
            guard let elements = value.arrayValue else { return wrongType }
            guard let items else { return nil }
            for (offset, element) in elements.enumerated() {
                if let error = items.mismatch(element, path: { "\(path())[\(offset)]" }) { return error }
            }
            return nil
        case .anyOf(let kinds):
            for kind in kinds where kind.mismatch(value, path: path) == nil {
                return nil
            }
            return wrongType
        }
    }
}
