import AMQPClient
public import ArgumentParser
import Bloodbank
import BloodbankModel
import CandystoreConfig
import Foundation
import Retry

/// The `bb` client CLI for BMAD skills and people: publish events, list the catalogue, export schemas.
public struct BBCommand: AsyncParsableCommand {
    /// Command-line description and subcommands.
    public static let configuration = CommandConfiguration(
        commandName: "bb",
        abstract: "Bloodbank client: publish, tail, trace, wait for and query events; the catalogue; the demo.",
        discussion: """
            Exit status: 0 success, 1 an error (one line on standard error naming what to fix), 2 a usage error,
            124 a timeout of bb wait. Settings (RABBITMQ_URL, CANDYSTORE_API_URL or API_HOST/API_PORT, API_TOKEN)
            come from the environment over .env; --api URL overrides the API's. Reference: docs/bb.md.
            """,
        subcommands: [
            BBPublish.self, BBTail.self, BBTrace.self, BBWait.self, BBEvents.self, BBWorkflows.self, BBWorkflow.self,
            BBSession.self, BBSchema.self, BBDemo.self, BBDLQ.self,
        ]
    )

    /// Creates the command (ArgumentParser requirement).
    public init() {}

    /// Parses and runs the command line; usage errors exit 2 (ArgumentParser's default would be 64), other errors
    /// print one line and exit 1 (or the command's own status, e.g. 124).
    public static func main() async {
        await main(CommandLine.arguments.dropFirst().map { $0 })
    }

    /// ``main()`` for the given arguments (without the program name).
    public static func main(_ arguments: [String]) async {
        do {
            var command = try parseAsRoot(arguments)
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch {
            if exitCode(for: error) == .validationFailure {
                FileHandle.standardError.write(Data((fullMessage(for: error) + "\n").utf8))
                exit(withError: ExitCode(usageErrorStatus))
            }
            exit(withError: error)
        }
    }

    /// The exit status of a usage error.
    public static let usageErrorStatus: Int32 = 2
}

/// `bb publish <event_type> --payload JSON|@file|- [--parent ID]…`: prints the event id once confirmed.
struct BBPublish: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "publish",
        abstract: "Publish one event and print its id once the broker confirmed it.",
        discussion: """
            The payload is JSON given inline, as @path to a file, or - for standard input. A known event type's
            payload is validated first (exit 1 with the reason when invalid). Exit 1 with a clear message when the
            broker is unreachable or refuses the message. Connection from RABBITMQ_URL (environment or .env).
            """
    )

    @Argument(help: "Event type (routing key), e.g. bmad.workflow.handoff.requested.") var eventType: String
    @Option(help: "Payload: inline JSON object, @file, or - for stdin.") var payload: String
    @Option(name: .customLong("parent"), help: "Parent event id (repeatable): the correlation_ids.")
    var parents: [String] = []
    @Option(help: "agent_context as a JSON object.") var agentContext: String?
    @Option(help: "source.app (default BLOODBANK_SOURCE_APP or bb).") var sourceApp: String?
    @Option(help: "source.type (default BLOODBANK_SOURCE_TYPE or manual).") var sourceType: String?
    @Option(help: "Seconds to wait for the broker (connect and confirm), and with --wait-stored for the store.")
    var timeout: Int = 10
    @Flag(help: "Refuse an event type that is not in the catalogue (instead of a warning).") var strict = false
    @Flag(help: "Return only once the event can be read back from the Event Store API; print its position.")
    var waitStored = false
    @Option(name: [.customShort("o"), .customLong("output")], help: "text (the id) or json ({event_id, position}).")
    var output: PublishOutput = .text
    @OptionGroup var api: APIOptions

    /// `-o` of publish.
    enum PublishOutput: String, ExpressibleByArgument, CaseIterable {
        case text, json
    }

    func run() async throws {
        let settings = try api.settings()
        if let warning = try catalogueCheck() { Terminal.err(warning) }
        let envelope = try makeEnvelope(settings: settings)
        var amqp: AMQPConfiguration
        do {
            amqp = try AMQPConfiguration(url: settings.rabbitMQURL)
        } catch {
            throw CommandFailure("RABBITMQ_URL is invalid: \(error)")
        }
        amqp.connectTimeout = .seconds(timeout)
        amqp.connectionName = "bb publish"
        let connectionConfiguration = amqp
        let exchange = settings.exchange
        let deadline = Duration.seconds(timeout)
        do {
            try await withDeadline(deadline) {
                try await AMQPConnection.withConnection(configuration: connectionConfiguration) { connection in
                    try await connection.withChannel { channel in
                        try await channel.confirmSelect()
                        let publisher = BloodbankPublisher(client: channel, exchange: exchange, source: envelope.source)
                        try await publisher.publish(envelope)
                    }
                }
            }
        } catch let error as BloodbankError {
            throw CommandFailure(error.message)
        } catch let error as AMQPError {
            throw CommandFailure(
                "cannot publish to RabbitMQ at \(amqp.host):\(amqp.port): \(error) — is it running? (scripts/dev up)")
        } catch is DeadlineExceeded {
            throw CommandFailure(
                "RabbitMQ at \(amqp.host):\(amqp.port) did not confirm within \(timeout) s — is it running? "
                    + "(scripts/dev status)")
        }
        let id = BloodbankUUID.format(envelope.eventID)
        var position: Int64?
        if waitStored {
            position = try await StoredWaiter(api: APIClient(baseURL: settings.apiBaseURL, token: settings.apiToken))
                .position(of: envelope.eventID, timeout: .seconds(max(1, timeout)))
        }
        switch output {
        case .text:
            Terminal.out(id)
            if let position { Terminal.status("stored at position \(position)") }
        case .json:
            var object: JSONObject = ["event_id": .string(id)]
            if let position { object.append("position", .number(JSONNumber(position))) }
            Terminal.out(JSONValue.object(object).encodedString())
        }
    }

    /// A warning naming the nearest catalogue type for a type outside the catalogue; with `--strict` a failure.
    func catalogueCheck() throws -> String? {
        let catalogue = EventCatalogue.standard
        guard EventEnvelope.isValidEventType(eventType), catalogue[eventType] == nil else { return nil }
        let nearest = CatalogueSuggestion.nearest(to: eventType, in: catalogue.eventTypes)
        let hint = nearest.map { " (did you mean \($0)?)" } ?? ""
        if strict {
            throw CommandFailure(
                "event type '\(eventType)' is not in the catalogue\(hint); --strict refuses it (bb events list shows "
                    + "the catalogue)")
        }
        return "warning: event type '\(eventType)' is not in the catalogue\(hint); publishing it unvalidated — "
            + "no Candystore service acts on it (--strict refuses such types)"
    }

    func makeEnvelope(settings: ClientSettings) throws -> EventEnvelope {
        guard EventEnvelope.isValidEventType(eventType) else {
            throw CommandFailure(
                "event type '\(eventType)' is not of the form domain.entity.action (lowercase, dot-separated)")
        }
        let payloadObject: JSONObject
        do {
            guard case .object(let object) = try JSONValue(parsing: try readPayloadText()) else {
                throw CommandFailure("--payload must be a JSON object")
            }
            payloadObject = object
        } catch let error as BloodbankModelError {
            throw CommandFailure("--payload is not valid JSON: \(error.reason)")
        }
        var correlationIDs: [UUID] = []
        for parent in parents {
            guard let id = BloodbankUUID.parse(parent) else {
                throw CommandFailure("--parent '\(parent)' is not a UUID")
            }
            correlationIDs.append(id)
        }
        var context: AgentContext?
        if let agentContext {
            do {
                guard case .object(let object) = try JSONValue(parsing: agentContext) else {
                    throw CommandFailure("--agent-context must be a JSON object")
                }
                context = try AgentContext(decoding: object)
            } catch let error as BloodbankModelError {
                throw CommandFailure("--agent-context is invalid: \(error.reason)")
            }
        }
        let source = EventSource(
            host: settings.sourceHost,
            type: sourceType ?? settings.sourceType,
            app: sourceApp ?? settings.sourceApp,
            meta: JSONObject())
        do {
            let envelope = try EventEnvelope(
                eventType: eventType, payload: payloadObject, correlationIDs: correlationIDs, agentContext: context,
                source: source)
            _ = try EventValidator().validate(envelope)
            return envelope
        } catch {
            throw CommandFailure("invalid \(eventType) event: \(error.reason)")
        }
    }

    private func readPayloadText() throws -> String {
        if payload == "-" {
            var lines: [String] = []
            while let line = readLine(strippingNewline: false) { lines.append(line) }
            return lines.joined()
        }
        if payload.hasPrefix("@") {
            let path = String(payload.dropFirst())
            do {
                return try String(contentsOfFile: path, encoding: .utf8)
            } catch {
                throw CommandFailure("cannot read payload file \(path): \(error.localizedDescription)")
            }
        }
        return payload
    }
}

