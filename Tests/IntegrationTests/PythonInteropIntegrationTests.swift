import AMQPClient
import Bloodbank
import BloodbankModel
import CandystoreOps
import Foundation
import NIOCore
import Testing

/// Interoperability with the Python Bloodbank on the real broker: `bb publish` → a pika consumer sees the
/// brief §1 properties; a pika producer's envelope → decodes and validates in Swift.
@Suite(.serialized) struct PythonInteropIntegrationTests {
    static let repository = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let python = repository.appendingPathComponent(".venv/bin/python").path

    /// Runs a program, returning its standard output; fails when it exits non-zero.
    static func run(_ executable: String, _ arguments: [String], environment: [String: String]? = nil)
        async throws -> String
    {
        let run = try await ChildProcess.output(
            executable, arguments, environment: environment, currentDirectory: repository.path)
        guard run.termination == .exited(0) else {
            throw InteropError("\(executable) \(arguments.joined(separator: " ")) \(run.termination): \(run.errors)")
        }
        return run.output
    }

    struct InteropError: Error, CustomStringConvertible {
        let description: String
        init(_ description: String) { self.description = description }
    }

    /// A throwaway topic exchange with one queue bound `#`, removed afterwards.
    static func withTestQueue<T: Sendable>(_ body: (_ exchange: String, _ queue: String) async throws -> T) async throws
        -> T
    {
        let id = String(UUID().uuidString.lowercased().prefix(8))
        let management = try RabbitMQManagementClient(url: IntegrationEnvironment.configuration.rabbitMQManagementURL)
        var topology = BloodbankTopology(exchange: "test.\(id).interop", deadLetterExchange: "test.\(id).dlx")
        topology.exchanges = [topology.exchanges[0]]
        topology.queues = [
            .init(
                name: "test_\(id)_interop", durable: false, arguments: [:],
                bindings: [.init(exchange: topology.exchange, routingKey: "#")])
        ]
        try await management.declare(topology)
        do {
            let result = try await body(topology.exchange, topology.queues[0].name)
            try await management.deleteQueue(named: topology.queues[0].name)
            return result
        } catch {
            try? await management.deleteQueue(named: topology.queues[0].name)
            throw error
        }
    }

    @Test func bbPublishArrivesInAPikaConsumerWithTheBriefsProperties() async throws {
        let bb = Self.repository.appendingPathComponent(".build/debug/bb").path
        try await Self.withTestQueue { exchange, queue in
            var environment = ProcessInfo.processInfo.environment
            environment["BLOODBANK_EXCHANGE"] = exchange
            environment["BLOODBANK_SOURCE_APP"] = "bmad"
            let workflow = BloodbankUUID.format(UUID())
            let parent = BloodbankUUID.format(UUID())
            let eventID = try await Self.run(
                bb,
                [
                    "publish", "bmad.workflow.handoff.requested", "--parent", parent, "--payload",
                    #"{"workflow_id":"\#(workflow)","from_agent":"bmad-architect","to_agent":"letta-python-dev","task":"Écrire le code 🚀","context":{"n":12345678901234567890}}"#,
                ], environment: environment
            ).trimmingCharacters(in: .whitespacesAndNewlines)
            #expect(BloodbankUUID.parse(eventID) != nil, "bb printed \(eventID)")
            let line = try await Self.run(
                Self.python,
                ["tools/interop/pika_consume.py", IntegrationEnvironment.configuration.rabbitMQURL, queue, "1", "20"])
            guard
                case .object(let message) = try JSONValue(parsing: line.trimmingCharacters(in: .whitespacesAndNewlines))
            else {
                Issue.record("pika printed \(line)")
                return
            }
            #expect(message["routing_key"] == "bmad.workflow.handoff.requested")
            #expect(message["exchange"] == .string(exchange))
            #expect(message["content_type"] == "application/json")
            #expect(message["content_encoding"] == "utf-8")
            #expect(message["delivery_mode"] == 2)
            #expect(message["message_id"] == .string(eventID))
            let body = try #require(message["body"]?.stringValue)
            let event = try EventValidator().validate(bytes: Array(body.utf8))
            #expect(BloodbankUUID.format(event.envelope.eventID) == eventID)
            #expect(event.envelope.correlationIDs.map(BloodbankUUID.format) == [parent])
            #expect(event.envelope.source.app == "bmad")
            guard case .handoffRequested(let handoff) = event.typedPayload else {
                Issue.record("not a handoff: \(body)")
                return
            }
            #expect(handoff.taskText == "Écrire le code 🚀")
            #expect(handoff.context["n"] == .number(JSONNumber("12345678901234567890")!))
            // The body is the canonical envelope: keys in the brief's order.
            #expect(body.hasPrefix(#"{"event_id":""#))
            let keys = try #require(try JSONValue(parsing: body).objectValue).keys
            #expect(
                keys == [
                    "event_id", "event_type", "timestamp", "version", "source", "correlation_ids", "agent_context",
                    "payload",
                ])
        }
    }

    @Test func aPythonProducersEnvelopeDecodesInSwift() async throws {
        try await Self.withTestQueue { exchange, queue in
            let workflow = BloodbankUUID.format(UUID())
            let payload =
                #"{"workflow_id":"\#(workflow)","project_name":"interop","current_phase":"planning","metadata":{"ratio":0.1,"big":12345678901234567890}}"#
            let eventID = try await Self.run(
                Self.python,
                [
                    "tools/interop/pika_publish.py", IntegrationEnvironment.configuration.rabbitMQURL, exchange,
                    "bmad.workflow.started", payload,
                ]
            ).trimmingCharacters(in: .whitespacesAndNewlines)
            var configuration = try AMQPConfiguration(url: IntegrationEnvironment.configuration.rabbitMQURL)
            configuration.connectionName = "interop-test"
            let delivery = try await AMQPConnection.withConnection(configuration: configuration) { connection in
                try await connection.withChannel { channel in
                    var message: AMQPDelivery?
                    for _ in 0..<100 where message == nil {
                        message = try await channel.basicGet(queue: queue, noAck: true)
                        if message == nil { try await Task.sleep(for: .milliseconds(50)) }
                    }
                    return message
                }
            }
            let message = try #require(delivery)
            #expect(message.properties.messageID == eventID)
            #expect(message.properties.contentType == "application/json")
            #expect(message.properties.deliveryMode == 2)
            let event = try EventValidator().validate(bytes: message.body.readableBytesView)
            #expect(BloodbankUUID.format(event.envelope.eventID) == eventID)
            #expect(event.envelope.source.app == "python-bloodbank")
            guard case .workflowStarted(let started) = event.typedPayload else {
                Issue.record("not a started event")
                return
            }
            #expect(started.projectName == "interop")
            #expect(started.currentPhase == .planning)
            // Exact numbers survive: re-encoding the payload gives the producer's bytes back.
            #expect(JSONValue.object(event.envelope.payload).encodedString() == payload)
        }
    }
}
