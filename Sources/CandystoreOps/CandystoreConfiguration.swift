import Bloodbank
import EventStore
import Foundation

/// Typed configuration of every Candystore process, built once from ``Settings`` (see `.env.example` for
/// each variable and its default; the defaults are the local stack's).
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

    /// Builds the configuration; throws a ``ConfigurationError`` naming the first bad setting.
    public init(settings: Settings) throws {
        let poolSize = try settings.int("DATABASE_POOL_SIZE", default: 10)
        do {
            database = try DatabaseConfiguration(
                url: settings.string(
                    "DATABASE_URL", default: "postgres://candystore:candystore@127.0.0.1:5435/event_store"),
                poolSize: poolSize)
        } catch let error as EventStoreError {
            throw ConfigurationError(error.message)
        }
        rabbitMQURL = settings.string("RABBITMQ_URL", default: "amqp://candystore:candystore@127.0.0.1:5675/%2F")
        rabbitMQManagementURL = settings.string(
            "RABBITMQ_MANAGEMENT_URL", default: "http://candystore:candystore@127.0.0.1:15675")
        redisURL = settings.string("REDIS_URL", default: "redis://127.0.0.1:6382/0")
        redisStreamChannel = settings.string("REDIS_STREAM_CHANNEL", default: "events:stream")
        topology = BloodbankTopology(
            exchange: settings.string("BLOODBANK_EXCHANGE", default: "bloodbank.events.v1"),
            deadLetterExchange: settings.string("BLOODBANK_DLX", default: "bloodbank.dlx"),
            queuePrefix: settings.string("BLOODBANK_QUEUE_PREFIX", default: ""))
        migrationsDirectory = URL(fileURLWithPath: settings.string("MIGRATIONS_DIR", default: "migrations"))
        logLevel = settings.string("LOG_LEVEL", default: "info")
    }
}
