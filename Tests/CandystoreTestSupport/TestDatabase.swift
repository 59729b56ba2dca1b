package import BloodbankModel
package import EventStore
import EventStoreQueries
package import Foundation
package import Logging
import PostgresNIO

/// Scratch databases and fixtures shared by the API and query integration suites (servers from `scripts/dev up`; the suites fail
/// when PostgreSQL is unreachable).
package enum TestDatabase {
    package static let logger: Logger = {
        var logger = Logger(label: "candystore.queries.tests")
        logger.logLevel = .warning
        return logger
    }()

    package static let server: DatabaseConfiguration = {
        let url =
            ProcessInfo.processInfo.environment["DATABASE_URL"]
            ?? "postgres://candystore:candystore@127.0.0.1:5435/event_store"
        do {
            return try DatabaseConfiguration(url: url, poolSize: 4)
        } catch {
            fatalError("DATABASE_URL is invalid: \(error)")
        }
    }()

    /// Creates a migrated scratch database, runs `body` with a running reader, and drops the database.
    package static func withReader<T: Sendable>(
        test: String = #function,
        _ body: @Sendable (EventStoreReader, DatabaseConfiguration) async throws -> T
    ) async throws -> T {
        try await withScratchDatabase(test: test) { database in
            let client = PostgresClient(
                configuration: EventStoreReader.clientConfiguration(for: database), backgroundLogger: logger)
            let reader = EventStoreReader(client: client, logger: logger)
            return try await withThrowingTaskGroup(of: T?.self) { group in
                group.addTask {
                    await client.run()
                    return nil
                }
                do {
                    let result = try await body(reader, database)
                    group.cancelAll()
                    return result
                } catch {
                    group.cancelAll()
                    throw error
                }
            }
        }
    }

    /// Creates a scratch database with the schema these queries need (0001 schema, 0003 and 0004 indexes; the
    /// other versions belong to other modules), runs `body` and drops it (`ScratchDatabase`).
    package static func withScratchDatabase<T: Sendable>(
        test: String = #function,
        _ body: (DatabaseConfiguration) async throws -> T
    ) async throws -> T {
        try await ScratchDatabase.with(server: server, migrations: .only([1, 3, 4]), logger: logger, test: test, body)
    }

    /// Runs SQL statements (no parameters) in one connection.
    package static func execute(_ statements: [String], in database: DatabaseConfiguration) async throws {
        try await database.withConnection(logger: logger) { connection in
            for statement in statements {
                try await connection.query(PostgresQuery(unsafeSQL: statement), logger: logger)
            }
        }
    }

    /// Inserts events the way the manager does: one transaction, the writers' advisory lock, max+1
    /// positions; `workflow_id` from the payload, else inherited from a stored parent. Returns positions.
    @discardableResult
    package static func insert(_ envelopes: [EventEnvelope], into database: DatabaseConfiguration) async throws
        -> [Int64]
    {
        try await database.withConnection(logger: logger) { connection in
            try await connection.query("BEGIN", logger: logger)
            try await connection.query("SELECT pg_advisory_xact_lock(7526466426241529460)", logger: logger)
            var positions: [Int64] = []
            for envelope in envelopes {
                var bindings = PostgresBindings()
                bindings.append(envelope.eventID)
                bindings.append(envelope.eventType)
                bindings.append(envelope.timestamp.description)
                bindings.append(envelope.version)
                bindings.append(envelope.source.jsonValue.encodedString())
                bindings.append(envelope.rawSource.encodedString())
                bindings.append(envelope.correlationIDs)
                bindings.append(envelope.agentContext.map { $0.jsonValue.encodedString() })
                bindings.append(JSONValue.object(envelope.payload).encodedString())
                var workflowID: UUID?
                if case .string(let text)? = envelope.payload["workflow_id"] { workflowID = BloodbankUUID.parse(text) }
                bindings.append(workflowID)
                let sql = """
                    INSERT INTO events (event_id, position, event_type, "timestamp", version, source, source_raw,
                        correlation_ids, agent_context, payload, workflow_id)
                    VALUES ($1, (SELECT coalesce(max(position), 0) + 1 FROM events), $2, $3::timestamptz, $4,
                        $5::jsonb, $6::jsonb, $7, $8::jsonb, $9::jsonb,
                        coalesce($10, (SELECT workflow_id FROM events WHERE event_id = ANY($7)
                                       AND workflow_id IS NOT NULL ORDER BY position LIMIT 1)))
                    RETURNING position
                    """
                let rows = try await connection.query(PostgresQuery(unsafeSQL: sql, binds: bindings), logger: logger)
                    .collect()
                positions.append(try rows[0].decode(Int64.self))
            }
            try await connection.query("COMMIT", logger: logger)
            return positions
        }
    }

    /// A test event.
    package static func event(
        _ type: String, payload: JSONObject = [:], parents: [UUID] = [], agent: AgentContext? = nil,
        at timestamp: EventTimestamp = .now(), id: UUID = UUID()
    ) -> EventEnvelope {
        // Test event types are valid literals, so this cannot throw.
        try! EventEnvelope(
            eventType: type, payload: payload, correlationIDs: parents, agentContext: agent, eventID: id,
            timestamp: timestamp)
    }

    /// `2026-01-11T00:00:00Z` plus `seconds`.
    package static func time(_ seconds: Int64) -> EventTimestamp {
        EventTimestamp(microsecondsSinceEpoch: (1_768_089_600 + seconds) * 1_000_000)
    }

    /// 50,000 synthetic events (chain-linked, 500 workflows, agents on every third, a 512-byte summary like real
    /// payloads, so the heap is wider than the indexes as in production) plus VACUUM ANALYZE, for plans.
    package static func populate(_ database: DatabaseConfiguration, count: Int = 50_000) async throws {
        try await execute(
            [
                """
                INSERT INTO events (event_id, position, event_type, "timestamp", version, source, source_raw,
                    correlation_ids, agent_context, payload, workflow_id)
                SELECT md5('e' || g)::uuid, g,
                    (ARRAY['bmad.workflow.started', 'bmad.workflow.phase.completed', 'agent.letta.checkpoint.saved',
                           'demo.thing.happened', 'agent.handoff.accepted', 'agent.letta.task.completed',
                           'bmad.workflow.handoff.requested', 'x.y.z'])[1 + g % 8],
                    '2025-01-01T00:00:00Z'::timestamptz + g * interval '1 minute', '1.0.0',
                    '{"host":"h","type":"service","app":"bulk","meta":null}', '"h"',
                    CASE WHEN g > 1 THEN ARRAY[md5('e' || (g - 1))::uuid] ELSE '{}'::uuid[] END,
                    CASE WHEN g % 3 = 0 THEN jsonb_build_object('type', 'letta', 'name', 'agent-' || (g % 97),
                        'instance_id', 'agent-' || md5('i' || (g % 991))::uuid) END,
                    jsonb_build_object('workflow_id', md5('w' || (g % 500))::uuid::text,
                        'session_id', 'agent-' || md5('i' || (g % 991))::uuid,
                        'summary', repeat(md5(g::text), 16)),
                    md5('w' || (g % 500))::uuid
                FROM generate_series(1, \(count)) AS g
                """,
                "VACUUM ANALYZE events",
            ], in: database)
    }
}
