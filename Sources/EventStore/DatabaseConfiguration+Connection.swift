public import Logging
public import PostgresNIO

extension DatabaseConfiguration {
    /// Runs `body` with a fresh connection that is closed afterwards, whatever happens.
    ///
    /// For short administrative work (migrations, seeding, health); services use a pooled `PostgresClient`.
    public func withConnection<T: Sendable>(
        logger: Logger,
        _ body: (PostgresConnection) async throws -> T
    ) async throws -> T {
        let connection: PostgresConnection
        do {
            connection = try await PostgresConnection.connect(
                configuration: try connectionConfiguration(), id: 1, logger: logger)
        } catch {
            throw EventStoreError(
                .databaseUnavailable, "cannot connect to \(redactedURL): \(MigrationRunner.serverMessage(error))",
                underlying: error)
        }
        do {
            let result = try await body(connection)
            try? await connection.close()
            return result
        } catch {
            try? await connection.close()
            throw error
        }
    }

    /// Executes a multi-statement SQL script in one transaction (e.g. `db/seed.sql`).
    public func executeScript(_ script: String, logger: Logger) async throws {
        try await withConnection(logger: logger) { connection in
            try await connection.query("BEGIN", logger: logger)
            do {
                for statement in SQLScript.statements(in: script) {
                    try await connection.query(PostgresQuery(unsafeSQL: statement), logger: logger)
                }
                try await connection.query("COMMIT", logger: logger)
            } catch {
                _ = try? await connection.query("ROLLBACK", logger: logger)
                throw EventStoreError(
                    .migrationFailed, "script failed: \(MigrationRunner.serverMessage(error))", underlying: error)
            }
        }
    }
}
