/// One setting Candystore knows: its environment-variable name, its default and who reads it.
///
/// Every variable any binary or script reads is declared once, in ``SettingKey/all``; the defaults equal
/// `.env.example` (a test keeps them equal), so a process with no `.env` runs the local stack's values.
public struct SettingKey: Sendable, Hashable, CustomStringConvertible {
    /// Who reads a setting.
    public enum Reader: String, Sendable, CaseIterable {
        /// The server processes (`candystore …`).
        case services
        /// The client CLI (`bb`).
        case client
        /// Both the services and `bb`.
        case shared
        /// Only the shell scripts of the local stack (`scripts/dev`, `scripts/letta`).
        case scripts
    }

    /// How a value is shown by `candystore config`.
    public enum Redaction: Sendable, Hashable {
        /// Shown as is.
        case none
        /// Replaced by `<redacted>` when set.
        case whole
        /// A URL whose password (user info) is replaced by `<redacted>`.
        case urlPassword
    }

    /// The environment-variable name, e.g. `DATABASE_URL`.
    public let name: String
    /// The value used when neither the environment nor `.env` sets it (empty means "unset").
    public let defaultValue: String
    /// One-line description (printed by `candystore config`).
    public let summary: String
    /// Who reads it.
    public let reader: Reader
    /// How `candystore config` shows it.
    public let redaction: Redaction
    /// Whether `.env.example` lists it (false for variables only meant for the process environment).
    public let inExampleFile: Bool

    /// Declares a setting.
    public init(
        _ name: String, default defaultValue: String, _ summary: String, reader: Reader = .services,
        redaction: Redaction = .none, inExampleFile: Bool = true
    ) {
        self.name = name
        self.defaultValue = defaultValue
        self.summary = summary
        self.reader = reader
        self.redaction = redaction
        self.inExampleFile = inExampleFile
    }

    /// The variable name.
    public var description: String { name }

    /// Keys are identified by name.
    public static func == (lhs: SettingKey, rhs: SettingKey) -> Bool { lhs.name == rhs.name }

    /// Hashes the name.
    public func hash(into hasher: inout Hasher) { hasher.combine(name) }

    /// The known setting called `name`, if any.
    public static func named(_ name: String) -> SettingKey? { byName[name] }

    private static let byName: [String: SettingKey] = Dictionary(
        all.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
}
