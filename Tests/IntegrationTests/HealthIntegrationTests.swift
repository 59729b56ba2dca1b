import CandystoreOps
import EventStore
import Testing

/// `candystore health` checks against the real servers, and against deliberately wrong addresses.
@Suite struct HealthIntegrationTests {
    @Test func everyServiceIsHealthyOnTheRunningStack() async throws {
        let report = await HealthChecker(configuration: IntegrationEnvironment.configuration).run()
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
            let report = await HealthChecker(configuration: configuration).run()
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
