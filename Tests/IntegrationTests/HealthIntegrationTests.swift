import CandystoreApp
import CandystoreConfig
import CandystoreHealth
import CandystoreOps
import EventStore
import Testing

/// `candystore health` checks against the real servers, and against deliberately wrong addresses.
@Suite struct HealthIntegrationTests {
    /// Checks that must pass get a generous bound: these tests assert health, not latency, and a loaded 2-core
    /// machine can take seconds to schedule a check (the 5 s default is for operators).
    static let patience = Duration.seconds(30)

    @Test func everyServiceIsHealthyOnTheRunningStack() async throws {
        let report = await HealthChecker(configuration: IntegrationEnvironment.configuration, timeout: Self.patience)
            .run()
        #expect(report.healthy, "\(report.components)")
        #expect(report.components.map(\.name) == ["postgres", "rabbitmq", "redis"])
        #expect(report.components[0].detail.contains("schema version"))
    }

    @Test func aDownServiceIsNamed() async throws {
        var configuration = IntegrationEnvironment.configuration
        configuration.database.port = 1
        configuration.rabbitMQManagementURL = "http://candystore:candystore@127.0.0.1:1"
        configuration.redisURL = "redis://127.0.0.1:1/0"
        let report = await HealthChecker(configuration: configuration).run()
        #expect(!report.healthy)
        #expect(report.unhealthyNames == ["postgres", "rabbitmq", "redis"])
    }

    @Test func anUnmigratedDatabaseIsUnhealthy() async throws {
        try await IntegrationEnvironment.withScratchDatabase { database in
            var configuration = IntegrationEnvironment.configuration
            configuration.database = database
            let report = await HealthChecker(configuration: configuration, timeout: Self.patience).run()
            #expect(report.unhealthyNames == ["postgres"])
            #expect(report.components[0].detail.contains("not migrated"))
        }
    }

    @Test func aHangingCheckTimesOut() async throws {
        let checker = HealthChecker(
            checks: [
                (
                    "slow",
                    {
                        try await Task.sleep(for: .seconds(30))
                        return "never"
                    }
                ), ("fast", { "ok" }),
            ],
            timeout: .milliseconds(200))
        let report = await checker.run()
        #expect(report.unhealthyNames == ["slow"])
        #expect(report.components[0].detail.contains("no answer"))
    }
}

/// `candystore health` (the stack) asks every role for its own `/health`: with the services of `scripts/dev up`
/// running it is healthy, and a role that does not answer is named.
@Suite struct StackHealthIntegrationTests {
    @Test func theRunningStackIsHealthyRoleByRole() async throws {
        let app = try CandystoreApp(settings: IntegrationEnvironment.settings, label: "test.health")
        let report = try await app.stackHealthChecker(timeout: HealthIntegrationTests.patience).run(role: "stack")
        #expect(report.healthy, "\(report.components)")
        #expect(report.components.map(\.name) == ["postgres", "rabbitmq", "redis", "manager", "api", "letta-bridge"])
    }

    @Test func aRoleThatDoesNotAnswerIsNamed() async throws {
        var values = IntegrationEnvironment.settings.values
        values["MANAGER_PORT"] = "1"
        values["CANDYSTORE_API_URL"] = "http://127.0.0.1:2"
        let app = try CandystoreApp(settings: Settings(values), label: "test.health")
        let report = try await app.stackHealthChecker(timeout: HealthIntegrationTests.patience).run(role: "stack")
        #expect(report.unhealthyNames == ["manager", "api"])
        let manager = try #require(report.components.first { $0.name == "manager" })
        // Refused at once ("no answer from http://127.0.0.1:1/health") — or, on a machine so loaded that even the
        // refusal takes longer than the check's bound, "no answer within …": either way the role is named as down.
        #expect(manager.detail.contains("no answer"), "\(manager.detail)")
    }
}
