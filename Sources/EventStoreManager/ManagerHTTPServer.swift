import Foundation
import Hummingbird
import Logging

/// The manager's tiny HTTP surface: `GET /health` (JSON; 503 when unhealthy) and `GET /metrics` (Prometheus).
public enum ManagerHTTPServer {
    /// What `/health` reports: whether the process is healthy and a JSON body.
    public typealias HealthProbe = @Sendable () async -> (healthy: Bool, body: [String: any Sendable])

    /// Builds the Hummingbird application (a `Service`) bound to `host:port`.
    public static func application(
        host: String,
        port: Int,
        health: @escaping HealthProbe,
        metrics: @escaping @Sendable () -> String,
        logger: Logger
    ) -> some ApplicationProtocol {
        let router = Router()
        router.get("/health") { _, _ -> Response in
            let (healthy, body) = await health()
            let data = (try? JSONSerialization.data(withJSONObject: body, options: [.sortedKeys])) ?? Data("{}".utf8)
            return Response(
                status: healthy ? .ok : .serviceUnavailable,
                headers: [.contentType: "application/json"],
                body: .init(byteBuffer: ByteBuffer(bytes: data)))
        }
        router.get("/metrics") { _, _ -> Response in
            Response(
                status: .ok,
                headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                body: .init(byteBuffer: ByteBuffer(string: metrics())))
        }
        return Application(
            router: router,
            configuration: .init(address: .hostname(host, port: port), serverName: "candystore-manager"),
            logger: logger)
    }
}
