// The catalogue of every setting. Order and groups follow `.env.example`; a test checks both agree.

extension SettingKey {
    // MARK: Configuration file

    /// Path of the `.env` file to read instead of `./.env`.
    public static let envFile = SettingKey(
        "CANDYSTORE_ENV_FILE", default: "", "path of the .env file to read (default ./.env)", reader: .shared,
        inExampleFile: false)

    // MARK: PostgreSQL

    /// Port of the local PostgreSQL server.
    public static let postgresPort = SettingKey(
        "POSTGRES_PORT", default: "5435", "port of the local PostgreSQL server", reader: .scripts)
    /// Application role created by `scripts/dev up`.
    public static let postgresUser = SettingKey(
        "POSTGRES_USER", default: "candystore", "application role created by scripts/dev up", reader: .scripts)
    /// Password of the application role.
    public static let postgresPassword = SettingKey(
        "POSTGRES_PASSWORD", default: "candystore", "password of the application role", reader: .scripts,
        redaction: .whole)
    /// Database created by `scripts/dev up`.
    public static let postgresDatabase = SettingKey(
        "POSTGRES_DB", default: "event_store", "database created by scripts/dev up", reader: .scripts)
    /// Connection URL of the event store.
    public static let databaseURL = SettingKey(
        "DATABASE_URL", default: "postgres://candystore:candystore@127.0.0.1:5435/event_store",
        "PostgreSQL URL of the event store (manager, API, migrations)", redaction: .urlPassword)
    /// Connections per process pool.
    public static let databasePoolSize = SettingKey(
        "DATABASE_POOL_SIZE", default: "10", "connection pool size per process")
    /// Folder of the migration files.
    public static let migrationsDirectory = SettingKey(
        "MIGRATIONS_DIR", default: "migrations", "folder holding NNNN_name.{up,down}.sql")

    // MARK: RabbitMQ

    /// AMQP port of the local RabbitMQ node.
    public static let rabbitMQPort = SettingKey(
        "RABBITMQ_PORT", default: "5675", "AMQP port of the local RabbitMQ node", reader: .scripts)
    /// Management (HTTP) port of the local RabbitMQ node.
    public static let rabbitMQManagementPort = SettingKey(
        "RABBITMQ_MANAGEMENT_PORT", default: "15675", "management port of the local RabbitMQ node",
        reader: .scripts)
    /// User created by `scripts/dev up`.
    public static let rabbitMQUser = SettingKey(
        "RABBITMQ_USER", default: "candystore", "RabbitMQ user created by scripts/dev up", reader: .scripts)
    /// Password of that user.
    public static let rabbitMQPassword = SettingKey(
        "RABBITMQ_PASSWORD", default: "candystore", "password of that user", reader: .scripts, redaction: .whole)
    /// Administrator of the local RabbitMQ (management UI).
    public static let rabbitMQAdminUser = SettingKey(
        "RABBITMQ_ADMIN_USER", default: "candystore-admin", "administrator of the local RabbitMQ (management UI)",
        reader: .scripts)
    /// That administrator's password.
    public static let rabbitMQAdminPassword = SettingKey(
        "RABBITMQ_ADMIN_PASSWORD", default: "",
        "password of that administrator (generated into .env by scripts/dev up; empty: no administrator)",
        reader: .scripts, redaction: .whole)
    /// AMQP URL of the broker.
    public static let rabbitMQURL = SettingKey(
        "RABBITMQ_URL", default: "amqp://candystore:candystore@127.0.0.1:5675/%2F",
        "AMQP URL of the broker (vhost URL-encoded)", reader: .shared, redaction: .urlPassword)
    /// Management API base URL with credentials.
    public static let rabbitMQManagementURL = SettingKey(
        "RABBITMQ_MANAGEMENT_URL", default: "http://candystore:candystore@127.0.0.1:15675",
        "RabbitMQ management API URL (health, topology, dead letters)", reader: .shared, redaction: .urlPassword)
    /// The Bloodbank topic exchange.
    public static let bloodbankExchange = SettingKey(
        "BLOODBANK_EXCHANGE", default: "bloodbank.events.v1", "Bloodbank topic exchange", reader: .shared)
    /// The dead-letter exchange.
    public static let bloodbankDeadLetterExchange = SettingKey(
        "BLOODBANK_DLX", default: "bloodbank.dlx", "dead-letter exchange", reader: .shared)
    /// Prefix of every Bloodbank queue name.
    public static let bloodbankQueuePrefix = SettingKey(
        "BLOODBANK_QUEUE_PREFIX", default: "", "prefix of every Bloodbank queue name", reader: .shared)

    // MARK: Redis

