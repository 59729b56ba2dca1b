public import BloodbankModel
import Foundation
public import Logging
public import PostgresNIO

/// Writes batches of validated Bloodbank events to the store: one transaction per batch that inserts the new
/// events with gapless commit-ordered positions and updates the read models (`workflow_state`,
/// `agent_sessions`).
///
/// Guarantees (docs/event-store-writer.md):
/// - **Gapless positions in commit order**: every inserter holds the transaction-scoped advisory lock
///   ``positionLockKey`` and assigns `max(position)+1…`, so a reader that has seen position N has seen every
///   event up to N once the writer commits.
/// - **Idempotent on `event_id`**: a redelivered event is reported as a duplicate (or a conflict when its body
///   differs; the first body stays). Retrying a whole batch after an ambiguous commit is therefore safe.
/// - **Poison isolation**: when the database rejects data (SQLSTATE class 22, 23514, 54000) the batch is
///   retried event by event under savepoints; the good events are stored, the bad ones come back in
///   ``WriteOutcome/rejected``.
/// - **Projections never block persistence**: they run under a savepoint; a failure is logged and counted.
/// - Transient failures throw ``EventStoreError`` with ``EventStoreError/isTransient`` set; nothing of the
///   batch is committed (or, after an ambiguous `COMMIT`, all of it was and a retry reports duplicates).
public struct EventWriter: Sendable {
    /// The transaction-scoped advisory lock every `events` inserter takes before assigning positions.
    public static let positionLockKey: Int64 = 7_526_466_426_241_529_460

    /// The connection pool (created and run by the caller).
    public let client: PostgresClient
    /// Where failures and isolated events are logged.
    public let logger: Logger

    /// Creates a writer over a running pool.
    public init(client: PostgresClient, logger: Logger = Logger(label: "candystore.event-writer")) {
        self.client = client
        self.logger = logger
    }

    /// Stores a batch in one transaction and updates the read models in the same transaction.
    ///
    /// - Returns: what happened to every event; ``WriteOutcome/stored`` is in position order.
    /// - Throws: ``EventStoreError``: ``EventStoreError/Code/databaseUnavailable`` (transient, retry the batch)
    ///   or ``EventStoreError/Code/writeFailed`` (not worth retrying).
    public func write(_ events: [ValidatedEvent]) async throws -> WriteOutcome {
        try await write(encoded: events.map(EncodedEvent.init))
    }

    /// Stores a batch of already serialised events (see ``write(_:)``); the manager serialises each event once
    /// and announces the stored ones from the same bytes (``EncodedEvent/storedJSON(position:)``).
    public func write(encoded events: [EncodedEvent]) async throws -> WriteOutcome {
        let batch = WriteBatch(encoded: events)
        guard !batch.unique.isEmpty else { return WriteOutcome() }
        do {
            return try await client.withConnection { connection in
                let transaction = WriteTransaction(batch: batch, connection: connection, logger: logger)
                do {
                    return try await transaction.run(isolatingEvents: false)
                } catch let error as PoisonBatch {
                    logger.warning(
                        "the database rejected data in a batch; retrying it event by event",
                        metadata: ["events": "\(batch.unique.count)", "reason": "\(error.reason)"])
                    return try await transaction.run(isolatingEvents: true)
                }
            }
        } catch {
            throw EventStoreError.wrapping(error, while: "writing a batch of \(events.count) events")
        }
    }
}

extension PostgresConnection {
    /// Ends a failed transaction so the pool never gets back a connection inside one (it would still hold the
    /// writers' advisory lock): `ROLLBACK`, or close the connection when that is impossible or fails. After a
    /// FATAL error no `ROLLBACK` is sent at all: the server already discarded the transaction, and postgres-nio
    /// 1.33 can wait forever on a query issued after a FATAL error.
    func rollbackOrClose(after error: any Error, logger: Logger) async {
        if !DatabaseErrorKind.connectionIsLost(error) {
            do {
                try await query("ROLLBACK", logger: logger)
                return
            } catch {
                logger.warning("ROLLBACK failed; closing the connection", metadata: ["error": "\(error)"])
            }
        }
        try? await close()
    }
}

/// Thrown inside the fast path when the database rejects data, to restart the batch in isolating mode.
struct PoisonBatch: Error {
    var reason: String
}

/// One attempt at writing a batch on one connection.
private struct WriteTransaction {
    let batch: WriteBatch
    let connection: PostgresConnection
    let logger: Logger