/// `bb events [filters]` lists stored events (``BBEventsQuery``, the default); `bb events list` the catalogue.
struct BBEvents: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "events", abstract: "List stored events (bb events [filters]) or the catalogue (bb events list).",
        subcommands: [BBEventsQuery.self, List.self], defaultSubcommand: BBEventsQuery.self)

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List catalogue event types and their required fields.")
        @Flag(help: "Print JSON.") var json = false

        func run() async throws {
            let catalogue = EventCatalogue.standard
            if json {
                let entries: [JSONValue] = catalogue.eventTypes.compactMap { type in
                    guard let entry = catalogue[type] else { return nil }
                    return .object([
                        "event_type": .string(type), "summary": .string(entry.summary),
                        "required": .array(entry.fields.filter(\.isRequired).map { .string($0.name) }),
                        "optional": .array(entry.fields.filter { !$0.isRequired }.map { .string($0.name) }),
                    ])
                }
                print(String(decoding: JSONValue.array(entries).prettyEncodedBytes(), as: UTF8.self))
                return
            }
            for type in catalogue.eventTypes {
                guard let entry = catalogue[type] else { continue }
                let required = entry.fields.filter(\.isRequired).map(\.name).joined(separator: ", ")
                print("\(type)\n    \(entry.summary)\n    required: \(required)")
            }
        }
    }
}

/// `bb schema export DIR`: one JSON Schema (2020-12) file per catalogue entry plus the envelope.
struct BBSchema: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "schema", abstract: "JSON Schemas of the catalogue.", subcommands: [Export.self])

    struct Export: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Write every schema into a directory.")
        @Argument(help: "Target directory (created if missing).") var directory: String

        func run() async throws {
            let url = URL(fileURLWithPath: directory)
            try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
            let schemas = EventCatalogue.jsonSchemas()
            for (fileName, schema) in schemas {
                let data = Data(schema.prettyEncodedBytes() + [UInt8(ascii: "\n")])
                try data.write(to: url.appendingPathComponent(fileName))
            }
            print("wrote \(schemas.count) schemas to \(directory)")
        }
    }
}