    /// Port of the local Redis server.
    public static let redisPort = SettingKey(
        "REDIS_PORT", default: "6382", "port of the local Redis server", reader: .scripts)
    /// Password of the local Redis server.
    public static let redisPassword = SettingKey(
        "REDIS_PASSWORD", default: "",
        "password the local Redis server requires (generated into .env by scripts/dev up)",
        reader: .scripts, redaction: .whole)
    /// Redis URL.
    public static let redisURL = SettingKey(
        "REDIS_URL", default: "redis://127.0.0.1:6382/0", "Redis URL (live stream fan-out)",
        redaction: .urlPassword)
    /// Pub/sub channel of stored events.
    public static let redisStreamChannel = SettingKey(
        "REDIS_STREAM_CHANNEL", default: "events:stream", "pub/sub channel of stored events")

    // MARK: Limits

    /// Largest message body accepted on the bus.
    public static let maxEventBytes = SettingKey(
        "MAX_EVENT_BYTES", default: "1048576",
        "largest event (message body) accepted, in bytes; larger ones are dead-lettered as too_large",
        reader: .shared)
    /// Longest reason written into headers, events and read models.
    public static let maxReasonBytes = SettingKey(
        "MAX_REASON_BYTES", default: "2048",
        "longest reason written into dead-letter headers, blocked events and read models, in bytes (cut with a marker)",
        reader: .shared)

    // MARK: Event Store Manager

    /// Bind address of the manager's `/health` and `/metrics`.
    public static let managerHost = SettingKey(
        "MANAGER_HOST", default: "127.0.0.1", "bind address of the manager's /health and /metrics")
    /// Port of the manager's `/health` and `/metrics`.
    public static let managerPort = SettingKey(
        "MANAGER_PORT", default: "9464", "port of the manager's /health and /metrics")
    /// Consumer prefetch.
    public static let managerPrefetch = SettingKey(
        "MANAGER_PREFETCH", default: "1000", "unacknowledged deliveries the broker may push ahead (1…65535)")
    /// Messages per micro-batch.
    public static let managerBatchSize = SettingKey(
        "MANAGER_BATCH_SIZE", default: "500", "messages per micro-batch (at most MANAGER_PREFETCH)")
    /// Longest wait before a partial batch is written.
    public static let managerBatchMaxWait = SettingKey(
        "MANAGER_BATCH_MAX_WAIT_MS", default: "20", "milliseconds before a partial batch is written")

    // MARK: Event Store API

    /// Bind address of the API.
    public static let apiHost = SettingKey(
        "API_HOST", default: "127.0.0.1", "bind address of the Event Store API")
    /// Port of the API.
    public static let apiPort = SettingKey("API_PORT", default: "8088", "port of the Event Store API")
    /// Bearer token the API requires (empty: none).
    public static let apiToken = SettingKey(
        "API_TOKEN", default: "", "bearer token every endpoint but /health requires (empty: none)",
        reader: .shared, redaction: .whole)
    /// CORS origins allowed.
    public static let apiCORSOrigins = SettingKey(
        "API_CORS_ORIGINS", default: "", "comma-separated CORS origins (* for any; empty: none)")
    /// WebSocket heartbeat interval.
    public static let apiHeartbeatSeconds = SettingKey(
        "API_WS_HEARTBEAT_SECONDS", default: "30", "seconds between WebSocket heartbeat frames")
    /// Frames buffered per WebSocket client.
    public static let apiStreamBufferSize = SettingKey(
        "API_WS_BUFFER_SIZE", default: "1000", "frames buffered per WebSocket client before it is closed as slow")
    /// Node cap of a causation walk.
    public static let apiMaxCausationNodes = SettingKey(
        "API_MAX_CAUSATION_NODES", default: "10000", "node cap of a descendants/ancestors answer")
    /// Largest request head the API reads.
    public static let apiMaxHeadBytes = SettingKey(
        "API_MAX_HEAD_BYTES", default: "32768",
        "most bytes of a request's line and headers (beyond: 431 and the connection closed)")
    /// Most header fields of a request.
    public static let apiMaxHeaderCount = SettingKey(
        "API_MAX_HEADER_COUNT", default: "100",
        "most header fields of a request (beyond: 431 and the connection closed)")
    /// The API's base URL as clients reach it.
    public static let apiURL = SettingKey(
        "CANDYSTORE_API_URL", default: "",
        "Event Store API base URL for bb and health checks (empty: http://API_HOST:API_PORT)", reader: .shared)

    // MARK: Letta

