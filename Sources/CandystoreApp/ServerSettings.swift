public import AMQPClient
import Bloodbank
public import BloodbankModel
public import CandystoreAPI
public import CandystoreConfig
public import CandystoreOps
import EventStore
public import EventStoreManager
import Foundation
public import LettaBridge
public import LettaClient
public import RedisClient
import Retry

// Typed configuration of every server role, built from `Settings` here and nowhere else. Each builder reads only
// its own variables and names the variable in any error (see docs/configuration.md).

extension CandystoreConfiguration {
    /// The shared servers and topology (`DATABASE_*`, `RABBITMQ_*`, `REDIS_*`, `BLOODBANK_*`, `MIGRATIONS_DIR`).
    public init(settings: Settings) throws(ConfigurationError) {
        let poolSize = try settings.int(.databasePoolSize, in: 1...1000)
        let database: DatabaseConfiguration
        do {
            database = try DatabaseConfiguration(url: settings.string(.databaseURL), poolSize: poolSize)
        } catch let error as EventStoreError {
            throw ConfigurationError(
                error.message + Settings.origin(settings.source(of: .databaseURL)), key: SettingKey.databaseURL.name)
        } catch {
            throw ConfigurationError("DATABASE_URL is invalid: \(error)", key: SettingKey.databaseURL.name)
        }
        let logLevel = settings.string(.logLevel)
        guard Self.logLevels.contains(logLevel) else {
            throw ConfigurationError(
                "LOG_LEVEL must be one of \(Self.logLevels.joined(separator: ", ")), got '\(logLevel)'"
                    + Settings.origin(settings.source(of: .logLevel)), key: SettingKey.logLevel.name)
        }
        self.init(
            database: database,
            rabbitMQURL: settings.string(.rabbitMQURL),
            rabbitMQManagementURL: settings.string(.rabbitMQManagementURL),
            redisURL: settings.string(.redisURL),
            redisStreamChannel: settings.string(.redisStreamChannel),
            topology: BloodbankTopology(
                exchange: settings.string(.bloodbankExchange),
                deadLetterExchange: settings.string(.bloodbankDeadLetterExchange),
                queuePrefix: settings.string(.bloodbankQueuePrefix)),
            migrationsDirectory: URL(fileURLWithPath: settings.string(.migrationsDirectory)),
            logLevel: logLevel,
            limits: MessageLimits(
                maximumEventBytes: try settings.int(.maxEventBytes, in: 1024...(64 << 20)),
                maximumReasonBytes: try settings.int(
                    .maxReasonBytes, in: MessageLimits.minimumReasonBytes...(64 << 10))))
    }

    /// The names `LOG_LEVEL` accepts (swift-log's levels).
    static let logLevels = ["trace", "debug", "info", "notice", "warning", "error", "critical"]

    /// The AMQP connection of a role, named `<connectionName>@<host>` for the management UI.
    public func amqpConfiguration(connectionName: String) throws(ConfigurationError) -> AMQPConfiguration {
        do {
            var configuration = try AMQPConfiguration(url: rabbitMQURL)
            configuration.connectionName = "\(connectionName)@\(ProcessInfo.processInfo.hostName)"
            return configuration
        } catch {
            throw ConfigurationError("RABBITMQ_URL is invalid: \(error)", key: SettingKey.rabbitMQURL.name)
        }
    }

    /// The Redis client configuration (`REDIS_URL`).
    public func redisConfiguration(clientName: String? = nil) throws(ConfigurationError) -> RedisClient.Configuration {
        do {
            var configuration = try RedisClient.Configuration(url: redisURL)
            configuration.connection.clientName = clientName
            return configuration
        } catch {
            throw ConfigurationError("REDIS_URL is invalid: \(error)", key: SettingKey.redisURL.name)
        }
    }
}

/// Where a role's own HTTP endpoint (`/health`, `/metrics`) listens.
public struct HTTPEndpoint: Sendable, Equatable {
    /// Bind address.
    public var host: String
    /// TCP port (0: any free port).
    public var port: Int

    /// Creates an endpoint.
    public init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    /// `http://host:port`.
    public var baseURL: String { "http://\(host):\(port)" }

    /// Reads `hostKey` and `portKey`.
    init(settings: Settings, host hostKey: SettingKey, port portKey: SettingKey) throws(ConfigurationError) {
        self.init(host: settings.string(hostKey), port: try settings.int(portKey, in: 0...65535))
    }
}

extension ManagerConfiguration {
    /// The manager's tuning (`MANAGER_PREFETCH`, `MANAGER_BATCH_SIZE`, `MANAGER_BATCH_MAX_WAIT_MS`).
    public init(settings: Settings, shared: CandystoreConfiguration) throws(ConfigurationError) {
        self.init(topology: shared.topology)
        prefetch = UInt16(try settings.int(.managerPrefetch, in: 1...65535))
        batchSize = try settings.int(.managerBatchSize, in: 1...65535)
        guard batchSize <= Int(prefetch) else {
            throw ConfigurationError(
                "MANAGER_BATCH_SIZE (\(batchSize)) must not exceed MANAGER_PREFETCH (\(prefetch)): a batch waits for "
                    + "deliveries the broker would never send", key: SettingKey.managerBatchSize.name)
        }
        batchMaxWait = .milliseconds(try settings.int(.managerBatchMaxWait, in: 1...60000))
        streamChannel = shared.redisStreamChannel
    }
}