    /// Runs the whole transaction; on any error it is rolled back before the error propagates.
    func run(isolatingEvents: Bool) async throws -> WriteOutcome {
        try await execute("BEGIN ISOLATION LEVEL READ COMMITTED")
        do {
            let outcome = try await body(isolatingEvents: isolatingEvents)
            try await execute("COMMIT")
            return outcome
        } catch {
            await connection.rollbackOrClose(after: error, logger: logger)
            throw error
        }
    }

    private func body(isolatingEvents: Bool) async throws -> WriteOutcome {
        // A statement of its own: later statements take their snapshot after the lock is granted, so they see
        // every event committed by the previous holder.
        try await execute("SELECT pg_advisory_xact_lock(\(EventWriter.positionLockKey))")
        let workflowIDs = batch.resolveWorkflowIDs(storedParents: try await storedWorkflowIDs(batch.parentIDsToLookUp))
        let columns = batch.unique.map { $0.columns(workflowID: workflowIDs[$0.envelope.eventID]) }

        var outcome = WriteOutcome()
        var positions: [UUID: Int64] = [:]
        var rejectedReasons: [UUID: String] = [:]
        if isolatingEvents {
            for row in columns {
                try await execute("SAVEPOINT candystore_event")
                do {
                    for (id, position) in try await insert([row]) { positions[id] = position }
                    try await execute("RELEASE SAVEPOINT candystore_event")
                } catch {
                    guard case .poison(let reason) = DatabaseErrorKind.classify(error) else { throw error }
                    try await execute("ROLLBACK TO SAVEPOINT candystore_event")
                    logger.error(
                        "the database rejected an event",
                        metadata: ["event_id": "\(row.eventID)", "reason": "\(reason)"])
                    rejectedReasons[row.eventID] = reason
                }
            }
        } else {
            do {
                for (id, position) in try await insert(columns) { positions[id] = position }
            } catch {
                if case .poison(let reason) = DatabaseErrorKind.classify(error) { throw PoisonBatch(reason: reason) }
                throw error
            }
        }

        var alreadyStored: [EncodedEvent] = []
        for event in batch.unique {
            let id = event.envelope.eventID
            if let position = positions[id] {
                outcome.stored.append(
                    StoredEvent(position: position, envelope: event.envelope, workflowID: workflowIDs[id]))
            } else if let reason = rejectedReasons[id] {
                outcome.rejected.append((id, reason))
            } else {
                alreadyStored.append(event)
            }
        }
        outcome.stored.sort { $0.position < $1.position }
        for event in batch.repeats {
            if let reason = rejectedReasons[event.envelope.eventID] {
                outcome.rejected.append((event.envelope.eventID, reason))
            } else {
                alreadyStored.append(event)
            }
        }
        let sameBody = try await compareWithStored(alreadyStored, isolatingEvents: isolatingEvents)
        for (event, same) in zip(alreadyStored, sameBody) {
            if same {
                outcome.duplicates.append(event.envelope.eventID)
            } else {
                outcome.conflicts.append(event.envelope.eventID)
            }
        }
        if !outcome.conflicts.isEmpty {
            logger.warning(
                "events redelivered with a different body; the first stored body stays",
                metadata: ["event_ids": "\(outcome.conflicts.map(BloodbankUUID.format))"])
        }
        outcome.projectionFailures = try await ProjectionRunner(connection: connection, logger: logger)
            .project(outcome.stored)
        return outcome
    }

    /// The stored `workflow_id` of each of `ids` that has one.
    private func storedWorkflowIDs(_ ids: [UUID]) async throws -> [UUID: UUID] {
        guard !ids.isEmpty else { return [:] }
        var binds = PostgresBindings()
        binds.append(ids)
        let rows = try await connection.query(
            PostgresQuery(
                unsafeSQL: """
                    SELECT event_id, workflow_id FROM events
                    WHERE event_id = ANY($1::uuid[]) AND workflow_id IS NOT NULL
                    """,
                binds: binds),
            logger: logger)
        var result: [UUID: UUID] = [:]
        for try await (id, workflowID) in rows.decode((UUID, UUID).self) { result[id] = workflowID }
        return result
    }

    /// Inserts the rows whose id is not stored yet, at positions `max+1…` in row order; returns their positions.
    private func insert(_ rows: [EventColumns]) async throws -> [(UUID, Int64)] {
        let binds = Self.bindings(rows, includeWorkflow: true)
        let rows = try await connection.query(PostgresQuery(unsafeSQL: Self.insertSQL, binds: binds), logger: logger)
        var result: [(UUID, Int64)] = []
        for try await (id, position) in rows.decode((UUID, Int64).self) { result.append((id, position)) }
        return result
    }

