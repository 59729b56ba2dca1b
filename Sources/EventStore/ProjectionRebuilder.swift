import BloodbankModel
import Foundation
public import Logging
public import PostgresNIO

/// Recomputes the read models (`workflow_state`, `agent_sessions`) from the event log: the library side of
/// `candystore projections rebuild`.
///
/// It runs the very statements the ``EventWriter`` runs after each batch, over every key, so the result
/// equals the incrementally maintained tables (the projections are functions of the set of events). Use it
/// after fixing a projection bug, after a projection failure was logged, or to adopt a changed projection.
public enum ProjectionRebuilder {
    /// What a rebuild produced.
    public struct Outcome: Sendable, Hashable {
        /// Rows in `workflow_state` after the rebuild.
        public var workflows: Int
        /// Rows in `agent_sessions` after the rebuild.
        public var sessions: Int
        /// Events whose workflow or session could not be projected (logged; those rows are missing).
        public var projectionFailures: Int
        /// Wall-clock duration of the transaction.
        public var duration: Duration
    }

    /// Deletes and recomputes both read models in one transaction.
    ///
    /// Holds the writers' advisory lock (``EventWriter/positionLockKey``) for the duration, so ingestion
    /// pauses while it runs and no event can slip between the recompute and the commit; readers keep seeing
    /// the old rows until the commit.
    ///
    /// - Throws: ``EventStoreError`` (``EventStoreError/isTransient`` when the database was unavailable);
    ///   on error nothing changes.
    public static func rebuild(
        client: PostgresClient,
        logger: Logger = Logger(label: "candystore.projections")
    ) async throws -> Outcome {
        let clock = ContinuousClock()
        let started = clock.now
        do {
            return try await client.withConnection { connection in
                try await connection.query("BEGIN ISOLATION LEVEL READ COMMITTED", logger: logger)
                do {
                    try await connection.query(
                        PostgresQuery(unsafeSQL: "SELECT pg_advisory_xact_lock(\(EventWriter.positionLockKey))"),
                        logger: logger)
                    try await connection.query("DELETE FROM agent_sessions", logger: logger)
                    try await connection.query("DELETE FROM workflow_state", logger: logger)
                    let runner = ProjectionRunner(connection: connection, logger: logger)
                    let failures = try await runner.projectAll { try await allKeys(connection, logger: logger) }
                    let workflows = try await count("workflow_state", connection, logger: logger)
                    let sessions = try await count("agent_sessions", connection, logger: logger)
                    try await connection.query("COMMIT", logger: logger)
                    let outcome = Outcome(
                        workflows: workflows, sessions: sessions, projectionFailures: failures,
                        duration: clock.now - started)
                    logger.info(
                        "projections rebuilt",
                        metadata: [
                            "workflows": "\(workflows)", "sessions": "\(sessions)", "failures": "\(failures)",
                            "duration": "\(outcome.duration)",
                        ])
                    return outcome
                } catch {
                    await connection.rollbackOrClose(after: error, logger: logger)
                    throw error
                }
            }
        } catch {
            throw EventStoreError.wrapping(error, while: "rebuilding projections")
        }
    }

    private static func count(_ table: String, _ connection: PostgresConnection, logger: Logger) async throws -> Int {
        let rows = try await connection.query(
            PostgresQuery(unsafeSQL: "SELECT count(*)::bigint FROM \(table)"), logger: logger
        ).collect()
        return Int(try rows.first?.decode(Int64.self) ?? 0)
    }

    /// Every workflow and session key with its events, for the key-by-key slow path.
    private static func allKeys(_ connection: PostgresConnection, logger: Logger) async throws -> ProjectionKeys {
        var workflows: [UUID: [UUID]] = [:]
        let workflowRows = try await connection.query(
            "SELECT workflow_id, event_id FROM events WHERE workflow_id IS NOT NULL", logger: logger)
        for try await (workflowID, eventID) in workflowRows.decode((UUID, UUID).self) {
            workflows[workflowID, default: []].append(eventID)
        }
        var sessions: [String: [UUID]] = [:]
        let sessionRows = try await connection.query(
            PostgresQuery(
                unsafeSQL: """
                    SELECT payload ->> 'session_id', event_id FROM events
                    WHERE event_type IN \(ProjectionSQL.sessionEventTypes) AND payload ->> 'session_id' IS NOT NULL
                    """), logger: logger)
        for try await (sessionID, eventID) in sessionRows.decode((String, UUID).self) {
            sessions[sessionID, default: []].append(eventID)
        }
        return ProjectionKeys(workflows: workflows, sessions: sessions)
    }
}
