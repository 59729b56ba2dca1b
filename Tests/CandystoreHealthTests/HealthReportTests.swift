import BloodbankModel
import CandystoreConfig
import CandystoreHealth
import Testing

@Suite struct HealthReportTests {
    @Test func oneJSONShapeRoundTrips() throws {
        let report = HealthReport(
            role: "manager",
            components: [
                .init(name: "postgres", healthy: true, detail: "ok", latencyMilliseconds: 3),
                .init(name: "redis", healthy: false, detail: "refused", latencyMilliseconds: 1),
            ],
            details: ["stored": 5])
        let json = report.json
        #expect(json["role"] == "manager")
        #expect(json["status"] == "degraded")
        #expect(json["components"]?["postgres"]?["status"] == "ok")
        #expect(json["components"]?["redis"]?["status"] == "down")
        #expect(json["components"]?["redis"]?["latency_ms"] == 1)
        #expect(json["details"]?["stored"] == 5)
        let parsed = try #require(HealthReport(json: try JSONValue(parsing: json.encodedBytes())))
        #expect(parsed == report)
        #expect(parsed.unhealthyNames == ["redis"])
    }

    @Test func aRoleThatIsNotRunningIsDegradedWithHealthyComponents() throws {
        let report = HealthReport(
            role: "letta-bridge",
            components: [.init(name: "rabbitmq", healthy: true, detail: "", latencyMilliseconds: 0)],
            running: false)
        #expect(!report.healthy)
        #expect(report.json["status"] == "degraded")
        let parsed = try #require(HealthReport(json: report.json))
        #expect(!parsed.running)
        #expect(!parsed.healthy)
    }

    @Test func somethingElseIsNotAReport() {
        #expect(HealthReport(json: ["status": "ok"]) == nil)
        #expect(HealthReport(json: ["role": "x", "status": "ok", "components": ["a": 1]]) == nil)
    }

    @Test func checksRunInOrderEachBoundedByTheTimeout() async {
        let checker = HealthChecker(
            checks: [
                (
                    "slow",
                    {
                        try await Task.sleep(for: .seconds(10))
                        return "late"
                    }
                ),
                ("fine", { "ok" }),
                ("broken", { throw ConfigurationError("refused") }),
            ], timeout: .milliseconds(200))
        // The slow check is cut off at its timeout (not awaited for 10 s), and the others still report.
        let report = await checker.run(role: "api")
        #expect(report.components.map(\.name) == ["slow", "fine", "broken"])
        #expect(report.components.map(\.healthy) == [false, true, false])
        #expect(report.components[0].detail == "no answer within 0.2 seconds")
        #expect(report.components[2].detail == "refused")
        #expect(report.role == "api")
    }
}