    /// Port of the local Letta server.
    public static let lettaPort = SettingKey(
        "LETTA_PORT", default: "8283", "port of the local Letta server", reader: .scripts)
    /// Letta server URL.
    public static let lettaServerURL = SettingKey(
        "LETTA_SERVER_URL", default: "http://127.0.0.1:8283", "Letta server the bridge talks to")
    /// Bearer token for Letta.
    public static let lettaToken = SettingKey(
        "LETTA_TOKEN", default: "", "bearer token of a Letta server that requires one", redaction: .whole)
    /// Port of the offline model stub.
    public static let modelStubPort = SettingKey(
        "MODEL_STUB_PORT", default: "8299", "port of the offline model stub (tools/model-stub)", reader: .scripts)
    /// Model of new agents.
    public static let lettaModel = SettingKey("LETTA_MODEL", default: "stub-model", "model of new agents")
    /// Model endpoint type.
    public static let lettaModelEndpointType = SettingKey(
        "LETTA_MODEL_ENDPOINT_TYPE", default: "openai", "model endpoint type")
    /// Model endpoint.
    public static let lettaModelEndpoint = SettingKey(
        "LETTA_MODEL_ENDPOINT", default: "http://127.0.0.1:8299/v1", "model endpoint")
    /// Model handle (Letta's `provider/model`).
    public static let lettaModelHandle = SettingKey(
        "LETTA_MODEL_HANDLE", default: "", "model handle (provider/model; empty: none)")
    /// Context window of the model.
    public static let lettaModelContextWindow = SettingKey(
        "LETTA_MODEL_CONTEXT_WINDOW", default: "32000", "context window of the model (tokens)")
    /// Embedding model.
    public static let lettaEmbeddingModel = SettingKey(
        "LETTA_EMBEDDING_MODEL", default: "stub-embedding", "embedding model of new agents")
    /// Embedding endpoint type.
    public static let lettaEmbeddingEndpointType = SettingKey(
        "LETTA_EMBEDDING_ENDPOINT_TYPE", default: "openai", "embedding endpoint type")
    /// Embedding endpoint.
    public static let lettaEmbeddingEndpoint = SettingKey(
        "LETTA_EMBEDDING_ENDPOINT", default: "http://127.0.0.1:8299/v1", "embedding endpoint")
    /// Embedding handle.
    public static let lettaEmbeddingHandle = SettingKey(
        "LETTA_EMBEDDING_HANDLE", default: "", "embedding handle (empty: none)")
    /// Embedding dimensions.
    public static let lettaEmbeddingDimensions = SettingKey(
        "LETTA_EMBEDDING_DIM", default: "1536", "embedding dimensions")
    /// Embedding chunk size.
    public static let lettaEmbeddingChunkSize = SettingKey(
        "LETTA_EMBEDDING_CHUNK_SIZE", default: "300", "embedding chunk size")
    /// Deadline of ordinary Letta calls.
    public static let lettaRequestTimeout = SettingKey(
        "LETTA_REQUEST_TIMEOUT_SECONDS", default: "30", "seconds for ordinary Letta calls")
    /// Deadline of one agent turn.
    public static let lettaMessageTimeout = SettingKey(
        "LETTA_MESSAGE_TIMEOUT_SECONDS", default: "300", "seconds for a whole agent turn")

    // MARK: Letta bridge

    /// Bind address of the bridge's `/health` and `/metrics`.
    public static let bridgeHost = SettingKey(
        "LETTA_BRIDGE_HOST", default: "127.0.0.1", "bind address of the bridge's /health and /metrics")
    /// Port of the bridge's `/health` and `/metrics`.
    public static let bridgePort = SettingKey(
        "LETTA_BRIDGE_PORT", default: "9465", "port of the bridge's /health and /metrics")
    /// Handoffs handled at once.
    public static let bridgeConcurrency = SettingKey(
        "LETTA_BRIDGE_CONCURRENCY", default: "4", "handoffs handled at once")
    /// Attempts before a handoff is reported blocked.
    public static let bridgeMaxAttempts = SettingKey(
        "LETTA_BRIDGE_MAX_ATTEMPTS", default: "8", "attempts to reach Letta before a handoff is blocked")
    /// Longest pause between attempts.
    public static let bridgeRetryMaxSeconds = SettingKey(
        "LETTA_BRIDGE_RETRY_MAX_SECONDS", default: "15", "longest pause between attempts (seconds)")
    /// A turn without progress this long ends the handoff blocked (stalled).
    public static let bridgeStallSeconds = SettingKey(
        "LETTA_BRIDGE_STALL_SECONDS", default: "600",
        "seconds without progress from the agent before a handoff ends blocked (stalled)")
    /// How long a recovery waits for a turn started before a crash.
    public static let bridgeResumeGraceSeconds = SettingKey(
        "LETTA_BRIDGE_RESUME_GRACE_SECONDS", default: "30",
        "seconds a recovery waits for the reply of a turn started before the crash, then asks again")
    /// Per-handoff agents or one long-lived agent per name.
    public static let bridgeAgentMode = SettingKey(
        "LETTA_BRIDGE_AGENT_MODE", default: "per-handoff",
        "per-handoff (a new agent per handoff) or per-name (one long-lived agent per to_agent)")
    /// Test affordance: the bridge kills itself at this point.
    public static let bridgeFaultPoint = SettingKey(
        "LETTA_BRIDGE_FAULT_POINT", default: "",
        "tests only: stage[:n] at which the bridge SIGKILLs itself (before-accept, after-accept, during-turn, "
            + "after-outcome)", inExampleFile: false)

