public import CandystoreAPI
public import CandystoreConfig
public import CandystoreHealth
public import CandystoreOps
import EventStore
import EventStoreQueries
public import Hummingbird
public import Logging
import PostgresNIO
import Prometheus
public import RedisClient

/// The Event Store API role (`candystore api`), wired: the reader's PostgreSQL pool, the stream's Redis
/// subscription, the health checks and the metrics registry, handed to `CandystoreAPI.buildApplication`.
public struct APIRole: Sendable {
    /// Everything the role is built from.
    public struct Configuration: Sendable {
        /// Shared servers and topology.
        public var shared: CandystoreConfiguration
        /// The API's own settings.
        public var api: APIConfiguration
        /// The Redis subscription of the live stream (nil: poll the store only).
        public var redis: RedisClient.Configuration?

        /// Reads the role's settings.
        public init(settings: Settings) throws(ConfigurationError) {
            shared = try CandystoreConfiguration(settings: settings)
            api = try APIConfiguration(settings: settings)
            redis = try shared.redisConfiguration(clientName: "candystore-api-stream")
        }

        /// Creates a configuration from its parts (tests, benchmarks).
        public init(shared: CandystoreConfiguration, api: APIConfiguration, redis: RedisClient.Configuration?) {
            self.shared = shared
            self.api = api
            self.redis = redis
        }
    }

    /// Builds the application (a `Service`; `runService()` runs it with signal handling). `health` replaces the
    /// real server checks (tests).
    public static func application(
        configuration: Configuration, health: HealthChecker? = nil, logger: Logger
    ) -> some ApplicationProtocol {
        let postgres = PostgresClient(
            configuration: EventStoreReader.clientConfiguration(for: configuration.shared.database),
            backgroundLogger: logger)
        let services = APIServices(
            reader: EventStoreReader(client: postgres, logger: logger),
            redis: configuration.redis,
            health: health ?? HealthChecker(configuration: configuration.shared),
            registry: PrometheusCollectorRegistry(),
            background: [PostgresService(client: postgres)])
        return buildApplication(configuration: configuration.api, services: services, logger: logger)
    }
}
