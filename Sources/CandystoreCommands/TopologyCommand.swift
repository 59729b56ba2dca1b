import ArgumentParser
import Bloodbank
import CandystoreApp
import CandystoreOps

/// `candystore topology declare|verify`: the Bloodbank exchanges and queues of brief §3.
struct TopologyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "topology",
        abstract: "Declare or verify the Bloodbank RabbitMQ topology (through the management API).",
        subcommands: [Declare.self, Verify.self]
    )

    struct Declare: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Declare exchanges, queues and bindings (idempotent).")
        @OptionGroup var global: GlobalOptions

        func run() async throws {
            let app = try global.app(label: "candystore.topology")
            let (configuration, client) = (app.shared, try app.managementClient())
            try await client.declare(configuration.topology)
            print(
                "declared \(configuration.topology.exchanges.count) exchanges, \(configuration.topology.queues.count) queues"
            )
        }
    }

    struct Verify: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Compare the broker's topology with the expected one, argument for argument.")
        @OptionGroup var global: GlobalOptions

        func run() async throws {
            let app = try global.app(label: "candystore.topology")
            let (configuration, client) = (app.shared, try app.managementClient())
            let differences = try await TopologyVerifier(client: client).differences(from: configuration.topology)
            guard differences.isEmpty else {
                throw CommandFailure("topology differs:\n  " + differences.joined(separator: "\n  "))
            }
            print("topology matches")
        }
    }
}
