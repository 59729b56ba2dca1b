import CandystoreApp
import CandystoreConfig
import CandystoreOps
import CandystoreTestSupport
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
    static let migrationsDirectory = ScratchDatabase.migrationsDirectory

    /// Creates an empty scratch database on the configured server, runs `body` against it and drops it afterwards
    /// (`ScratchDatabase`: name unique per test, a drop that survives autovacuum).
    static func withScratchDatabase<T: Sendable>(
        test: String = #function,
        _ body: (DatabaseConfiguration) async throws -> T
    ) async throws -> T {
        try await ScratchDatabase.with(server: configuration.database, logger: logger, test: test, body)
    }

    /// Runs one query and returns its rows (test convenience).
    static func rows(_ sql: String, in database: DatabaseConfiguration) async throws -> [PostgresRow] {
        try await database.withConnection(logger: logger) { connection in
            try await connection.query(PostgresQuery(unsafeSQL: sql), logger: logger).collect()
        }
    }
}
