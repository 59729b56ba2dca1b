import AMQPClient
import Bloodbank
import BloodbankModel
import CandystoreApp
import CandystoreConfig
import CandystoreOps
import Foundation
import LettaBridge
import LettaClient
import Logging
import NIOCore
import Retry
import ServiceLifecycle
import Synchronization

/// Runs a real Letta bridge in-process against the real RabbitMQ and Letta server, isolated from the running
/// stack: its own exchanges and queue prefix (so it never touches `letta_handoff_queue`), and a capture queue
/// (the topology's prefixed manager queue, bound `#`, with no manager reading it) that receives every event
/// published on the test exchange — the handoffs and what the bridge publishes about them.
struct BridgeHarness: Sendable {
    let id: String
    let topology: BloodbankTopology
    let management: RabbitMQManagementClient
    /// A client for the real Letta server of `.env` (to look agents up and clean them up).
    let letta: LettaClient
    let logger: Logger
    /// The test's own AMQP connection (publishing, reading queues).
    let amqp: AMQPClient
    let captured: Captured

    /// Events seen on the capture queue, in arrival order.
    final class Captured: Sendable {
        let events = Mutex<[ValidatedEvent]>([])
    }

    /// Creates the isolated topology and a test connection, runs `body`, then deletes the queues, the exchanges
    /// and the Letta agents of every handoff the capture queue saw.
    static func with<T: Sendable>(_ body: (BridgeHarness) async throws -> T) async throws -> T {
        let id = String(UUID().uuidString.lowercased().prefix(8))
        let configuration = IntegrationEnvironment.configuration
        let management = try RabbitMQManagementClient(url: configuration.rabbitMQManagementURL)
        let topology = BloodbankTopology(
            exchange: "test.\(id).events", deadLetterExchange: "test.\(id).dlx", queuePrefix: "test_\(id)_")
        var logger = Logger(label: "test.letta-bridge.\(id)")
        logger.logLevel =
            ProcessInfo.processInfo.environment["TEST_LOG_LEVEL"].flatMap(Logger.Level.init(rawValue:)) ?? .warning
        try await management.declare(topology)
        let letta = LettaClient(configuration: try lettaConfiguration(), logger: logger)
        var amqpConfiguration = try AMQPConfiguration(url: configuration.rabbitMQURL)
        amqpConfiguration.connectionName = "test-bridge-harness-\(id)"
        let amqp = AMQPClient(configuration: amqpConfiguration, logger: logger)
        let harness = BridgeHarness(
            id: id, topology: topology, management: management, letta: letta, logger: logger, amqp: amqp,
            captured: Captured())
        return try await withThrowingTaskGroup(of: T?.self) { tasks in
            tasks.addTask {
                try await amqp.run()
                return nil
            }
            defer { tasks.cancelAll() }
            do {
                let result = try await body(harness)
                await harness.cleanUp()
                return result
            } catch {
                await harness.cleanUp()
                throw error
            }
        }
    }

    /// The `.env` Letta configuration (the local server).
    static func lettaConfiguration() throws -> LettaClient.Configuration {
        try IntegrationEnvironment.lettaConfiguration()
    }

    private func cleanUp() async {
        let handoffs = captured.events.withLock { events in
            events.filter { $0.envelope.eventType == HandoffRequestedPayload.eventType }.map(\.envelope.eventID)
        }
        for handoff in Set(handoffs) {
            for agent in (try? await agents(of: handoff)) ?? [] { try? await letta.deleteAgent(id: agent.id) }
        }
        for queue in topology.queues { try? await management.deleteQueue(named: queue.name) }
        for exchange in [topology.exchange, topology.deadLetterExchange, blackholeExchange] {
            try? await withDeadline(.seconds(5)) { try await amqp.exchangeDelete(exchange) }
        }
    }

    // MARK: Bridges

    /// A bridge configuration for this harness's queues.
    func bridgeConfiguration(
        maxAttempts: Int = 5, initialDelay: Duration = .milliseconds(100), maximumDelay: Duration = .seconds(1)
    ) -> LettaBridgeConfiguration {
        LettaBridgeConfiguration(
            topology: topology, concurrency: 4, maxAttempts: maxAttempts,
            retry: RetryPolicy(initialDelay: initialDelay, maximumDelay: maximumDelay))
    }

    /// An exchange with nothing bound for the bridge's events: a bridge publishing there never gets a confirm
    /// for its acceptance (the broker returns it as unroutable), so it never acknowledges the handoff.
    var blackholeExchange: String { "test.\(id).blackhole" }

    /// The topology of a bridge whose publishes go to ``blackholeExchange`` (same queues and DLX).
    var blackholeTopology: BloodbankTopology {
        BloodbankTopology(
            exchange: blackholeExchange, deadLetterExchange: topology.deadLetterExchange,
            queuePrefix: topology.queuePrefix)
    }

    /// How `runningBridge` ends: a graceful shutdown, or a kill (every task cancelled and the connection
    /// dropped, without acknowledging anything in flight).
    enum Ending { case graceful, kill }

