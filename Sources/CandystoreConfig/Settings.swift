public import Foundation

/// The settings of one process: the environment over `.env` over the built-in defaults, read once.
///
/// The precedence is fixed and documented (docs/configuration.md): a variable set in the process environment
/// wins, then a line of `.env` (`CANDYSTORE_ENV_FILE`, else `./.env` when present), then
/// ``SettingKey/defaultValue`` (which equals `.env.example`). `scripts/lib.sh` layers the files the same way with
/// the same line rules (``parseDotEnv(_:)``). Only composition roots hold a `Settings`; libraries receive typed
/// configuration structs.
public struct Settings: Sendable {
    /// Where a value came from.
    public enum Source: String, Sendable {
        /// The process environment.
        case environment
        /// The `.env` file.
        case dotEnv = ".env"
        /// The built-in default (``SettingKey/defaultValue``).
        case defaultValue = "default"
    }

    /// A variable that is set but that no part of Candystore reads (a typo, usually).
    public struct Unknown: Sendable, Equatable {
        /// Its name.
        public var name: String
        /// Where it is set.
        public var source: Source
        /// The known setting with the nearest name, if one is close.
        public var suggestion: String?

        /// Creates an entry.
        public init(name: String, source: Source, suggestion: String?) {
            self.name = name
            self.source = source
            self.suggestion = suggestion
        }
    }

    private let environment: [String: String]
    private let dotEnv: [String: String]
    /// The `.env` file that was read, if any.
    public let dotEnvPath: String?

    /// Settings from explicit layers (tests); `dotEnv` plays the role of the file.
    public init(environment: [String: String], dotEnv: [String: String] = [:], dotEnvPath: String? = nil) {
        self.environment = environment
        self.dotEnv = dotEnv
        self.dotEnvPath = dotEnvPath
    }

    /// Settings from explicit values, as if they were the environment (tests).
    public init(_ values: [String: String]) {
        self.init(environment: values)
    }

