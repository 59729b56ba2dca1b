import ArgumentParser
import CandystoreOps
import Foundation

/// `candystore health`: checks every backing service; exits non-zero naming what is down.
struct HealthCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "health",
        abstract: "Check PostgreSQL, RabbitMQ (exchanges and queues) and Redis; exit 1 naming what is down.")
    @OptionGroup var global: GlobalOptions
    @Flag(help: "Print JSON instead of text.") var json = false

    func run() async throws {
        let (configuration, _) = try global.load(label: "candystore.health")
        let report = await HealthChecker(configuration: configuration).run()
        if json {
            let object: [String: Any] = [
                "status": report.healthy ? "ok" : "unhealthy",
                "components": Dictionary(
                    uniqueKeysWithValues: report.components.map {
                        (
                            $0.name,
                            [
                                "status": $0.healthy ? "ok" : "down", "detail": $0.detail,
                                "latency_ms": $0.latencyMilliseconds,
                            ] as [String: Any]
                        )
                    }),
            ]
            let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .prettyPrinted])
            print(String(decoding: data, as: UTF8.self))
        } else {
            for component in report.components {
                print(
                    "\(component.healthy ? "ok  " : "DOWN")  \(component.name.padding(toLength: 9, withPad: " ", startingAt: 0))  \(component.detail)  (\(component.latencyMilliseconds) ms)"
                )
            }
        }
        if !report.healthy {
            throw CommandFailure("unhealthy: " + report.unhealthyNames.joined(separator: ", "))
        }
    }
}
