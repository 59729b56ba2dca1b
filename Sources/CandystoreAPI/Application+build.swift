public import CandystoreHealth
public import EventStoreQueries
import Foundation
public import Hummingbird
import HummingbirdWebSocket
public import Logging
public import Prometheus
public import RedisClient
public import ServiceLifecycle

/// The collaborators of the Event Store API, built by the composition root (`CandystoreApp.APIRole`) and handed
/// in: the API builds no pool, client or registry of its own.
public struct APIServices: Sendable {
    /// The read side of the store.
    public var reader: any EventStoreReading
    /// The Redis subscription of the live stream (nil: poll the store only).
    public var redis: RedisClient.Configuration?
    /// The checks behind `/health`.
    public var health: HealthChecker
    /// The registry `/metrics` exports.
    public var registry: PrometheusCollectorRegistry
    /// Services the application runs beside the HTTP server (e.g. the reader's connection pool).
    public var background: [any Service]

    /// Bundles the collaborators.
    public init(
        reader: any EventStoreReading, redis: RedisClient.Configuration?, health: HealthChecker,
        registry: PrometheusCollectorRegistry, background: [any Service]
    ) {
        self.reader = reader
        self.redis = redis
        self.health = health
        self.registry = registry
        self.background = background
    }
}

/// Builds the Event Store API application (REST, WebSocket stream, health, metrics, OpenAPI, docs).
///
/// The result runs `services.background` and the stream hub (one Redis subscription for the whole process,
/// with a store poller as fallback) beside the HTTP server. Run it with `try await app.runService()`; it shuts
/// down gracefully on SIGINT/SIGTERM.
public func buildApplication(
    configuration: APIConfiguration,
    services: APIServices,
    logger: Logger = Logger(label: "candystore.api")
) -> some ApplicationProtocol {
    let hub = EventStreamHub(
        configuration: .init(
            redis: services.redis, channel: configuration.streamChannel,
            fallbackPollInterval: configuration.fallbackPollInterval,
            safetyPollInterval: configuration.safetyPollInterval),
        reader: services.reader, logger: logger)
    let dependencies = APIDependencies(
        reader: services.reader, hub: hub, health: services.health, registry: services.registry,
        configuration: configuration, logger: logger)
    let router = buildRouter(dependencies: dependencies)
    return Application(
        router: router,
        server: GuardedWebSocketChannel.builder(
            router: router, limits: configuration.headLimits, token: configuration.token),
        configuration: .init(
            address: .hostname(configuration.host, port: configuration.port), serverName: "candystore-api"),
        services: services.background + [hub],
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