extension APIConfiguration {
    /// The API's settings (`API_*`, `REDIS_STREAM_CHANNEL`).
    public init(settings: Settings) throws(ConfigurationError) {
        self.init(
            host: settings.string(.apiHost),
            port: try settings.int(.apiPort, in: 0...65535),
            token: settings.optionalString(.apiToken),
            corsOrigins: APIConfiguration.origins(settings.optionalString(.apiCORSOrigins)),
            heartbeatInterval: .seconds(try settings.int(.apiHeartbeatSeconds, in: 1...86400)),
            streamBufferSize: try settings.int(.apiStreamBufferSize, in: 1...1_000_000),
            maxCausationNodes: try settings.int(.apiMaxCausationNodes, in: 1...1_000_000),
            streamChannel: settings.string(.redisStreamChannel),
            headLimits: HTTPHeadLimits(
                maximumHeadBytes: try settings.int(.apiMaxHeadBytes, in: 1024...(1 << 20)),
                maximumHeaderCount: try settings.int(.apiMaxHeaderCount, in: 8...10000)))
    }
}

extension LettaBridgeConfiguration {
    /// The bridge's tuning (`LETTA_BRIDGE_CONCURRENCY`, `LETTA_BRIDGE_MAX_ATTEMPTS`, `LETTA_BRIDGE_RETRY_MAX_SECONDS`).
    public init(settings: Settings, shared: CandystoreConfiguration) throws(ConfigurationError) {
        self.init(topology: shared.topology)
        concurrency = try settings.int(.bridgeConcurrency, in: 1...1000)
        maxAttempts = try settings.int(.bridgeMaxAttempts, in: 1...1000)
        retry.maximumDelay = .seconds(try settings.int(.bridgeRetryMaxSeconds, in: 1...3600))
        stallTimeout = .seconds(try settings.int(.bridgeStallSeconds, in: 1...604_800))
        resumeGrace = .seconds(try settings.int(.bridgeResumeGraceSeconds, in: 0...86400))
        let mode = settings.string(.bridgeAgentMode)
        guard let agentMode = AgentMode(rawValue: mode) else {
            throw ConfigurationError(
                "LETTA_BRIDGE_AGENT_MODE: \"\(mode)\" is not per-handoff or per-name"
                    + Settings.origin(settings.source(of: .bridgeAgentMode)),
                key: SettingKey.bridgeAgentMode.name)
        }
        self.agentMode = agentMode
        if let fault = settings.optionalString(.bridgeFaultPoint) {
            guard let point = FaultPoint(parsing: fault) else {
                throw ConfigurationError(
                    "LETTA_BRIDGE_FAULT_POINT: \"\(fault)\" is not stage[:n] with a stage of "
                        + FaultPoint.Stage.allCases.map(\.rawValue).joined(separator: ", ")
                        + Settings.origin(settings.source(of: .bridgeFaultPoint)),
                    key: SettingKey.bridgeFaultPoint.name)
            }
            faultPoint = point
        }
    }
}

extension LettaClient.Configuration {
    /// How to reach Letta and which models new agents get (`LETTA_SERVER_URL`, `LETTA_TOKEN`, `LETTA_MODEL*`,
    /// `LETTA_EMBEDDING*`, `LETTA_*_TIMEOUT_SECONDS`).
    public init(settings: Settings) throws(ConfigurationError) {
        let modelEndpoint = settings.string(.lettaModelEndpoint)
        self.init(
            baseURL: settings.string(.lettaServerURL),
            authorization: settings.optionalString(.lettaToken).map { .bearer($0) },
            requestTimeout: .seconds(try settings.int(.lettaRequestTimeout, in: 1...86400)),
            messageTimeout: .seconds(try settings.int(.lettaMessageTimeout, in: 1...86400)),
            defaultLLMConfig: LettaLLMConfig(
                model: settings.string(.lettaModel),
                modelEndpointType: settings.string(.lettaModelEndpointType),
                modelEndpoint: modelEndpoint,
                contextWindow: try settings.int(.lettaModelContextWindow, in: 1...100_000_000),
                handle: settings.optionalString(.lettaModelHandle)),
            defaultEmbeddingConfig: LettaEmbeddingConfig(
                embeddingEndpointType: settings.string(.lettaEmbeddingEndpointType),
                embeddingEndpoint: settings.optionalString(.lettaEmbeddingEndpoint) ?? modelEndpoint,
                embeddingModel: settings.string(.lettaEmbeddingModel),
                embeddingDim: try settings.int(.lettaEmbeddingDimensions, in: 1...100_000),
                embeddingChunkSize: try settings.int(.lettaEmbeddingChunkSize, in: 1...1_000_000),
                handle: settings.optionalString(.lettaEmbeddingHandle)))
        do {
            try validate()
        } catch {
            throw ConfigurationError(
                "LETTA_SERVER_URL: \(error.message)" + Settings.origin(settings.source(of: .lettaServerURL)),
                key: SettingKey.lettaServerURL.name)
        }
    }
}