    /// Whether each already-stored event's body equals the stored one (by index in `events`), compared as
    /// values (`jsonb`, `uuid[]`, `timestamptz`), never as text. A body the database cannot even parse counts
    /// as different.
    private func compareWithStored(_ events: [EncodedEvent], isolatingEvents: Bool) async throws -> [Bool] {
        guard !events.isEmpty else { return [] }
        let rows = events.map(\.columns)
        if !isolatingEvents {
            do {
                return try await compare(rows)
            } catch {
                if case .poison(let reason) = DatabaseErrorKind.classify(error) { throw PoisonBatch(reason: reason) }
                throw error
            }
        }
        var result: [Bool] = []
        for row in rows {
            try await execute("SAVEPOINT candystore_compare")
            do {
                result.append(contentsOf: try await compare([row]))
                try await execute("RELEASE SAVEPOINT candystore_compare")
            } catch {
                guard case .poison = DatabaseErrorKind.classify(error) else { throw error }
                try await execute("ROLLBACK TO SAVEPOINT candystore_compare")
                result.append(false)
            }
        }
        return result
    }

    /// One flag per row, in row order (ids may repeat); `false` when the id is not stored at all.
    private func compare(_ rows: [EventColumns]) async throws -> [Bool] {
        let binds = Self.bindings(rows, includeWorkflow: false)
        let result = try await connection.query(PostgresQuery(unsafeSQL: Self.compareSQL, binds: binds), logger: logger)
        var same = [Bool](repeating: false, count: rows.count)
        for try await (ordinal, equal) in result.decode((Int64, Bool).self) { same[Int(ordinal) - 1] = equal }
        return same
    }

    private func execute(_ sql: String) async throws {
        try await connection.query(PostgresQuery(unsafeSQL: sql), logger: logger)
    }

    // MARK: SQL

    /// `$1…$9` (+ `$10` workflow ids): one array per column, one element per event.
    static func bindings(_ rows: [EventColumns], includeWorkflow: Bool) -> PostgresBindings {
        var binds = PostgresBindings(capacity: 10)
        binds.append(rows.map(\.eventID))
        binds.append(rows.map(\.eventType))
        binds.append(rows.map(\.timestamp))
        binds.append(rows.map(\.version))
        binds.append(rows.map(\.source))
        binds.append(rows.map(\.sourceRaw))
        binds.append(rows.map(\.correlationIDs))
        binds.append(rows.map(\.agentContext))
        binds.append(rows.map(\.payload))
        if includeWorkflow { binds.append(rows.map(\.workflowID)) }
        return binds
    }

    private static let unnestColumns = """
        unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[],
               $9::text[]
        """

    /// Positions are numbered after the `NOT EXISTS` filter (window functions run after `WHERE`), so skipped
    /// duplicates leave no gap. Safe without `ON CONFLICT` because every inserter holds the advisory lock.
    static let insertSQL = """
        INSERT INTO events (event_id, position, event_type, "timestamp", version, source, source_raw,
                            correlation_ids, agent_context, payload, workflow_id)
        SELECT u.id, m.base + row_number() OVER (ORDER BY u.ord), u.type, u.ts::timestamptz, u.ver, u.src::jsonb,
               u.raw::jsonb, u.corr::uuid[], nullif(u.ctx, '')::jsonb, u.payload::jsonb, nullif(u.wf, '')::uuid
        FROM \(unnestColumns), $10::text[]) WITH ORDINALITY
             AS u(id, type, ts, ver, src, raw, corr, ctx, payload, wf, ord)
        CROSS JOIN (SELECT coalesce(max(position), 0) AS base FROM events) AS m
        WHERE NOT EXISTS (SELECT 1 FROM events e WHERE e.event_id = u.id)
        ORDER BY u.ord
        RETURNING event_id, position
        """

    /// The body fields of the idempotency comparison: event_type, timestamp, payload, correlation_ids,
    /// agent_context, source_raw (version and the normalised source follow from them).
    static let compareSQL = """
        SELECT u.ord,
               (e.event_type = u.type AND e."timestamp" = u.ts::timestamptz AND e.payload = u.payload::jsonb
                AND e.correlation_ids = u.corr::uuid[] AND e.source_raw = u.raw::jsonb
                AND e.agent_context IS NOT DISTINCT FROM nullif(u.ctx, '')::jsonb) AS same
        FROM \(unnestColumns)) WITH ORDINALITY AS u(id, type, ts, ver, src, raw, corr, ctx, payload, ord)
        JOIN events e ON e.event_id = u.id
        ORDER BY u.ord
        """
}
