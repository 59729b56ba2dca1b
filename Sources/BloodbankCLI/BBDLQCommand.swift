import AMQPClient
import ArgumentParser
import Bloodbank
import BloodbankModel
import CandystoreConfig
import Foundation
import NIOCore
import Retry

/// `bb dlq list|show|redrive`: the two dead-letter queues (`letta_handoff_dlq`, `event_store_manager_dlq`).
///
/// Messages are read over AMQP with `basic.get` without acknowledging them; closing the channel puts every
/// message back (in order), so `list` and `show` change nothing. `redrive` re-publishes one message with
/// publisher confirms and acknowledges (removes) its DLQ copy only after the broker confirmed the new one.
/// A dead-lettered `bmad.workflow.handoff.requested` is re-driven as a *new* handoff event (new id, same
/// payload, `correlation_ids` = the original's id), so the retry shows in the causation chain; any other message
/// is re-published unchanged to its original exchange and routing key.
struct BBDLQ: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dlq", abstract: "Inspect and re-drive the dead-letter queues.",
        subcommands: [List.self, Show.self, Redrive.self])

    /// Which DLQs a command reads.
    enum Which: String, ExpressibleByArgument, CaseIterable {
        case all, letta, manager
    }

    /// Options every subcommand shares.
    struct Options: ParsableArguments {
        @Option(help: "Which DLQ: all, letta (letta_handoff_dlq) or manager (event_store_manager_dlq).")
        var queue: Which = .all
        @Option(help: "Messages read per DLQ at most.") var limit: Int = 1000
        @Option(help: "Seconds to wait for the broker.") var timeout: Int = 10

        func validate() throws {
            guard limit >= 1 else { throw ValidationError("--limit must be at least 1") }
            guard timeout >= 1 else { throw ValidationError("--timeout must be at least 1") }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List dead-lettered messages: queue, event id, type, error code and reason.")
        @OptionGroup var options: Options
        @Flag(help: "Print JSON.") var json = false

        func run() async throws {
            let messages = try await DLQAccess(options: options).peek()
            if json {
                print(String(decoding: JSONValue.array(messages.map(\.json)).prettyEncodedBytes(), as: UTF8.self))
                return
            }
            if messages.isEmpty { print("no dead-lettered messages") }
            for message in messages {
                print(
                    "\(message.queue)  \(message.eventID ?? "-")  \(message.eventType ?? "-")  "
                        + "\(message.code ?? "-"): \(message.reason ?? "-")")
            }
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show one dead-lettered message (headers and body) by its event id or message id.")
        @Argument(help: "The event id (or AMQP message id) of the message.") var id: String
        @OptionGroup var options: Options

        func run() async throws {
            let messages = try await DLQAccess(options: options).peek()
            guard let message = messages.first(where: { $0.matches(id) }) else {
                throw CommandFailure("no dead-lettered message with id \(id) in \(options.queue.rawValue) DLQ(s)")
            }
            print(String(decoding: message.json.prettyEncodedBytes(), as: UTF8.self))
        }
    }

    struct Redrive: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Re-publish one dead-lettered message and remove it from its DLQ once the broker confirmed.",
            discussion: """
                A handoff request is re-published as a new event caused by the original (correlation_ids = the
                original's id): the Letta bridge handles it like any other handoff. Other messages are re-published
                unchanged to their original exchange and routing key. Prints the id of the new event.
                """)
        @Argument(help: "The event id (or AMQP message id) of the message.") var id: String
        @OptionGroup var options: Options

        func run() async throws {
            let newID = try await DLQAccess(options: options).redrive(id)
            print(newID)
        }
    }
}

/// One dead-lettered message as read.
struct DeadLetteredMessage: Sendable {
    let queue: String
    let messageID: String?
    let eventID: String?
    let eventType: String?
    let code: String?
    let reason: String?
    let originalExchange: String?
    let originalRoutingKey: String?
    let body: [UInt8]

    init(queue: String, delivery: AMQPDelivery) {
        self.queue = queue
        let headers = delivery.properties.headers
        messageID = delivery.properties.messageID
        code = headers?[DeadLetter.errorHeader]?.stringValue
        reason = headers?[DeadLetter.reasonHeader]?.stringValue
        originalExchange = headers?["x-original-exchange"]?.stringValue
        originalRoutingKey = headers?["x-original-routing-key"]?.stringValue
        body = Array(delivery.body.readableBytesView)
        let parsed = try? JSONValue(parsing: body)
        eventID = parsed?["event_id"]?.stringValue
        eventType = parsed?["event_type"]?.stringValue
    }

    func matches(_ id: String) -> Bool {
        let wanted = id.lowercased()
        return eventID?.lowercased() == wanted || messageID?.lowercased() == wanted
    }

    var json: JSONValue {
        func text(_ value: String?) -> JSONValue { value.map(JSONValue.string) ?? .null }
        let parsedBody = (try? JSONValue(parsing: body)) ?? .string(String(decoding: body, as: UTF8.self))
        return .object([
            "queue": .string(queue), "event_id": text(eventID), "event_type": text(eventType),
            "message_id": text(messageID), "error": text(code), "reason": text(reason),
            "original_exchange": text(originalExchange), "original_routing_key": text(originalRoutingKey),
            "body": parsedBody,
        ])
    }
}

/// Reads and re-drives DLQ messages over AMQP.
struct DLQAccess {
    let options: BBDLQ.Options

