import ArgumentParser
import BloodbankModel
import CandystoreApp
import CandystoreConfig
import Foundation

/// `candystore config`: the effective configuration, its source per variable, secrets redacted; exit 1 on an
/// unknown or malformed variable, naming it.
struct ConfigCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "config",
        abstract: "Print the effective configuration with the source of each value; refuse unknown or bad values.",
        discussion: """
            Precedence: the process environment, then .env (CANDYSTORE_ENV_FILE or ./.env), then the built-in
            defaults (= .env.example). Every role's configuration is built, so a malformed value of any role is
            reported here, with the variable's name. Unknown variables in .env, and unknown ones with a Candystore
            prefix (CANDYSTORE_, MANAGER_, API_, LETTA_BRIDGE_, BLOODBANK_) in the environment, are errors.
            """)

    @Flag(help: "Print JSON: {settings: [{name, value, source, reader}], errors: [...]}.") var json = false
    @Flag(help: "Also list the variables only the shell scripts read.") var all = false

    func run() async throws {
        let settings: Settings
        do {
            settings = try CandystoreApp.loadSettings()
        } catch {
            throw CommandFailure(error.description)
        }
        let problems = ConfigurationCheck.problems(in: settings)
        let shown = settings.effective().filter { all || $0.reader != .scripts }
        if json {
            let entries: [JSONValue] = shown.map {
                .object([
                    "name": .string($0.name), "value": .string($0.displayValue), "source": .string($0.source.rawValue),
                    "reader": .string($0.reader.rawValue),
                ])
            }
            let object: JSONValue = .object([
                "env_file": settings.dotEnvPath.map { .string($0) } ?? .null,
                "settings": .array(entries),
                "errors": .array(problems.map { .string($0) }),
            ])
            print(String(decoding: object.prettyEncodedBytes(), as: UTF8.self))
        } else {
            print("# .env: \(settings.dotEnvPath ?? "none")   precedence: environment > .env > default")
            let width = shown.map(\.name.count).max() ?? 0
            for entry in shown {
                let name = entry.name.padding(toLength: width, withPad: " ", startingAt: 0)
                let source = entry.source.rawValue.padding(toLength: 11, withPad: " ", startingAt: 0)
                print("\(name)  \(source)  \(entry.displayValue)")
            }
        }
        if !problems.isEmpty {
            for problem in problems { FileHandle.standardError.write(Data("error: \(problem)\n".utf8)) }
            throw ExitCode.failure
        }
    }
}
