import BloodbankModel
public import CandystoreHealth
public import Hummingbird
public import Logging
import ServiceLifecycle
import UnixSignals

/// The small HTTP surface of a role without an API of its own (manager, Letta bridge): `GET /health` (the shared
/// ``CandystoreHealth/HealthReport`` JSON; 503 when degraded) and `GET /metrics` (Prometheus text).
public enum RoleHTTPServer {
    /// Builds the Hummingbird application (a `Service`) bound to `host:port`.
    public static func application(
        name: String,
        host: String,
        port: Int,
        health: @escaping @Sendable () async -> HealthReport,
        metrics: @escaping @Sendable () -> String,
        logger: Logger
    ) -> some ApplicationProtocol {
        let router = Router()
        router.get("/health") { _, _ -> Response in
            let report = await health()
            return Response(
                status: report.healthy ? .ok : .serviceUnavailable,
                headers: [.contentType: "application/json"],
                body: .init(byteBuffer: ByteBuffer(bytes: report.json.encodedBytes())))
        }
        router.get("/metrics") { _, _ -> Response in
            Response(
                status: .ok,
                headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                body: .init(byteBuffer: ByteBuffer(string: metrics())))
        }
        return Application(
            router: router,
            configuration: .init(address: .hostname(host, port: port), serverName: "candystore-\(name)"),
            logger: logger)
    }
}

/// Runs a role's services in one `ServiceGroup` until SIGTERM/SIGINT: started in order, stopped in reverse; when
/// the role's main service ends (or fails), the whole group shuts down gracefully.
func runRole(services: [any Service], isMain: (any Service) -> Bool, logger: Logger) async throws {
    try await ServiceGroup(
        configuration: .init(
            services: services.map { service in
                isMain(service)
                    ? .init(
                        service: service, successTerminationBehavior: .gracefullyShutdownGroup,
                        failureTerminationBehavior: .gracefullyShutdownGroup)
                    : .init(service: service)
            },
            gracefulShutdownSignals: [.sigterm, .sigint],
            logger: logger)
    ).run()
}
