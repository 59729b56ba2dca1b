import Foundation

/// Settings of the Event Store API process (`candystore api`), built by the composition root (`CandystoreApp`)
/// from `API_*`; the defaults are `.env.example`'s.
public struct APIConfiguration: Sendable {
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
    /// Events that may wait for one WebSocket client before it is closed as too slow (`API_WS_BUFFER_SIZE`,
    /// default 1000).
    public var streamBufferSize: Int
    /// How often the store is polled for new events while the Redis subscription is down.
    public var fallbackPollInterval: Duration
    /// How often the store is checked for events Redis may have missed while the subscription is up.
    public var safetyPollInterval: Duration
    /// Most events a descendants/ancestors walk returns before answering `truncated: true`
    /// (`API_MAX_CAUSATION_NODES`, default 10000).
    public var maxCausationNodes: Int
    /// Redis pub/sub channel of stored events (`REDIS_STREAM_CHANNEL`).
    public var streamChannel: String
    /// Request head limits (`API_MAX_HEAD_BYTES`, `API_MAX_HEADER_COUNT`; 431 and the connection closed beyond).
    public var headLimits: HTTPHeadLimits

    /// Creates a configuration; the defaults are the local stack's.
    public init(
        host: String = "127.0.0.1",
        port: Int = 8088,
        token: String? = nil,
        corsOrigins: [String] = [],
        heartbeatInterval: Duration = .seconds(30),
        streamBufferSize: Int = 1000,
        fallbackPollInterval: Duration = .milliseconds(250),
        safetyPollInterval: Duration = .seconds(2),
        maxCausationNodes: Int = 10000,
        streamChannel: String = "events:stream",
        headLimits: HTTPHeadLimits = HTTPHeadLimits()
    ) {
        self.host = host
        self.port = port
        self.token = token
        self.corsOrigins = corsOrigins
        self.heartbeatInterval = heartbeatInterval
        self.streamBufferSize = streamBufferSize
        self.fallbackPollInterval = fallbackPollInterval
        self.safetyPollInterval = safetyPollInterval
        self.maxCausationNodes = maxCausationNodes
        self.streamChannel = streamChannel
        self.headLimits = headLimits
    }

    /// Splits a comma-separated origin list, dropping blanks.
    public static func origins(_ text: String?) -> [String] {
        (text ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }
}
