import Foundation

/// Key/value settings merged from a `.env` file and the process environment (the environment wins).
///
/// One composition root reads settings; library types receive typed configuration structs, never this.
public struct Settings: Sendable {
    /// The merged values.
    public private(set) var values: [String: String]

    /// Creates settings from explicit values (tests).
    public init(_ values: [String: String]) {
        self.values = values
    }

    /// Loads `.env` (from `CANDYSTORE_ENV_FILE`, else `./.env` when present) and overlays the environment.
    public static func load(
        environment: [String: String] = ProcessInfo.processInfo.environment,
        currentDirectory: String = FileManager.default.currentDirectoryPath
    ) throws -> Settings {
        var values: [String: String] = [:]
        let path = environment["CANDYSTORE_ENV_FILE"] ?? (currentDirectory as NSString).appendingPathComponent(".env")
        if FileManager.default.fileExists(atPath: path) {
            let text = try String(contentsOfFile: path, encoding: .utf8)
            values = parseDotEnv(text)
        } else if environment["CANDYSTORE_ENV_FILE"] != nil {
            throw ConfigurationError("CANDYSTORE_ENV_FILE points to \(path), which does not exist")
        }
        for (key, value) in environment {
            values[key] = value
        }
        return Settings(values)
    }

    /// Parses `KEY=value` lines; `#` comments, blank lines, `export ` prefixes and surrounding quotes are handled.
    public static func parseDotEnv(_ text: String) -> [String: String] {
        var values: [String: String] = [:]
        for rawLine in text.split(whereSeparator: \.isNewline) {
            var line = rawLine.trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix("#") { continue }
            if line.hasPrefix("export ") { line = String(line.dropFirst("export ".count)) }
            guard let equals = line.firstIndex(of: "=") else { continue }
            let key = line[..<equals].trimmingCharacters(in: .whitespaces)
            var value = line[line.index(after: equals)...].trimmingCharacters(in: .whitespaces)
            if value.count >= 2, let first = value.first, first == "\"" || first == "'", value.last == first {
                value = String(value.dropFirst().dropLast())
            }
            values[key] = value
        }
        return values
    }

    /// The value of `key`, or `defaultValue` when it is missing or empty.
    public func string(_ key: String, default defaultValue: String) -> String {
        if let value = values[key], !value.isEmpty { return value }
        return defaultValue
    }

    /// The value of `key` when present and non-empty.
    public func optionalString(_ key: String) -> String? {
        guard let value = values[key], !value.isEmpty else { return nil }
        return value
    }

    /// The integer value of `key`, or `defaultValue`; throws naming the key when it is not an integer.
    public func int(_ key: String, default defaultValue: Int) throws -> Int {
        guard let raw = optionalString(key) else { return defaultValue }
        guard let value = Int(raw) else {
            throw ConfigurationError("\(key) must be an integer, got '\(raw)'")
        }
        return value
    }
}

/// A configuration value is missing or malformed; the message names the setting.
public struct ConfigurationError: Error, CustomStringConvertible, Sendable {
    /// What is wrong, naming the setting.
    public var description: String

    /// Creates an error with a message naming the setting.
    public init(_ description: String) {
        self.description = description
    }
}
