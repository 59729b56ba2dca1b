package import EventStore
package import Foundation
package import Logging
import PostgresNIO

/// Scratch databases for integration tests, shared by every test target: created empty (or migrated), handed to
/// the test, dropped afterwards. The server comes from the caller (`TestDatabase.server` reads `DATABASE_URL`,
/// the integration tests read `.env`); tests fail when it is unreachable.
package enum ScratchDatabase {
    /// Which migrations a scratch database gets before the test runs.
    package enum Migrations: Sendable {
        /// None: an empty database (migration tests bring their own).
        case none
        /// Every migration in `migrations/`.
        case all
        /// Only these versions (modules that need part of the schema).
        case only(Set<Int64>)
    }

    /// The repository's migrations directory.
    package static let migrationsDirectory = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("migrations")

    /// A database name unique per test and run: `candystore_test_<12 random hex>_<test name>`, lower case,
    /// at most 63 bytes (PostgreSQL's limit), only `[a-z0-9_]`, so it needs no quoting and a leftover names its test.
    package static func name(for test: String) -> String {
        let random = UUID().uuidString.replacingOccurrences(of: "-", with: "").prefix(12).lowercased()
        let slug = String(
            test.prefix { $0 != "(" }.lowercased().map { $0.isASCII && ($0.isLetter || $0.isNumber) ? $0 : "_" })
        return String("candystore_test_\(random)_\(slug)".prefix(63))
    }

    /// Creates a scratch database on `server`, migrates it as asked, runs `body` with its configuration and drops
    /// it again, also when `body` throws. `test` (the calling function by default) goes into the name.
    package static func with<T: Sendable>(
        server: DatabaseConfiguration,
        migrations: Migrations = .none,
        logger: Logger,
        test: String = #function,
        _ body: (DatabaseConfiguration) async throws -> T
    ) async throws -> T {
        let name = name(for: test)
        let admin = server.with(database: "postgres")
        _ = try await admin.withConnection(logger: logger) { connection in
            try await connection.query(PostgresQuery(unsafeSQL: "CREATE DATABASE \(name)"), logger: logger)
        }
        let database = server.with(database: name)
        let result: T
        do {
            try await migrate(database, migrations, logger: logger)
            result = try await body(database)
        } catch {
            try? await drop(name, admin: admin, logger: logger)
            throw error
        }
        try await drop(name, admin: admin, logger: logger)
        return result
    }

    private static func migrate(_ database: DatabaseConfiguration, _ migrations: Migrations, logger: Logger)
        async throws
    {
        let selected: [Migration]
        switch migrations {
        case .none: return
        case .all: selected = try Migration.load(from: migrationsDirectory)
        case .only(let versions):
            selected = try Migration.load(from: migrationsDirectory).filter { versions.contains($0.version) }
        }
        _ = try await MigrationRunner(database: database, migrations: selected, logger: logger).up()
    }

    /// Drops `name`. A plain `DROP DATABASE` first: it stops an autovacuum worker in the database by itself,
    /// whereas `WITH (FORCE)` refuses (42501) to terminate one, since the worker is not the owner's session.
    /// Only when sessions of the test's own pools are still connected (55006, "being accessed by other users")
    /// does it use `FORCE`, which may terminate those; an autovacuum worker arriving in between makes it retry.
    static func drop(_ name: String, admin: DatabaseConfiguration, logger: Logger) async throws {
        var force = false
        for attempt in 1...10 {
            do {
                _ = try await admin.withConnection(logger: logger) { connection in
                    try await connection.query(
                        PostgresQuery(unsafeSQL: "DROP DATABASE IF EXISTS \(name)\(force ? " WITH (FORCE)" : "")"),
                        logger: logger)
                }
                return
            } catch let error as PSQLError where attempt < 10 {
                // 55006 object_in_use: our own sessions are still there, FORCE may end them next time.
                // Anything else (42501 from FORCE meeting an autovacuum worker): plain DROP again.
                force = error.serverInfo?[.sqlState] == "55006"
                try await Task.sleep(for: .milliseconds(100))
            }
        }
    }
}
