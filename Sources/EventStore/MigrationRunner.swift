import Foundation
public import Logging
import PostgresNIO

/// Applies and rolls back ``Migration``s against one database, recording history in `schema_migrations`.
///
/// Guarantees: a session-level advisory lock serialises runners (a second runner waits up to
/// ``lockTimeout`` and then refuses); each migration runs in its own transaction together with its history
/// row, so a failing migration leaves the database exactly as it was; the runner refuses to do anything
/// while the history is dirty (see ``MigrationPlan/problems(in:)``).
public struct MigrationRunner: Sendable {
    /// Key of the advisory lock that serialises runners ("candy" in ASCII).
    public static let advisoryLockKey: Int64 = 0x63_616e_6479

    /// The database to migrate.
    public var database: DatabaseConfiguration
    /// The migrations on disk, ascending.
    public var migrations: [Migration]
    /// How long to wait for another runner's lock before refusing.
    public var lockTimeout: Duration
    /// Where progress is logged.
    public var logger: Logger

    /// Creates a runner for `migrations` against `database`.
    public init(
        database: DatabaseConfiguration,
        migrations: [Migration],
        lockTimeout: Duration = .seconds(30),
        logger: Logger = Logger(label: "candystore.migrate")
    ) {
        self.database = database
        self.migrations = migrations.sorted { $0.version < $1.version }
        self.lockTimeout = lockTimeout
        self.logger = logger
    }

    /// Applies pending migrations up to `target` (all when nil); returns those applied.
    @discardableResult
    public func up(to target: Int64? = nil) async throws -> [Migration] {
        try await withLockedConnection { connection in
            let statuses = try await checkedStatus(connection)
            let pending = Set(statuses.filter { $0.state == .pending }.map(\.version))
            var applied: [Migration] = []
            for migration in migrations where pending.contains(migration.version) {
                if let target, migration.version > target { break }
                try await apply(migration, direction: .up, on: connection)
                applied.append(migration)
            }
            return applied
        }
    }

    /// Rolls back the `steps` most recently applied migrations; returns those rolled back.
    @discardableResult
    public func down(steps: Int = 1) async throws -> [Migration] {
        try await withLockedConnection { connection in
            let statuses = try await checkedStatus(connection)
            let appliedVersions = statuses.filter { $0.state != .pending }.map(\.version).sorted(by: >)
            let byVersion = Dictionary(uniqueKeysWithValues: migrations.map { ($0.version, $0) })
            var rolledBack: [Migration] = []
            for version in appliedVersions.prefix(max(0, steps)) {
                guard let migration = byVersion[version] else { break }
                try await apply(migration, direction: .down, on: connection)
                rolledBack.append(migration)
            }
            return rolledBack
        }
    }

    /// Rolls back everything and applies everything again (development only: destroys all data).
    public func reset() async throws -> (rolledBack: [Migration], applied: [Migration]) {
        let rolledBack = try await down(steps: Int.max)
        let applied = try await up()
        return (rolledBack, applied)
    }

    /// The state of every migration, and the problems that make the history dirty.
    public func status() async throws -> (statuses: [MigrationStatus], problems: [String]) {
        try await withConnection { connection in
            let history = try await readHistory(connection)
            let statuses = MigrationPlan.status(files: migrations, history: history)
            return (statuses, MigrationPlan.problems(in: statuses))
        }
    }

    // MARK: - Internals

    private enum Direction: String { case up, down }