    /// Runs a bridge (its own AMQP connection, in a `ServiceGroup`) while `body` runs.
    func runningBridge<T: Sendable>(
        configuration: LettaBridgeConfiguration? = nil,
        letta lettaConfiguration: LettaClient.Configuration? = nil,
        topology bridgeTopology: BloodbankTopology? = nil,
        ending: Ending = .graceful,
        _ body: @Sendable () async throws -> T
    ) async throws -> T {
        // The same wiring as `candystore letta-bridge` (CandystoreApp.LettaBridgeRole), on the test's queues.
        var shared = IntegrationEnvironment.configuration
        shared.topology = bridgeTopology ?? topology
        let connectionName = "test-letta-bridge-\(id)-\(UUID().uuidString.prefix(8))"
        var amqpConfiguration = try shared.amqpConfiguration(connectionName: connectionName)
        amqpConfiguration.connectionName = connectionName
        amqpConfiguration.reconnect.initialDelay = .milliseconds(100)
        amqpConfiguration.reconnect.maximumDelay = .seconds(1)
        let role = LettaBridgeRole(
            configuration: .init(
                shared: shared, bridge: configuration ?? bridgeConfiguration(),
                letta: try lettaConfiguration ?? Self.lettaConfiguration(), amqp: amqpConfiguration,
                source: EventSource(host: "test", type: "service", app: "letta-bridge-test"), endpoint: nil),
            logger: logger)
        let group = ServiceGroup(
            configuration: .init(
                services: role.services.map { service in
                    service is LettaBridge
                        ? .init(
                            service: service, successTerminationBehavior: .gracefullyShutdownGroup,
                            failureTerminationBehavior: .gracefullyShutdownGroup)
                        : .init(service: service)
                },
                logger: logger))
        return try await withThrowingTaskGroup(of: T?.self) { tasks in
            tasks.addTask {
                try await group.run()
                return nil
            }
            do {
                let result = try await body()
                switch ending {
                case .graceful:
                    await group.triggerGracefulShutdown()
                    while try await tasks.next() != nil {}
                case .kill:
                    tasks.cancelAll()
                    while (try? await tasks.next()) != nil {}
                    // A killed process's TCP connection dies with it; a cancelled AMQPClient.run() closes its
                    // connection too (channels first, so the unacknowledged handoff goes back to the queue). Wait
                    // until the broker no longer lists it, so the next bridge sees the redelivery.
                    try await waitUntil(timeout: .seconds(30), "the killed bridge's connection to close") {
                        try await management.connections().allSatisfy { $0.clientProvidedName != connectionName }
                    }
                }
                return result
            } catch {
                tasks.cancelAll()
                throw error
            }
        }
    }

    // MARK: Publishing and reading

    /// A handoff request of a new workflow (unique agent name), not yet published.
    func handoff(task: String? = nil, toAgent: String? = nil) -> EventEnvelope {
        let payload = HandoffRequestedPayload(
            workflowID: UUID(), fromAgent: "bmad-architect", toAgent: toAgent ?? "letta-dev-\(id)",
            task: task ?? "Write the bridge test \(UUID().uuidString.prefix(8))", context: ["test": .string(id)])
        return EventEnvelope(payload: payload, source: EventSource(host: "test", type: "test", app: "bmad"))
    }

    /// Publishes `envelope` to the test exchange (waits for the confirm).
    func publish(_ envelope: EventEnvelope) async throws {
        try await BloodbankPublisher(client: amqp, exchange: topology.exchange, source: envelope.source)
            .publish(envelope)
    }

    /// Publishes raw bytes to the test exchange (malformed messages).
    func publishRaw(_ text: String, routingKey: String = HandoffRequestedPayload.eventType) async throws {
        let confirm = try await amqp.basicPublish(
            exchange: topology.exchange, routingKey: routingKey, body: ByteBuffer(string: text),
            properties: AMQPProperties(contentType: "application/json", deliveryMode: 2, messageID: UUID().uuidString),
            mandatory: true)
        guard case .ack = confirm else { throw HarnessError("raw publish not confirmed: \(confirm)") }
    }

    /// Moves everything on the capture queue into ``captured`` and returns all valid events captured so far.
    @discardableResult
    func capture() async throws -> [ValidatedEvent] {
        let deliveries = try await drain(topology.managerQueueName)
        // Malformed messages the test published itself are not events; skip them.
        let events = deliveries.compactMap { try? EventValidator().validate(bytes: $0.body.readableBytesView) }
        return captured.events.withLock { all in
            all.append(contentsOf: events)
            return all
        }
    }

    /// Captured events of `type` (after draining the capture queue).
    func captured(_ type: String) async throws -> [ValidatedEvent] {
        try await capture().filter { $0.envelope.eventType == type }
    }

    /// Takes every ready message off `queue` (basic.get, auto-ack).
    func drain(_ queue: String) async throws -> [AMQPDelivery] {
        try await amqp.withChannel { channel in
            var deliveries: [AMQPDelivery] = []
            while let delivery = try await channel.basicGet(queue: queue, noAck: true) { deliveries.append(delivery) }
            return deliveries
        }
    }

    /// Ready messages on `queue` (not counting ones a consumer holds unacknowledged).
    func readyCount(_ queue: String) async throws -> Int {
        Int(try await amqp.queueDeclarePassive(queue).messageCount)
    }

    /// The Letta agents tagged with `handoff`'s id (the bridge's get-or-create key).
    func agents(of handoff: UUID) async throws -> [LettaAgent] {
        try await letta.listAgents(
            tags: [LettaBridge.handoffTagPrefix + BloodbankUUID.format(handoff)], matchAllTags: true)
    }

    /// Waits until `condition` holds, polling every 100 ms, failing after `timeout`.
    func waitUntil(
        timeout: Duration = .seconds(60), _ what: String, _ condition: () async throws -> Bool
    ) async throws {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if try await condition() { return }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw HarnessError("timed out after \(timeout) waiting for \(what)")
    }

    struct HarnessError: Error, CustomStringConvertible {
        let description: String
        init(_ description: String) { self.description = description }
    }
}

extension AMQPDelivery {
    /// A string header of the message.
    func header(_ name: String) -> String? { properties.headers?[name]?.stringValue }
}
