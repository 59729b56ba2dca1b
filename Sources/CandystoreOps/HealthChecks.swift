import AsyncHTTPClient
import Bloodbank
import BloodbankModel
import CandystoreConfig
public import CandystoreHealth
public import EventStore
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import PostgresNIO
import RedisClient

/// The real checks behind every health report: a PostgreSQL query (and the schema version), the Bloodbank
/// exchanges and queues through the RabbitMQ management API, a Redis PING, and another role's `/health`.
extension HealthChecker {
    /// The backing servers of a configuration: postgres, rabbitmq and redis.
    public init(configuration: CandystoreConfiguration, timeout: Duration = .seconds(5)) {
        self.init(checks: Self.serverChecks(configuration), timeout: timeout)
    }

    /// The checks of the three servers every role uses.
    public static func serverChecks(_ configuration: CandystoreConfiguration) -> [(name: String, run: Check)] {
        [
            ("postgres", { try await Self.checkPostgres(configuration.database) }),
            ("rabbitmq", { try await Self.checkRabbitMQ(configuration) }),
            ("redis", { try await Self.checkRedis(configuration.redisURL) }),
        ]
    }

    /// A check that another role answers `GET <baseURL>/health` with 200 and `"status": "ok"`.
    public static func roleCheck(baseURL: String, timeout: Duration = .seconds(3)) -> Check {
        { try await checkRole(baseURL: baseURL, timeout: timeout) }
    }

    /// Asks a role's `/health`; the detail names what it reports as down.
    static func checkRole(baseURL: String, timeout: Duration) async throws -> String {
        let url = baseURL.hasSuffix("/") ? baseURL + "health" : baseURL + "/health"
        var request = HTTPClientRequest(url: url)
        request.method = .GET
        let response: HTTPClientResponse
        let body: ByteBuffer
        do {
            response = try await HTTPClient.shared.execute(request, timeout: .init(timeout))
            body = try await response.body.collect(upTo: 1 << 20)
        } catch {
            throw ConfigurationError("no answer from \(url) (is it running? scripts/service status)")
        }
        let bytes = Array(body.readableBytesView)
        guard let value = try? JSONValue(parsing: bytes), let report = HealthReport(json: value) else {
            throw ConfigurationError("\(url) answered \(response.status.code) without a health report")
        }
        guard response.status == .ok, report.healthy else {
            let down = report.unhealthyNames
            throw ConfigurationError(
                "\(report.role) is degraded"
                    + (down.isEmpty ? " (not running)" : ": " + down.joined(separator: ", ") + " down"))
        }
        return "\(report.role) ok at \(baseURL)"
    }

    /// Connects, runs `SELECT 1` and reads the applied schema version.
    public static func checkPostgres(_ database: DatabaseConfiguration) async throws -> String {
        let logger = Logger(label: "candystore.health")
        do {
            let version = try await database.withConnection(logger: logger) { connection -> Int64? in
                let migrated =
                    try await connection.query(
                        "SELECT to_regclass('schema_migrations') IS NOT NULL", logger: logger
                    ).collect().first?.decode(Bool.self) ?? false
                guard migrated else { return nil }
                return try await connection.query("SELECT max(version) FROM schema_migrations", logger: logger)
                    .collect().first?.decode(Int64?.self)
            }
            guard let version else {
                throw ConfigurationError(
                    "database \(database.database) is reachable but not migrated (run candystore migrate up)")
            }
            return "\(database.host):\(database.port)/\(database.database) schema version \(version)"
        } catch let error as ConfigurationError {
            throw error
        } catch {
            throw ConfigurationError(EventStoreError.serverMessage(error))
        }
    }

    /// Sends PING on a fresh connection.
    public static func checkRedis(_ url: String) async throws -> String {
        var configuration = try RedisConnection.Configuration(url: url)
        configuration.connectTimeout = .seconds(3)
        try await RedisConnection.withConnection(configuration: configuration) { connection in
            try await connection.ping()
        }
        return "\(configuration.host):\(configuration.port) PONG"
    }

    /// Checks through the management API that every Bloodbank exchange and queue exists.
    public static func checkRabbitMQ(_ configuration: CandystoreConfiguration) async throws -> String {
        let client = try RabbitMQManagementClient(url: configuration.rabbitMQManagementURL)
        var missing: [String] = []
        for exchange in configuration.topology.exchanges where try await client.exchange(named: exchange.name) == nil {
            missing.append("exchange \(exchange.name)")
        }
        for queue in configuration.topology.queues where try await client.queue(named: queue.name) == nil {
            missing.append("queue \(queue.name)")
        }
        guard missing.isEmpty else {
            throw ConfigurationError(
                "missing " + missing.joined(separator: ", ") + " (run candystore topology declare)")
        }
        return
            "\(configuration.topology.exchanges.count) exchanges and \(configuration.topology.queues.count) queues present"
    }
}
