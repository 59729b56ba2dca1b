/// One field of a catalogued payload: the single description from which payload validation, typed
/// decoding defaults, and the exported JSON Schema are all derived, so the three cannot drift apart.
public struct PayloadField: Sendable {
    /// The JSON member name (`workflow_id`).
    public let name: String
    /// The accepted JSON shape.
    public let kind: PayloadFieldKind
    /// Whether the member must be present and non-null. Optional members also accept `null`.
    public let isRequired: Bool
    /// The value a typed decoder uses when the member is missing or `null`; exported as schema `default`.
    public let defaultValue: JSONValue?
    /// One sentence for the schema `description` and the docs.
    public let summary: String

    /// Creates a field; prefer ``required(_:_:_:)`` and ``optional(_:_:default:_:)``.
    public init(name: String, kind: PayloadFieldKind, isRequired: Bool, defaultValue: JSONValue?, summary: String) {
        self.name = name
        self.kind = kind
        self.isRequired = isRequired
        self.defaultValue = defaultValue
        self.summary = summary
    }

    /// A required, non-null field.
    public static func required(_ name: String, _ kind: PayloadFieldKind, _ summary: String) -> PayloadField {
        PayloadField(name: name, kind: kind, isRequired: true, defaultValue: nil, summary: summary)
    }

    /// An optional field (missing or `null` allowed), with an optional default.
    public static func optional(
        _ name: String,
        _ kind: PayloadFieldKind,
        default defaultValue: JSONValue? = nil,
        _ summary: String
    ) -> PayloadField {
        PayloadField(name: name, kind: kind, isRequired: false, defaultValue: defaultValue, summary: summary)
    }
}

/// The JSON shape of a payload field.
public indirect enum PayloadFieldKind: Sendable {
    /// Any string.
    case string
    /// A name (an agent's, a project's): 1 to ``PayloadFieldKind/maximumNameLength`` characters (Unicode scalars)
    /// and no control characters, so it can become a Letta agent name, a metrics label or a log field.
    case name
    /// A hyphenated UUID string, any letter case.
    case uuid
    /// A timestamp string in any form ``EventTimestamp`` accepts.
    case timestamp
    /// One of a closed list of strings (case-sensitive); anything else is rejected.
    case enumeration([String])
    /// An integral number that fits in a signed 64-bit integer (`3`, `3.0` and `3e0` are integral).
    case integer
    /// Any number.
    case number
    /// `true` or `false`.
    case boolean
    /// An object; with fields, those are checked and other members are allowed; `nil` means free-form.
    case object([PayloadField]?)
    /// An array whose elements have the given kind (`nil`: any JSON).
    case array(PayloadFieldKind?)
    /// Any of several kinds (`"high"` or `3` for a priority).
    case anyOf([PayloadFieldKind])
    /// Any JSON value.
    case any

    /// A short phrase for error messages: `a UUID string`, `an integer`.
    var expectation: String {
        switch self {
        case .string: return "a string"
        case .name: return "a name (1 to \(Self.maximumNameLength) characters, no control characters)"
        case .uuid: return "a UUID string"
        case .timestamp: return "an ISO 8601 timestamp string"
        case .enumeration(let values): return "one of \(values.joined(separator: ", "))"
        case .integer: return "an integer"
        case .number: return "a number"
        case .boolean: return "a boolean"
        case .object: return "an object"
        case .array(let items):
            if let items { return "an array of \(items.pluralExpectation)" }
            return "an array"
        case .anyOf(let kinds): return kinds.map(\.expectation).joined(separator: " or ")
        case .any: return "any JSON value"
        }
    }

    /// Longest value of a ``name`` field.
    public static let maximumNameLength = 200

    private var pluralExpectation: String {
        switch self {
        case .string: return "strings"
        case .uuid: return "UUID strings"
        case .object: return "objects"
        default: return "values (\(expectation))"
        }
    }
}
