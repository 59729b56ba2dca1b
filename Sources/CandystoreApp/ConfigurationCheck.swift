public import CandystoreConfig

/// Validates a whole configuration at once: builds every role's typed configuration and lists every problem,
/// each naming its variable (what `candystore config` reports).
public enum ConfigurationCheck {
    /// Every unknown variable and every value some role refuses; empty when the configuration is good.
    public static func problems(in settings: Settings) -> [String] {
        var problems: [String] = settings.unknown.map { unknown in
            let hint = unknown.suggestion.map { "; did you mean \($0)?" } ?? ""
            return "unknown variable \(unknown.name)\(Settings.origin(unknown.source))\(hint)"
        }
        func note(_ error: ConfigurationError) {
            if !problems.contains(error.description) { problems.append(error.description) }
        }
        do { _ = try ManagerRole.Configuration(settings: settings) } catch { note(error) }
        do { _ = try APIRole.Configuration(settings: settings) } catch { note(error) }
        do { _ = try LettaBridgeRole.Configuration(settings: settings) } catch { note(error) }
        do { _ = try settings.apiBaseURL() } catch { note(error) }
        return problems
    }
}