    /// Reads `.env` (from `CANDYSTORE_ENV_FILE`, else `./.env` when present) under the environment.
    public static func load(
        environment: [String: String] = ProcessInfo.processInfo.environment,
        currentDirectory: String = FileManager.default.currentDirectoryPath
    ) throws(ConfigurationError) -> Settings {
        let explicit = environment[SettingKey.envFile.name].flatMap { $0.isEmpty ? nil : $0 }
        let path = explicit ?? (currentDirectory as NSString).appendingPathComponent(".env")
        guard FileManager.default.fileExists(atPath: path) else {
            if explicit != nil {
                throw ConfigurationError(
                    "\(SettingKey.envFile.name) points to \(path), which does not exist", key: SettingKey.envFile.name)
            }
            return Settings(environment: environment)
        }
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw ConfigurationError("cannot read \(path): \(error.localizedDescription)")
        }
        return Settings(environment: environment, dotEnv: parseDotEnv(text), dotEnvPath: path)
    }

    /// Parses `.env` text: `KEY=value` lines; blank lines and `#` comments are skipped, an `export ` prefix is
    /// dropped, key and value are trimmed, and one pair of matching surrounding quotes (`"…"` or `'…'`) is
    /// removed. Nothing is expanded. A later line wins. `scripts/lib.sh` applies the same rules.
    public static func parseDotEnv(_ text: String) -> [String: String] {
        var values: [String: String] = [:]
        for rawLine in text.split(whereSeparator: \.isNewline) {
            var line = rawLine.trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix("#") { continue }
            if line.hasPrefix("export ") {
                line = String(line.dropFirst("export ".count)).trimmingCharacters(in: .whitespaces)
            }
            guard let equals = line.firstIndex(of: "=") else { continue }
            let key = line[..<equals].trimmingCharacters(in: .whitespaces)
            guard !key.isEmpty else { continue }
            var value = line[line.index(after: equals)...].trimmingCharacters(in: .whitespaces)
            if value.count >= 2, let first = value.first, first == "\"" || first == "'", value.last == first {
                value = String(value.dropFirst().dropLast())
            }
            values[key] = value
        }
        return values
    }

    // MARK: Lookup

    /// The value of `key` and where it came from; an empty value in a higher layer counts as set (to empty).
    public func lookup(_ key: SettingKey) -> (value: String, source: Source) {
        if let value = environment[key.name] { return (value, .environment) }
        if let value = dotEnv[key.name] { return (value, .dotEnv) }
        return (key.defaultValue, .defaultValue)
    }

    /// The value of `key` (its default when unset).
    public func string(_ key: SettingKey) -> String {
        lookup(key).value
    }

    /// The value of `key`, or nil when it is empty.
    public func optionalString(_ key: SettingKey) -> String? {
        let value = lookup(key).value.trimmingCharacters(in: .whitespaces)
        return value.isEmpty ? nil : value
    }

    /// The integer value of `key`, checked against `range`; the error names the variable and where it is set.
    public func int(_ key: SettingKey, in range: ClosedRange<Int>? = nil) throws(ConfigurationError) -> Int {
        let (raw, source) = lookup(key)
        let text = raw.trimmingCharacters(in: .whitespaces)
        let fallback = key.defaultValue
        guard let value = Int(text.isEmpty ? fallback : text) else {
            throw ConfigurationError(
                "\(key.name) must be an integer\(Self.describe(range)), got '\(raw)'\(Self.origin(source))",
                key: key.name)
        }
        if let range, !range.contains(value) {
            throw ConfigurationError(
                "\(key.name) must be an integer\(Self.describe(range)), got \(value)\(Self.origin(source))",
                key: key.name)
        }
        return value
    }

    /// Where `key`'s value comes from.
    public func source(of key: SettingKey) -> Source {
        lookup(key).source
    }

    /// The error text suffix naming where a value is set, e.g. ` (set in .env)`.
    public static func origin(_ source: Source) -> String {
        switch source {
        case .environment: " (set in the environment)"
        case .dotEnv: " (set in .env)"
        case .defaultValue: " (the default)"
        }
    }

    private static func describe(_ range: ClosedRange<Int>?) -> String {
        guard let range else { return "" }
        if range.upperBound == Int.max { return " ≥ \(range.lowerBound)" }
        return " in \(range.lowerBound)…\(range.upperBound)"
    }

    // MARK: Unknown variables

    /// Variables that are set but unknown: every unknown line of `.env`, and environment variables with one of
    /// Candystore's own prefixes (``SettingKey/ownPrefixes``); other environment variables belong to others.
    public var unknown: [Unknown] {
        var found: [Unknown] = []
        for name in dotEnv.keys.sorted() where SettingKey.named(name) == nil {
            found.append(Unknown(name: name, source: .dotEnv, suggestion: Self.nearest(to: name)))
        }
        for name in environment.keys.sorted() where SettingKey.named(name) == nil && dotEnv[name] == nil {
            guard SettingKey.ownPrefixes.contains(where: { name.hasPrefix($0) }) else { continue }
            found.append(Unknown(name: name, source: .environment, suggestion: Self.nearest(to: name)))
        }
        return found
    }

    /// The known name closest to `name` by edit distance (at most a third of its length away).
    static func nearest(to name: String) -> String? {
        var best: (name: String, distance: Int)?
        for key in SettingKey.all {
            let distance = editDistance(Array(name.utf8), Array(key.name.utf8))
            if distance <= max(2, name.count / 3), distance < (best?.distance ?? .max) {
                best = (key.name, distance)
            }
        }
        return best?.name
    }

    /// Levenshtein distance over bytes (also `bb`'s nearest catalogue type).
    package static func editDistance(_ a: [UInt8], _ b: [UInt8]) -> Int {
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var previous = Array(0...b.count)
        var current = [Int](repeating: 0, count: b.count + 1)
        for i in 1...a.count {
            current[0] = i
            for j in 1...b.count {
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
            }
            swap(&previous, &current)
        }
        return previous[b.count]
    }

    // MARK: Display

    /// One line of `candystore config`: a setting, its value as shown (secrets redacted) and its source.
    public struct Effective: Sendable, Equatable {
        /// The setting's name.
        public var name: String
        /// The value, with secrets redacted.
        public var displayValue: String
        /// Where it came from.
        public var source: Source
        /// Who reads it.
        public var reader: SettingKey.Reader
        /// What it is.
        public var summary: String
    }

    /// The effective value of each key, secrets redacted.
    public func effective(_ keys: [SettingKey] = SettingKey.all) -> [Effective] {
        keys.map { key in
            let (value, source) = lookup(key)
            return Effective(
                name: key.name, displayValue: Self.redact(value, key.redaction), source: source, reader: key.reader,
                summary: key.summary)
        }
    }

    /// `value` as `candystore config` shows it.
    public static func redact(_ value: String, _ redaction: SettingKey.Redaction) -> String {
        guard !value.isEmpty else { return value }
        switch redaction {
        case .none:
            return value
        case .whole:
            return "<redacted>"
        case .urlPassword:
            guard let schemeEnd = value.range(of: "://"), let at = value[schemeEnd.upperBound...].firstIndex(of: "@")
            else { return value }
            let userInfo = value[schemeEnd.upperBound..<at]
            guard let colon = userInfo.firstIndex(of: ":") else { return value }
            return String(value[..<value.index(after: colon)]) + "<redacted>" + String(value[at...])
        }
    }
}

/// A configuration value is missing or malformed; the message names the variable (and where it is set).
public struct ConfigurationError: Error, CustomStringConvertible, Sendable, Equatable {
    /// What is wrong, naming the setting.
    public var description: String
    /// The variable at fault, when one is.
    public var key: String?

    /// Creates an error with a message naming the setting.
    public init(_ description: String, key: String? = nil) {
        self.description = description
        self.key = key
    }
}

// MARK: - All values

extension Settings {
    /// The merged values (environment over `.env`, defaults not included), to derive adjusted settings from
    /// (tests and benchmarks override a few variables and build `Settings(values)` again).
    public var values: [String: String] { dotEnv.merging(environment) { _, environment in environment } }
}
