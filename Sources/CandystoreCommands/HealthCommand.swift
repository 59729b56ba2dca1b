import ArgumentParser
import BloodbankModel
import CandystoreApp
import CandystoreHealth
import CandystoreOps
import Foundation

/// `candystore health`: checks every backing server and every role; exits non-zero naming what is down.
struct HealthCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "health",
        abstract:
            "Check PostgreSQL, RabbitMQ, Redis and the manager, API and Letta bridge; exit 1 naming what is down.",
        discussion: """
            Each role is asked for its own /health (manager MANAGER_HOST:MANAGER_PORT, API CANDYSTORE_API_URL or
            API_HOST:API_PORT, bridge LETTA_BRIDGE_HOST:LETTA_BRIDGE_PORT). --json prints the same JSON shape every
            /health endpoint answers (role "stack").
            """)
    @OptionGroup var global: GlobalOptions
    @Flag(help: "Print JSON instead of text.") var json = false
    @Flag(help: "Check only the servers (PostgreSQL, RabbitMQ, Redis), not Candystore's own services.")
    var servers = false

    func run() async throws {
        let app = try global.app(label: "candystore.health")
        let checker = servers ? HealthChecker(configuration: app.shared) : try app.stackHealthChecker()
        let report = await checker.run(role: "stack")
        if json {
            print(String(decoding: report.json.prettyEncodedBytes(), as: UTF8.self))
        } else {
            for component in report.components {
                let name = component.name.padding(toLength: 12, withPad: " ", startingAt: 0)
                print(
                    "\(component.healthy ? "ok  " : "DOWN")  \(name)  \(component.detail)  (\(component.latencyMilliseconds) ms)"
                )
            }
        }
        if !report.healthy {
            throw CommandFailure("unhealthy: " + report.unhealthyNames.joined(separator: ", "))
        }
    }
}
