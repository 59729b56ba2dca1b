import CandystoreOps
import Foundation

/// Settings of the Event Store API process (`candystore api`), built from ``CandystoreOps/Settings``.
public struct APIConfiguration: Sendable {
    /// Database, Redis, RabbitMQ and topology settings shared by every Candystore process.
    public var candystore: CandystoreConfiguration
    /// Bind address (`API_HOST`); loopback unless configured, so nothing is exposed by accident.
    public var host: String
    /// TCP port (`API_PORT`, default 8088; 0 picks a free port).
    public var port: Int
    /// When set (`API_TOKEN`), every endpoint except `/health` requires `Authorization: Bearer <token>`.
    public var token: String?
    /// Origins allowed by CORS (`API_CORS_ORIGINS`, comma-separated; `*` allows any; empty = none).
    public var corsOrigins: [String]
    /// Interval between WebSocket heartbeat frames (`API_WS_HEARTBEAT_SECONDS`, default 30 s).
    public var heartbeatInterval: Duration
    /// Events that may wait for one WebSocket client before it is closed as too slow (`API_WS_BUFFER_SIZE`).
    public var streamBufferSize: Int
    /// How often the store is polled for new events while the Redis subscription is down.
    public var fallbackPollInterval: Duration
    /// How often the store is checked for events Redis may have missed while the subscription is up.
    public var safetyPollInterval: Duration
    /// Most events a descendants/ancestors walk returns before answering `truncated: true`
    /// (`API_MAX_CAUSATION_NODES`).
    public var maxCausationNodes: Int

    /// The name the stream's Redis subscription connection gives itself (`CLIENT SETNAME`), so operators can
    /// find it in `CLIENT LIST`.
    public var redisClientName = "candystore-api-stream"

    /// Reads every setting; throws a ``CandystoreOps/ConfigurationError`` naming the first bad one.
    public init(settings: Settings) throws {
        candystore = try CandystoreConfiguration(settings: settings)
        host = settings.string("API_HOST", default: "127.0.0.1")
        port = try settings.int("API_PORT", default: 8088)
        guard (0...65535).contains(port) else { throw ConfigurationError("API_PORT must be 0…65535, got \(port)") }
        token = settings.optionalString("API_TOKEN")
        corsOrigins = Self.origins(settings.optionalString("API_CORS_ORIGINS"))
        let heartbeat = try settings.int("API_WS_HEARTBEAT_SECONDS", default: 30)
        guard heartbeat > 0 else { throw ConfigurationError("API_WS_HEARTBEAT_SECONDS must be positive") }
        heartbeatInterval = .seconds(heartbeat)
        streamBufferSize = try settings.int("API_WS_BUFFER_SIZE", default: 1024)
        guard streamBufferSize > 0 else { throw ConfigurationError("API_WS_BUFFER_SIZE must be positive") }
        maxCausationNodes = try settings.int("API_MAX_CAUSATION_NODES", default: 1000)
        guard maxCausationNodes > 0 else { throw ConfigurationError("API_MAX_CAUSATION_NODES must be positive") }
        fallbackPollInterval = .milliseconds(250)
        safetyPollInterval = .seconds(2)
    }

    static func origins(_ text: String?) -> [String] {
        (text ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }
}
