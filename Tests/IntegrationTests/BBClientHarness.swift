import AMQPClient
import AsyncHTTPClient
import Bloodbank
import BloodbankModel
import CandystoreConfig
import Foundation
import NIOCore
import NIOHTTP1

/// Runs `bb` against the running stack (`scripts/dev up`) and publishes test events onto the real exchange.
enum BBClientHarness {
    static let repository = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static var bb: String { repository.appendingPathComponent(".build/debug/bb").path }

    /// One finished run of `bb`.
    struct Run: Sendable {
        var status: Int32
        var output: String
        var errors: String
        var lines: [String] { output.split(separator: "\n", omittingEmptySubsequences: true).map(String.init) }
    }

    /// Runs `bb arguments` from the repository root (so it reads the stack's `.env`).
    static func bb(_ arguments: [String], environment: [String: String]? = nil) async throws -> Run {
        let run = try await ChildProcess.output(
            bb, arguments, environment: environment, currentDirectory: repository.path)
        let status: Int32 =
            switch run.termination {
            case .exited(let code): code
            case .signalled(let signal): 128 + signal
            }
        return Run(status: status, output: run.output, errors: run.errors)
    }

    /// Runs `bb arguments` in a pseudo-terminal (`script`), as a person would: standard output is a TTY.
    /// Returns what the terminal showed (carriage returns removed).
    static func bbInTerminal(_ arguments: [String], noColor: Bool = false) async throws -> Run {
        var environment = ProcessInfo.processInfo.environment
        environment["TERM"] = "xterm-256color"
        environment.removeValue(forKey: "NO_COLOR")
        if noColor { environment["NO_COLOR"] = "1" }
        let command = ([bb] + arguments).map(shellWord).joined(separator: " ")
        let run = try await ChildProcess.output(
            "/usr/bin/script", ["-q", "-e", "-c", command, "/dev/null"], environment: environment,
            currentDirectory: repository.path)
        let status: Int32 =
            switch run.termination {
            case .exited(let code): code
            case .signalled(let signal): 128 + signal
            }
        return Run(
            status: status, output: run.output.replacingOccurrences(of: "\r", with: ""), errors: run.errors)
    }

    static func shellWord(_ word: String) -> String {
        "'" + word.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }

    /// The API base URL of the running stack.
    static func apiBase() throws -> String { try IntegrationEnvironment.settings.apiBaseURL() }

    /// `GET url`: status and body bytes.
    static func get(_ url: String) async throws -> (status: Int, body: [UInt8]) {
        var request = HTTPClientRequest(url: url)
        // The local stack requires the API token it generated into .env (docs/security.md).
        if let token = IntegrationEnvironment.settings.optionalString(.apiToken) {
            request.headers.add(name: "Authorization", value: "Bearer \(token)")
        }
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(30))
        let buffer = try await response.body.collect(upTo: 64 << 20)
        return (Int(response.status.code), Array(buffer.readableBytesView))
    }

    /// `GET url` as JSON.
    static func json(_ url: String) async throws -> JSONValue? {
        let (status, body) = try await get(url)
        guard status == 200 else { return nil }
        return try JSONValue(parsing: body)
    }

    /// An event of a test type under `workflow`, with `parents`.
    static func event(
        _ type: String, workflow: UUID, parents: [UUID] = [], extra: JSONObject = [:], agent: String = "bb-test"
    ) -> EventEnvelope {
        var payload: JSONObject = ["workflow_id": .string(BloodbankUUID.format(workflow))]
        for (key, value) in extra.entries { payload.append(key, value) }
        // The initializer validates the type's form only (test types are outside the catalogue).
        return try! EventEnvelope(
            eventType: type, payload: payload, correlationIDs: parents,
            agentContext: AgentContext(type: "test", name: agent),
            source: EventSource(host: "test", type: "test", app: "bb-tests"))
    }

    /// Publishes envelopes to the stack's exchange with confirms, each under its own event type as
    /// routing key unless `routingKey` is given (then raw, so no queue but the manager's `#` binding sees it).
    static func publish(_ envelopes: [EventEnvelope], routingKey: String? = nil) async throws {
        let settings = IntegrationEnvironment.settings
        var amqp = try AMQPConfiguration(url: settings.string(.rabbitMQURL))
        amqp.connectionName = "bb-client-tests"
        let exchange = settings.string(.bloodbankExchange)
        try await AMQPConnection.withConnection(configuration: amqp) { connection in
            try await connection.withChannel { channel in
                try await channel.confirmSelect()
                if let routingKey {
                    for envelope in envelopes {
                        _ = try await channel.basicPublish(
                            exchange: exchange, routingKey: routingKey,
                            body: ByteBuffer(bytes: envelope.encodedBytes()),
                            properties: AMQPProperties(
                                contentType: "application/json", deliveryMode: 2,
                                messageID: BloodbankUUID.format(envelope.eventID)),
                            mandatory: false)
                    }
                    return
                }
                let publisher = BloodbankPublisher(
                    client: channel, exchange: exchange,
                    source: EventSource(host: "test", type: "test", app: "bb-tests"))
                for envelope in envelopes { try await publisher.publish(envelope) }
            }
        }
    }

    /// Waits (up to 90 s) until every id is readable from the API.
    static func waitStored(_ ids: [UUID]) async throws {
        let api = try apiBase()
        let deadline = ContinuousClock.now + .seconds(90)
        var pending = ids
        while let id = pending.last {
            let (status, _) = try await get("\(api)/api/v1/events/\(BloodbankUUID.format(id))")
            if status == 200 {
                pending.removeLast()
                continue
            }
            guard ContinuousClock.now < deadline else {
                throw Failure("events not stored within 90 s: \(pending.count) left (is the manager running?)")
            }
            try await Task.sleep(for: .milliseconds(100))
        }
    }

    struct Failure: Error, CustomStringConvertible {
        let description: String
        init(_ description: String) { self.description = description }
    }
}
