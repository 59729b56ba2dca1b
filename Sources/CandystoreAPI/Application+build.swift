import CandystoreOps
import EventStoreQueries
import Foundation
import Hummingbird
import HummingbirdWebSocket
import Logging
import Prometheus
import RedisClient

/// Builds the Event Store API application (REST, WebSocket stream, health, metrics, OpenAPI, docs).
///
/// The result owns its services: the PostgreSQL pool (``EventStoreQueries/EventStoreReader``) and the stream
/// hub (one Redis subscription for the whole process, with a store poller as fallback). Run it with
/// `try await app.runService()`; it shuts down gracefully on SIGINT/SIGTERM.
public func buildApplication(
    configuration: APIConfiguration,
    logger: Logger = Logger(label: "candystore.api")
) async throws -> some ApplicationProtocol {
    try buildApplication(configuration: configuration, healthChecker: nil, logger: logger)
}

/// The same, with an injectable health checker (tests).
func buildApplication(
    configuration: APIConfiguration, healthChecker: HealthChecker?, logger: Logger
) throws -> some ApplicationProtocol {
    let reader = EventStoreReader(database: configuration.candystore.database, logger: logger)
    var redis: RedisClient.Configuration
    do {
        redis = try RedisClient.Configuration(url: configuration.candystore.redisURL)
    } catch {
        throw ConfigurationError("REDIS_URL is invalid: \(error)")
    }
    redis.connection.clientName = configuration.redisClientName
    let hub = EventStreamHub(
        configuration: .init(
            redis: redis, channel: configuration.candystore.redisStreamChannel,
            fallbackPollInterval: configuration.fallbackPollInterval,
            safetyPollInterval: configuration.safetyPollInterval),
        reader: reader, logger: logger)
    let dependencies = APIDependencies(
        reader: reader, hub: hub, health: healthChecker ?? HealthChecker(configuration: configuration.candystore),
        registry: PrometheusCollectorRegistry(), configuration: configuration, logger: logger)
    let router = buildRouter(dependencies: dependencies)
    return Application(
        router: router,
        server: .http1WebSocketUpgrade(webSocketRouter: router),
        configuration: .init(
            address: .hostname(configuration.host, port: configuration.port), serverName: "candystore-api"),
        services: [reader, hub],
        logger: logger
    )
}

func buildRouter(dependencies: APIDependencies) -> Router<BasicWebSocketRequestContext> {
    let router = Router(context: BasicWebSocketRequestContext.self, options: .autoGenerateHeadEndpoints)
    router.add(middleware: MetricsMiddleware(registry: dependencies.registry))
    if !dependencies.configuration.corsOrigins.isEmpty {
        router.add(middleware: CORSListMiddleware(origins: dependencies.configuration.corsOrigins))
    }
    router.add(middleware: ErrorMiddleware())
    router.add(middleware: MethodMiddleware(endpoints: APIEndpoint.all))
    if let token = dependencies.configuration.token {
        router.add(middleware: AuthMiddleware(token: Array(token.utf8)))
    }
    addRoutes(to: router, dependencies: dependencies)
    return router
}