    // MARK: Publishing identity

    /// `source.app` of published envelopes.
    public static let sourceApp = SettingKey(
        "BLOODBANK_SOURCE_APP", default: "bb", "source.app of envelopes bb publishes", reader: .client)
    /// `source.type` of published envelopes.
    public static let sourceType = SettingKey(
        "BLOODBANK_SOURCE_TYPE", default: "manual", "source.type of envelopes bb publishes", reader: .client)
    /// `source.host` of published envelopes.
    public static let sourceHost = SettingKey(
        "BLOODBANK_SOURCE_HOST", default: "", "source.host of published envelopes (empty: the host name)",
        reader: .shared)

    // MARK: Logging

    /// Log level.
    public static let logLevel = SettingKey(
        "LOG_LEVEL", default: "info", "trace, debug, info, notice, warning, error or critical", reader: .shared)

    // MARK: Local stack internals (scripts)

    /// Erlang node name of the local RabbitMQ.
    public static let rabbitMQNodeName = SettingKey(
        "RABBITMQ_NODENAME", default: "rabbit@localhost", "Erlang node name of the local RabbitMQ",
        reader: .scripts)
    /// Data folder of the local stack.
    public static let devDirectory = SettingKey(
        "CANDYSTORE_DEV_DIR", default: "", "data folder of the local stack (default .dev)", reader: .scripts,
        inExampleFile: false)
    /// Leave Letta out of `scripts/dev up`.
    public static let skipLetta = SettingKey(
        "CANDYSTORE_SKIP_LETTA", default: "", "1: scripts/dev up leaves Letta out", reader: .scripts,
        inExampleFile: false)
    /// Leave the services out of `scripts/dev up`.
    public static let skipServices = SettingKey(
        "CANDYSTORE_SKIP_SERVICES", default: "", "1: scripts/dev up starts no Candystore service",
        reader: .scripts, inExampleFile: false)

    /// Every known setting, in `.env.example` order.
    public static let all: [SettingKey] = [
        envFile,
        postgresPort, postgresUser, postgresPassword, postgresDatabase, databaseURL, databasePoolSize,
        migrationsDirectory,
        rabbitMQPort, rabbitMQManagementPort, rabbitMQUser, rabbitMQPassword, rabbitMQURL, rabbitMQManagementURL,
        rabbitMQAdminUser, rabbitMQAdminPassword,
        bloodbankExchange, bloodbankDeadLetterExchange, bloodbankQueuePrefix,
        redisPort, redisPassword, redisURL, redisStreamChannel,
        maxEventBytes, maxReasonBytes,
        managerHost, managerPort, managerPrefetch, managerBatchSize, managerBatchMaxWait,
        apiHost, apiPort, apiToken, apiCORSOrigins, apiHeartbeatSeconds, apiStreamBufferSize, apiMaxCausationNodes,
        apiMaxHeadBytes, apiMaxHeaderCount, apiURL,
        lettaPort, lettaServerURL, lettaToken, modelStubPort, lettaModel, lettaModelEndpointType, lettaModelEndpoint,
        lettaModelHandle, lettaModelContextWindow, lettaEmbeddingModel, lettaEmbeddingEndpointType,
        lettaEmbeddingEndpoint, lettaEmbeddingHandle, lettaEmbeddingDimensions, lettaEmbeddingChunkSize,
        lettaRequestTimeout, lettaMessageTimeout,
        bridgeHost, bridgePort, bridgeConcurrency, bridgeMaxAttempts, bridgeRetryMaxSeconds, bridgeStallSeconds,
        bridgeResumeGraceSeconds, bridgeAgentMode, bridgeFaultPoint,
        sourceApp, sourceType, sourceHost,
        logLevel,
        rabbitMQNodeName, devDirectory, skipLetta, skipServices,
    ]

    /// Name prefixes only Candystore uses: an unknown variable with one of them is a typo, wherever it is set.
    public static let ownPrefixes = ["CANDYSTORE_", "MANAGER_", "API_", "LETTA_BRIDGE_", "BLOODBANK_"]
}
