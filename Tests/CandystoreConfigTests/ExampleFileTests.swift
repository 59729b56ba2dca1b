import CandystoreConfig
import CandystoreTestSupport
import Foundation
import Testing

/// `.env.example` is the documented configuration: it must list every setting with its built-in default, and the
/// shell scripts must read a `.env` exactly as the binaries do.
@Suite struct ExampleFileTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    @Test func exampleFileListsEverySettingWithItsDefault() throws {
        let text = try String(contentsOf: Self.root.appendingPathComponent(".env.example"), encoding: .utf8)
        let example = Settings.parseDotEnv(text)
        for key in SettingKey.all where key.inExampleFile {
            #expect(example[key.name] == key.defaultValue, "\(key.name): .env.example and the default differ")
        }
        for name in example.keys {
            let key = SettingKey.named(name)
            #expect(key != nil, ".env.example sets \(name), which nothing reads")
            #expect(key?.inExampleFile != false, "\(name) is environment-only but listed in .env.example")
        }
    }

    /// `scripts/lib.sh`'s `load_env` against ``Settings/load(environment:currentDirectory:)`` on the same tricky file.
    @Test func scriptsReadDotEnvByTheSameRules() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("envsh-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let file = directory.appendingPathComponent(".env")
        try """
        # comment
        API_HOST = 0.0.0.0
        export API_PORT=9090
        API_TOKEN="quoted # value"
        LETTA_TOKEN='single'
        LOG_LEVEL=debug
        LOG_LEVEL=notice
        REDIS_URL=redis://a:b@c:1/0?x=y
        API_CORS_ORIGINS=
        not a pair

        """.write(to: file, atomically: true, encoding: .utf8)
        let names = [
            "API_HOST", "API_PORT", "API_TOKEN", "LETTA_TOKEN", "LOG_LEVEL", "REDIS_URL", "API_CORS_ORIGINS",
            "MANAGER_PORT", "BLOODBANK_EXCHANGE",
        ]
        // The environment wins over the file in both.
        let environment = ["MANAGER_PORT": "1234", "CANDYSTORE_ENV_FILE": file.path, "PATH": "/usr/bin:/bin"]
        let settings = try Settings.load(environment: environment, currentDirectory: "/")
        let script = """
            source "\(Self.root.path)/scripts/lib.sh"
            load_env
            for name in \(names.joined(separator: " ")); do printf '%s=%s\\n' "$name" "${!name-<unset>}"; done
            """
        let run = try await runToCompletion("/bin/bash", ["-c", script], environment: environment)
        #expect(run.status == 0)
        let output = String(decoding: run.output, as: UTF8.self)
        var fromScript: [String: String] = [:]
        for line in output.split(separator: "\n") {
            let parts = line.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            fromScript[String(parts[0])] = parts.count > 1 ? String(parts[1]) : ""
        }
        for name in names {
            let key = try #require(SettingKey.named(name))
            #expect(fromScript[name] == settings.string(key), "\(name): scripts/lib.sh and Settings differ")
        }
        #expect(fromScript["API_HOST"] == "0.0.0.0")
        #expect(fromScript["API_TOKEN"] == "quoted # value")
        #expect(fromScript["MANAGER_PORT"] == "1234")
        #expect(fromScript["BLOODBANK_EXCHANGE"] == "bloodbank.events.v1")
    }
}
