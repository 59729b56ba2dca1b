import CandystoreApp
import CandystoreConfig
import CandystoreHealth
import EventStore
import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import RedisClient

@testable import CandystoreAPI

/// Builds API applications against scratch databases and private Redis channels, so parallel test runs (and
/// a running manager publishing on `events:stream`) cannot interfere.
enum TestApplication {
    static let redisURL = ProcessInfo.processInfo.environment["REDIS_URL"] ?? "redis://127.0.0.1:6382/0"

    /// A health checker that answers without touching the network.
    static let fakeHealth = HealthChecker(checks: [
        ("postgres", { "ok" }), ("rabbitmq", { "ok" }), ("redis", { "ok" }),
    ])

    static func configuration(
        database: DatabaseConfiguration, channel: String, overrides: [String: String] = [:]
    ) throws -> APIRole.Configuration {
        var values = ProcessInfo.processInfo.environment
        values["DATABASE_URL"] =
            "postgres://\(database.username):\(database.password ?? "")@\(database.host):\(database.port)/\(database.database)"
        values["DATABASE_POOL_SIZE"] = "4"
        values["REDIS_URL"] = redisURL
        values["REDIS_STREAM_CHANNEL"] = channel
        values["API_HOST"] = "127.0.0.1"
        values["API_PORT"] = "0"
        values["API_TOKEN"] = nil
        values["API_CORS_ORIGINS"] = nil
        for (key, value) in overrides { values[key] = value }
        return try APIRole.Configuration(settings: Settings(values))
    }

    /// A fresh channel name for one test.
    static func channel() -> String { "events:stream:test:\(UUID().uuidString.lowercased())" }

    /// The application the binary runs (`APIRole`), with `health` in place of the real server checks.
    static func build(
        _ configuration: APIRole.Configuration, health: HealthChecker? = fakeHealth, logLevel: Logger.Level = .warning
    ) throws -> some ApplicationProtocol {
        var logger = Logger(label: "candystore.api.tests")
        logger.logLevel = logLevel
        return APIRole.application(configuration: configuration, health: health, logger: logger)
    }

    /// Publishes stored-event JSON on `channel`, in order, the way the manager does after commit.
    static func publish(_ messages: [[UInt8]], channel: String) async throws {
        guard !messages.isEmpty else { return }
        try await RedisConnection.withConnection(configuration: try RedisConnection.Configuration(url: redisURL)) {
            connection in
            _ = try await connection.publish(channel: channel, messages: messages.map { RESPArgument(bytes: $0) })
        }
    }
}