    private struct Setup: Sendable {
        let amqp: AMQPConfiguration
        let topology: BloodbankTopology
        let source: EventSource
        var queues: [String]
    }

    private func setup() throws -> Setup {
        let settings: Settings
        do {
            settings = try Settings.load()
        } catch {
            throw CommandFailure(error.description)
        }
        var amqp: AMQPConfiguration
        do {
            amqp = try AMQPConfiguration(url: settings.string(.rabbitMQURL))
        } catch {
            throw CommandFailure("RABBITMQ_URL is invalid: \(error)")
        }
        amqp.connectTimeout = .seconds(options.timeout)
        amqp.connectionName = "bb dlq"
        let topology = BloodbankTopology(
            exchange: settings.string(.bloodbankExchange),
            deadLetterExchange: settings.string(.bloodbankDeadLetterExchange),
            queuePrefix: settings.string(.bloodbankQueuePrefix))
        let queues: [String] =
            switch options.queue {
            case .all: [topology.lettaDeadLetterQueueName, topology.managerDeadLetterQueueName]
            case .letta: [topology.lettaDeadLetterQueueName]
            case .manager: [topology.managerDeadLetterQueueName]
            }
        let source = EventSource(
            host: settings.optionalString(.sourceHost) ?? ProcessInfo.processInfo.hostName,
            type: settings.string(.sourceType), app: settings.string(.sourceApp))
        return Setup(amqp: amqp, topology: topology, source: source, queues: queues)
    }

    private func withConnection<T: Sendable>(
        _ setup: Setup, _ body: @escaping @Sendable (AMQPConnection) async throws -> T
    ) async throws -> T {
        do {
            return try await withDeadline(.seconds(options.timeout * 3)) {
                try await AMQPConnection.withConnection(configuration: setup.amqp) { connection in
                    try await body(connection)
                }
            }
        } catch let error as CommandFailure {
            throw error
        } catch let error as BloodbankError {
            throw CommandFailure(error.message)
        } catch {
            throw CommandFailure("cannot read the DLQs on RabbitMQ at \(setup.amqp.host):\(setup.amqp.port): \(error)")
        }
    }

    /// Every message of the chosen DLQs (at most `limit` each), left in place.
    func peek() async throws -> [DeadLetteredMessage] {
        let setup = try setup()
        let limit = options.limit
        return try await withConnection(setup) { connection in
            var all: [DeadLetteredMessage] = []
            for queue in setup.queues {
                // Unacknowledged gets; closing the channel requeues them all.
                try await connection.withChannel { channel in
                    var count = 0
                    while count < limit, let delivery = try await channel.basicGet(queue: queue, noAck: false) {
                        all.append(DeadLetteredMessage(queue: queue, delivery: delivery))
                        count += 1
                    }
                }
            }
            return all
        }
    }

    /// Re-publishes the message `id` and removes it from its DLQ after the confirm; returns the new event id.
    func redrive(_ id: String) async throws -> String {
        let setup = try setup()
        let limit = options.limit
        let queueChoice = options.queue.rawValue
        return try await withConnection(setup) { connection in
            for queue in setup.queues {
                let result: String? = try await connection.withChannel { channel in
                    var seen = 0
                    while seen < limit, let delivery = try await channel.basicGet(queue: queue, noAck: false) {
                        seen += 1
                        let message = DeadLetteredMessage(queue: queue, delivery: delivery)
                        guard message.matches(id) else { continue }
                        let newID = try await Self.republish(message, delivery: delivery, setup: setup, on: connection)
                        // Confirmed: now the DLQ copy may go. The other messages return when the channel closes.
                        try channel.basicAck(deliveryTag: delivery.deliveryTag)
                        return newID
                    }
                    return nil
                }
                if let result { return result }
            }
            throw CommandFailure("no dead-lettered message with id \(id) in \(queueChoice) DLQ(s)")
        }
    }

    private static func republish(
        _ message: DeadLetteredMessage, delivery: AMQPDelivery, setup: Setup, on connection: AMQPConnection
    ) async throws -> String {
        try await connection.withChannel { channel in
            try await channel.confirmSelect()
            if message.eventType == HandoffRequestedPayload.eventType,
                let original = try? EventValidator().validate(bytes: message.body)
            {
                // A new handoff caused by the original: visible in the causation chain, handled like any other.
                let envelope = try EventEnvelope(
                    eventType: original.envelope.eventType, payload: original.envelope.payload,
                    correlationIDs: [original.envelope.eventID], agentContext: original.envelope.agentContext,
                    source: setup.source)
                let publisher = BloodbankPublisher(
                    client: channel, exchange: setup.topology.exchange, source: setup.source)
                try await publisher.publish(envelope)
                return BloodbankUUID.format(envelope.eventID)
            }
            var properties = delivery.properties
            if var headers = properties.headers {
                for key in [
                    DeadLetter.errorHeader, DeadLetter.reasonHeader, "x-original-exchange", "x-original-routing-key",
                ] {
                    headers[key] = nil
                }
                properties.headers = headers
            }
            let exchange = message.originalExchange ?? setup.topology.exchange
            let routingKey = message.originalRoutingKey ?? message.eventType ?? ""
            let confirm = try await channel.basicPublish(
                exchange: exchange, routingKey: routingKey, body: message.body, properties: properties,
                mandatory: true)
            guard case .ack = confirm else {
                throw CommandFailure("the broker did not confirm the re-driven copy (\(confirm)); the DLQ keeps it")
            }
            return message.eventID ?? message.messageID ?? "(no id)"
        }
    }
}
