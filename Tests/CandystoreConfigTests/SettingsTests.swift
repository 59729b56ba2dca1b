import CandystoreConfig
import Foundation
import Testing

@Suite struct SettingsTests {
    @Test func parsesDotEnvSyntax() {
        let values = Settings.parseDotEnv(
            """
            # comment
            A=1
            export B = two words
            C="quoted # not a comment"
            D='single'
            E=
            not a pair
            F=x=y
            =nokey
            """)
        #expect(values["A"] == "1")
        #expect(values["B"] == "two words")
        #expect(values["C"] == "quoted # not a comment")
        #expect(values["D"] == "single")
        #expect(values["E"] == "")
        #expect(values["F"] == "x=y")
        #expect(values.count == 6)
    }

    @Test func environmentOverDotEnvOverDefaults() throws {
        let directory = try temporaryDirectory()
        try "REDIS_URL=redis://file:1/0\nLOG_LEVEL=debug\n".write(
            to: directory.appendingPathComponent(".env"), atomically: true, encoding: .utf8)
        let settings = try Settings.load(
            environment: ["REDIS_URL": "redis://env:2/0"], currentDirectory: directory.path)
        #expect(settings.lookup(.redisURL) == ("redis://env:2/0", .environment))
        #expect(settings.lookup(.logLevel) == ("debug", .dotEnv))
        #expect(settings.lookup(.apiPort) == ("8088", .defaultValue))
        #expect(settings.dotEnvPath == directory.appendingPathComponent(".env").path)
    }

    @Test func explicitEnvFileIsRead() throws {
        let directory = try temporaryDirectory()
        let file = directory.appendingPathComponent("other.env")
        try "API_PORT=9999\n".write(to: file, atomically: true, encoding: .utf8)
        let settings = try Settings.load(environment: ["CANDYSTORE_ENV_FILE": file.path], currentDirectory: "/")
        #expect(try settings.int(.apiPort) == 9999)
    }

    @Test func missingExplicitEnvFileIsAnError() {
        let error = #expect(throws: ConfigurationError.self) {
            try Settings.load(environment: ["CANDYSTORE_ENV_FILE": "/nonexistent/.env"], currentDirectory: "/")
        }
        #expect(error?.key == "CANDYSTORE_ENV_FILE")
    }

    @Test func malformedIntegersNameTheVariableAndWhereItIsSet() throws {
        let settings = Settings(environment: ["API_PORT": "eighty"], dotEnv: ["MANAGER_PREFETCH": "0"])
        let port = #expect(throws: ConfigurationError.self) { try settings.int(.apiPort, in: 0...65535) }
        #expect(port?.description == "API_PORT must be an integer in 0…65535, got 'eighty' (set in the environment)")
        #expect(port?.key == "API_PORT")
        let prefetch = #expect(throws: ConfigurationError.self) { try settings.int(.managerPrefetch, in: 1...65535) }
        #expect(prefetch?.description == "MANAGER_PREFETCH must be an integer in 1…65535, got 0 (set in .env)")
    }

    @Test func emptyValuesTakeTheDefault() throws {
        let settings = Settings(["API_PORT": "", "API_TOKEN": "  "])
        #expect(try settings.int(.apiPort) == 8088)
        #expect(settings.optionalString(.apiToken) == nil)
        #expect(settings.source(of: .apiPort) == .environment)
    }

    @Test func unknownVariablesAreFoundWithASuggestion() {
        let settings = Settings(
            environment: ["API_PROT": "1", "PATH": "/bin", "RABBITMQ_CONFIG_FILE": "x", "MANAGER_BATCHSIZE": "2"],
            dotEnv: ["DATABSE_URL": "postgres://x", "LOG_LEVEL": "info"])
        #expect(
            settings.unknown == [
                .init(name: "DATABSE_URL", source: .dotEnv, suggestion: "DATABASE_URL"),
                .init(name: "API_PROT", source: .environment, suggestion: "API_PORT"),
                .init(name: "MANAGER_BATCHSIZE", source: .environment, suggestion: "MANAGER_BATCH_SIZE"),
            ])
    }

    @Test func secretsAreRedacted() {
        let settings = Settings([
            "API_TOKEN": "s3cret", "DATABASE_URL": "postgres://app:pw@db:5432/x", "REDIS_URL": "redis://h:1/0",
        ])
        let shown = Dictionary(uniqueKeysWithValues: settings.effective().map { ($0.name, $0.displayValue) })
        #expect(shown["API_TOKEN"] == "<redacted>")
        #expect(shown["DATABASE_URL"] == "postgres://app:<redacted>@db:5432/x")
        #expect(shown["REDIS_URL"] == "redis://h:1/0")
        #expect(shown["LETTA_TOKEN"] == "")
        #expect(
            !settings.effective().contains { $0.displayValue.contains("s3cret") || $0.displayValue.contains(":pw@") })
    }

    @Test func everyNameIsDeclaredOnce() {
        let names = SettingKey.all.map(\.name)
        #expect(Set(names).count == names.count)
    }

    private func temporaryDirectory() throws -> URL {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("env-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        return directory
    }
}