    private func apply(_ migration: Migration, direction: Direction, on connection: PostgresConnection) async throws {
        let clock = ContinuousClock()
        let started = clock.now
        let script = direction == .up ? migration.upSQL : migration.downSQL
        let statements = SQLScript.statements(in: script)
        logger.info(
            "migrating \(direction.rawValue)",
            metadata: ["version": "\(migration.version)", "name": "\(migration.name)"])
        try await connection.query("BEGIN", logger: logger)
        do {
            for (index, statement) in statements.enumerated() {
                do {
                    try await connection.query(PostgresQuery(unsafeSQL: statement), logger: logger)
                } catch {
                    throw EventStoreError(
                        .migrationFailed,
                        "migration \(migration.version)_\(migration.name) (\(direction.rawValue)) failed at statement "
                            + "\(index + 1) of \(statements.count): \(Self.serverMessage(error))",
                        underlying: error)
                }
            }
            switch direction {
            case .up:
                let elapsed = clock.now - started
                let milliseconds = Int(
                    elapsed.components.seconds * 1000 + elapsed.components.attoseconds / 1_000_000_000_000_000)
                try await connection.query(
                    """
                    INSERT INTO schema_migrations (version, name, checksum, execution_ms)
                    VALUES (\(migration.version), \(migration.name), \(migration.checksum), \(milliseconds))
                    """, logger: logger)
            case .down:
                try await connection.query(
                    "DELETE FROM schema_migrations WHERE version = \(migration.version)", logger: logger)
            }
            try await connection.query("COMMIT", logger: logger)
        } catch {
            _ = try? await connection.query("ROLLBACK", logger: logger)
            throw error
        }
    }

    private func checkedStatus(_ connection: PostgresConnection) async throws -> [MigrationStatus] {
        let statuses = MigrationPlan.status(files: migrations, history: try await readHistory(connection))
        let problems = MigrationPlan.problems(in: statuses)
        guard problems.isEmpty else {
            throw EventStoreError(.dirtyHistory, "migration history is dirty: " + problems.joined(separator: "; "))
        }
        return statuses
    }

    private func readHistory(_ connection: PostgresConnection) async throws -> [AppliedMigration] {
        let exists =
            try await connection.query(
                "SELECT to_regclass('schema_migrations') IS NOT NULL", logger: logger
            ).collect().first?.decode(Bool.self) ?? false
        guard exists else { return [] }
        let rows = try await connection.query(
            "SELECT version, name, checksum, applied_at FROM schema_migrations ORDER BY version", logger: logger)
        var history: [AppliedMigration] = []
        for try await (version, name, checksum, appliedAt) in rows.decode((Int64, String, String, Date).self) {
            history.append(AppliedMigration(version: version, name: name, checksum: checksum, appliedAt: appliedAt))
        }
        return history
    }

    private func withConnection<T: Sendable>(
        _ body: (PostgresConnection) async throws -> T
    ) async throws -> T {
        try await database.withConnection(logger: logger, body)
    }

    private func withLockedConnection<T: Sendable>(
        _ body: (PostgresConnection) async throws -> T
    ) async throws -> T {
        try await withConnection { connection in
            try await acquireLock(connection)
            do {
                try await connection.query(
                    """
                    CREATE TABLE IF NOT EXISTS schema_migrations (
                        version      bigint      PRIMARY KEY,
                        name         text        NOT NULL,
                        checksum     text        NOT NULL,
                        applied_at   timestamptz NOT NULL DEFAULT now(),
                        execution_ms integer     NOT NULL
                    )
                    """, logger: logger)
                let result = try await body(connection)
                _ = try? await connection.query("SELECT pg_advisory_unlock(\(Self.advisoryLockKey))", logger: logger)
                return result
            } catch {
                _ = try? await connection.query("SELECT pg_advisory_unlock(\(Self.advisoryLockKey))", logger: logger)
                throw error
            }
        }
    }

    private func acquireLock(_ connection: PostgresConnection) async throws {
        let clock = ContinuousClock()
        let deadline = clock.now + lockTimeout
        var announced = false
        while true {
            let locked =
                try await connection.query(
                    "SELECT pg_try_advisory_lock(\(Self.advisoryLockKey))", logger: logger
                ).collect().first?.decode(Bool.self) ?? false
            if locked { return }
            if !announced {
                logger.notice("another migration runner holds the lock; waiting up to \(lockTimeout)")
                announced = true
            }
            if clock.now >= deadline {
                throw EventStoreError(
                    .migrationLocked,
                    "another migration runner has held the migration lock for more than \(lockTimeout); refusing to run"
                )
            }
            try await Task.sleep(for: .milliseconds(200))
        }
    }

    /// The server's message for a PostgreSQL error, or the error's description.
    static func serverMessage(_ error: any Error) -> String {
        EventStoreError.serverMessage(error)
    }
}
