import CandystoreApp
import CandystoreConfig
import CandystoreOps
import EventStore
import Foundation
import LettaClient
import Logging
import PostgresNIO

/// Configuration for integration tests: the same `.env` + environment the binaries read (run from the
/// package root, as `swift test` does). Servers must be running (`scripts/dev up`); tests fail otherwise.
enum IntegrationEnvironment {
    /// The settings the binaries would read here.
    static let settings: Settings = {
        do {
            return try Settings.load()
        } catch {
            fatalError("integration test settings are invalid: \(error)")
        }
    }()

    /// The shared configuration, built by the composition root as the binaries build it.
    static let configuration: CandystoreConfiguration = {
        do {
            return try CandystoreConfiguration(settings: settings)
        } catch {
            fatalError("integration test configuration is invalid: \(error)")
        }
    }()

    /// The `.env` Letta configuration (the local server), built as the bridge builds it.
    static func lettaConfiguration() throws -> LettaClient.Configuration {
        try LettaClient.Configuration(settings: settings)
    }

    static let logger = Logger(label: "candystore.tests")

    /// The repository's migrations directory.
    static let migrationsDirectory = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("migrations")

    /// Creates an empty scratch database, runs `body` against it and drops it afterwards.
    static func withScratchDatabase<T: Sendable>(
        _ body: (DatabaseConfiguration) async throws -> T
    ) async throws -> T {
        let name =
            "candystore_test_\(UUID().uuidString.replacingOccurrences(of: "-", with: "").prefix(12).lowercased())"
        let admin = configuration.database.with(database: "postgres")
        _ = try await admin.withConnection(logger: logger) { connection in
            try await connection.query(PostgresQuery(unsafeSQL: "CREATE DATABASE \(name)"), logger: logger)
        }
        do {
            let result = try await body(configuration.database.with(database: name))
            try await drop(name, admin: admin)
            return result
        } catch {
            try? await drop(name, admin: admin)
            throw error
        }
    }

    private static func drop(_ name: String, admin: DatabaseConfiguration) async throws {
        // A plain DROP first: FORCE needs to signal other sessions, which the (non-superuser) owner may not do to
        // an autovacuum worker (42501). Retry a few times, then fall back to FORCE.
        var lastError: (any Error)?
        for attempt in 0..<10 {
            do {
                _ = try await admin.withConnection(logger: logger) { connection in
                    try await connection.query(
                        PostgresQuery(
                            unsafeSQL: "DROP DATABASE IF EXISTS \(name)\(attempt >= 5 ? " WITH (FORCE)" : "")"),
                        logger: logger)
                }
                return
            } catch {
                lastError = error
                try await Task.sleep(for: .milliseconds(200))
            }
        }
        if let lastError { throw lastError }
    }

    /// Runs one query and returns its rows (test convenience).
    static func rows(_ sql: String, in database: DatabaseConfiguration) async throws -> [PostgresRow] {
        try await database.withConnection(logger: logger) { connection in
            try await connection.query(PostgresQuery(unsafeSQL: sql), logger: logger).collect()
        }
    }
}
