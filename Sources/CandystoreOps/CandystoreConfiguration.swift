public import Bloodbank
public import BloodbankModel
public import EventStore
public import Foundation

/// Where the servers every role shares are (PostgreSQL, RabbitMQ, Redis) and the Bloodbank topology.
///
/// Built once per process by the composition root (`CandystoreApp`, from `Settings`); the defaults are the local
/// stack's (`.env.example`).
public struct CandystoreConfiguration: Sendable {
    /// PostgreSQL (`DATABASE_URL`, `DATABASE_POOL_SIZE`).
    public var database: DatabaseConfiguration
    /// AMQP URL of the broker (`RABBITMQ_URL`).
    public var rabbitMQURL: String
    /// RabbitMQ management API base URL with credentials (`RABBITMQ_MANAGEMENT_URL`).
    public var rabbitMQManagementURL: String
    /// Redis URL (`REDIS_URL`).
    public var redisURL: String
    /// Redis pub/sub channel for stored events (`REDIS_STREAM_CHANNEL`).
    public var redisStreamChannel: String
    /// Exchanges and queues (`BLOODBANK_EXCHANGE`, `BLOODBANK_DLX`, `BLOODBANK_QUEUE_PREFIX`).
    public var topology: BloodbankTopology
    /// Directory holding the `NNNN_name.{up,down}.sql` files (`MIGRATIONS_DIR`, default `./migrations`).
    public var migrationsDirectory: URL
    /// Log level name (`LOG_LEVEL`).
    public var logLevel: String
    /// Size limits on events and on the reasons written (`MAX_EVENT_BYTES`, `MAX_REASON_BYTES`).
    public var limits: MessageLimits

    /// Creates the configuration from its parts.
    public init(
        database: DatabaseConfiguration, rabbitMQURL: String, rabbitMQManagementURL: String, redisURL: String,
        redisStreamChannel: String, topology: BloodbankTopology, migrationsDirectory: URL, logLevel: String,
        limits: MessageLimits = .default
    ) {
        self.database = database
        self.rabbitMQURL = rabbitMQURL
        self.rabbitMQManagementURL = rabbitMQManagementURL
        self.redisURL = redisURL
        self.redisStreamChannel = redisStreamChannel
        self.topology = topology
        self.migrationsDirectory = migrationsDirectory
        self.logLevel = logLevel
        self.limits = limits
    }

    /// The validator every consumer of the bus uses (Phase 1 catalogue, these limits).
    public var validator: EventValidator { EventValidator(limits: limits) }
}
