import AMQPClient
import ArgumentParser
import Bloodbank
import BloodbankModel
import CandystoreOps
import Foundation
import LettaBridge
import LettaClient
import Logging
import ServiceLifecycle

/// `candystore letta-bridge`: hands each BMAD handoff request to a Letta agent until SIGTERM/SIGINT.
struct LettaBridgeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "letta-bridge",
        abstract: "Turn bmad.workflow.handoff.requested events into work for Letta agents.",
        discussion: """
            Settings: RABBITMQ_URL, LETTA_SERVER_URL, LETTA_TOKEN, LETTA_MODEL*, LETTA_EMBEDDING*,
            LETTA_BRIDGE_CONCURRENCY (4), LETTA_BRIDGE_MAX_ATTEMPTS (8), LETTA_BRIDGE_RETRY_MAX_SECONDS (15).
            """
    )

    @OptionGroup var global: GlobalOptions

    func run() async throws {
        let (configuration, logger) = try global.load(label: "candystore.letta-bridge")
        let settings = try Settings.load()
        var bridgeConfiguration = LettaBridgeConfiguration(topology: configuration.topology)
        bridgeConfiguration.concurrency = try settings.int("LETTA_BRIDGE_CONCURRENCY", default: 4)
        bridgeConfiguration.maxAttempts = max(1, try settings.int("LETTA_BRIDGE_MAX_ATTEMPTS", default: 8))
        bridgeConfiguration.retry.maximumDelay = .seconds(
            try settings.int("LETTA_BRIDGE_RETRY_MAX_SECONDS", default: 15))

        let lettaConfiguration: LettaClient.Configuration
        do {
            lettaConfiguration = try LettaClient.Configuration.fromEnvironment(settings.values)
        } catch {
            throw CommandFailure("Letta configuration: \(error)")
        }
        var amqpConfiguration = try AMQPConfiguration(url: configuration.rabbitMQURL)
        amqpConfiguration.connectionName = "candystore-letta-bridge@\(ProcessInfo.processInfo.hostName)"
        let amqp = AMQPClient(configuration: amqpConfiguration, logger: logger)
        let publisher = BloodbankPublisher(
            client: amqp, exchange: configuration.topology.exchange,
            source: EventSource(
                host: settings.optionalString("BLOODBANK_SOURCE_HOST") ?? ProcessInfo.processInfo.hostName,
                type: "service", app: "letta-bridge", meta: JSONObject()))
        let bridge = LettaBridge(
            configuration: bridgeConfiguration,
            amqp: amqp,
            publisher: publisher,
            letta: LettaClient(configuration: lettaConfiguration, logger: logger),
            topology: configuration.topology,
            logger: logger)
        let group = ServiceGroup(
            configuration: .init(
                services: [
                    .init(service: amqp),
                    .init(
                        service: bridge, successTerminationBehavior: .gracefullyShutdownGroup,
                        failureTerminationBehavior: .gracefullyShutdownGroup),
                ],
                gracefulShutdownSignals: [.sigterm, .sigint],
                logger: logger))
        try await group.run()
    }
}
