import BloodbankModel
import CandystoreTestSupport
import EventStore
import Foundation
import Logging
import PostgresNIO
import Testing

/// Scratch databases for integration tests: `DATABASE_URL` (default: the local stack) must be reachable;
/// tests fail otherwise.
enum TestDatabase {
    static let url =
        ProcessInfo.processInfo.environment["DATABASE_URL"]
        ?? "postgres://candystore:candystore@127.0.0.1:5435/event_store"

    static let logger: Logger = {
        var logger = Logger(label: "candystore.event-writer.tests")
        logger.logLevel = .critical
        return logger
    }()

    /// A fresh database with every migration and a running pool, dropped afterwards (`ScratchDatabase`).
    static func withStore<T: Sendable>(
        poolSize: Int = 4,
        test: String = #function,
        _ body: @Sendable (Store) async throws -> T
    ) async throws -> T {
        let server = try DatabaseConfiguration(url: url, poolSize: poolSize)
        return try await ScratchDatabase.with(server: server, migrations: .all, logger: logger, test: test) {
            database in
            let client = PostgresClient(configuration: database.clientConfiguration, backgroundLogger: logger)
            return try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { await client.run() }
                defer { group.cancelAll() }
                return try await body(Store(database: database, client: client))
            }
        }
    }
}

/// One scratch database: its configuration, a running pool and a writer over it.
struct Store: Sendable {
    let database: DatabaseConfiguration
    let client: PostgresClient

    var writer: EventWriter { EventWriter(client: client, logger: TestDatabase.logger) }

    @discardableResult
    func write(_ events: [ValidatedEvent]) async throws -> WriteOutcome {
        try await writer.write(events)
    }

    /// Runs SQL statements one after the other on one connection.
    func execute(_ statements: String...) async throws {
        _ = try await database.withConnection(logger: TestDatabase.logger) { connection in
            for sql in statements {
                try await connection.query(PostgresQuery(unsafeSQL: sql), logger: TestDatabase.logger)
            }
        }
    }

    /// The single text column of every row of `sql`.
    func strings(_ sql: String) async throws -> [String] {
        try await database.withConnection(logger: TestDatabase.logger) { connection in
            var result: [String] = []
            try await connection.query("SET TIME ZONE 'UTC'", logger: TestDatabase.logger)
            let rows = try await connection.query(PostgresQuery(unsafeSQL: sql), logger: TestDatabase.logger)
            for try await value in rows.decode(String?.self) { result.append(value ?? "NULL") }
            return result
        }
    }

    func string(_ sql: String) async throws -> String {
        try #require(try await strings(sql).first)
    }

    /// A table's full contents (all columns) as one canonical `jsonb` text: equal texts mean equal values.
    func snapshot(_ table: String, orderBy key: String) async throws -> String {
        try await string(
            "SELECT coalesce(jsonb_agg(to_jsonb(t) ORDER BY \(key)), '[]'::jsonb)::text FROM \(table) t")
    }

    /// Both read models, for equality checks.
    func readModels() async throws -> String {
        try await snapshot("workflow_state", orderBy: "workflow_id") + "\n"
            + snapshot("agent_sessions", orderBy: "session_id")
    }

    /// One workflow_state row as a JSON object text (`to_jsonb`), or "NULL".
    func workflow(_ id: UUID, _ expression: String) async throws -> String {
        try await strings(
            "SELECT (\(expression))::text FROM workflow_state WHERE workflow_id = '\(BloodbankUUID.format(id))'"
        ).first ?? "NO ROW"
    }

    /// One agent_sessions row's expression as text, or "NO ROW".
    func session(_ id: UUID, _ expression: String) async throws -> String {
        try await strings(
            "SELECT (\(expression))::text FROM agent_sessions WHERE session_id = '\(BloodbankUUID.format(id))'"
        ).first ?? "NO ROW"
    }
}

/// Builders of validated events (through the real validator, so typed payloads are set as in production).
enum Fixture {
    static let validator = EventValidator()
    /// 2026-01-01T00:00:00Z.
    static let epoch: Int64 = 1_767_225_600_000_000

    static func time(_ seconds: Int) -> EventTimestamp {
        EventTimestamp(microsecondsSinceEpoch: epoch + Int64(seconds) * 1_000_000)
    }

    static func event(
        _ type: String,
        _ payload: JSONObject,
        id: UUID = UUID(),
        at seconds: Int = 0,
        parents: [UUID] = [],
        agentName: String? = nil
    ) -> ValidatedEvent {
        let context = agentName.map { AgentContext(type: "letta", name: $0) }
        do {
            let envelope = try EventEnvelope(
                eventType: type, payload: payload, correlationIDs: parents, agentContext: context,
                source: EventSource(host: "test-host", type: "test"), eventID: id, timestamp: time(seconds))
            return try validator.validate(envelope)
        } catch {
            fatalError("invalid fixture \(type): \(error)")
        }
    }

    static func uuid(_ id: UUID) -> JSONValue { .string(BloodbankUUID.format(id)) }

    static func started(
        _ workflow: UUID, project: String = "candystore", phase: String? = nil, at seconds: Int = 0,
        id: UUID = UUID(), metadata: JSONObject? = nil
    ) -> ValidatedEvent {
        var payload: JSONObject = ["workflow_id": uuid(workflow), "project_name": .string(project)]
        if let phase { payload.append("current_phase", .string(phase)) }
        if let metadata { payload.append("metadata", .object(metadata)) }
        return event("bmad.workflow.started", payload, id: id, at: seconds)
    }

    static func phaseCompleted(
        _ workflow: UUID, phase: String, next: String? = nil, at seconds: Int, id: UUID = UUID(),
        parents: [UUID] = []
    ) -> ValidatedEvent {
        var payload: JSONObject = [
            "workflow_id": uuid(workflow), "phase": .string(phase), "from_agent": "bmad-analyst", "summary": "done",
        ]
        if let next { payload.append("next_phase", .string(next)) }
        return event("bmad.workflow.phase.completed", payload, id: id, at: seconds, parents: parents)
    }

    static func handoffRequested(
        _ workflow: UUID, to agent: String, at seconds: Int, id: UUID = UUID(), parents: [UUID] = []
    ) -> ValidatedEvent {
        event(
            "bmad.workflow.handoff.requested",
            [
                "workflow_id": uuid(workflow), "from_agent": "bmad-architect", "to_agent": .string(agent),
                "task": "build it",
            ], id: id, at: seconds, parents: parents)
    }

    static func handoffAccepted(
        _ workflow: UUID, session: String, toAgent: String? = nil, checkpoint: String? = nil, at seconds: Int,
        id: UUID = UUID(), parents: [UUID] = [], agentName: String? = nil
    ) -> ValidatedEvent {
        var payload: JSONObject = [
            "workflow_id": uuid(workflow), "agent_type": "letta", "session_id": .string(session),
            "accepted_from": "bmad-architect",
        ]
        if let toAgent { payload.append("to_agent", .string(toAgent)) }
        if let checkpoint { payload.append("checkpoint_id", .string(checkpoint)) }
        return event(
            "agent.handoff.accepted", payload, id: id, at: seconds, parents: parents, agentName: agentName)
    }

    static func checkpointSaved(
        session: String, checkpoint: String, at seconds: Int, id: UUID = UUID(), parents: [UUID] = []
    ) -> ValidatedEvent {
        event(
            "agent.letta.checkpoint.saved",
            ["session_id": .string(session), "checkpoint_id": .string(checkpoint), "checkpoint_type": "progress"],
            id: id, at: seconds, parents: parents)
    }

    static func taskCompleted(
        _ workflow: UUID, session: String, finalCheckpoint: String? = nil, at seconds: Int, id: UUID = UUID(),
        parents: [UUID] = []
    ) -> ValidatedEvent {
        var payload: JSONObject = [
            "session_id": .string(session), "workflow_id": uuid(workflow), "task_id": "t-1", "summary": "built",
        ]
        if let finalCheckpoint { payload.append("final_checkpoint_id", .string(finalCheckpoint)) }
        return event("agent.letta.task.completed", payload, id: id, at: seconds, parents: parents)
    }

    static func taskBlocked(
        _ workflow: UUID, session: String, reason: String, at seconds: Int, id: UUID = UUID(), parents: [UUID] = []
    ) -> ValidatedEvent {
        event(
            "agent.letta.task.blocked",
            [
                "session_id": .string(session), "workflow_id": uuid(workflow), "reason": .string(reason),
                "needs": ["api key"], "retryable": true,
            ], id: id, at: seconds, parents: parents)
    }

    static func workflowCompleted(
        _ workflow: UUID, status: String? = nil, at seconds: Int, id: UUID = UUID()
    ) -> ValidatedEvent {
        var payload: JSONObject = ["workflow_id": uuid(workflow), "summary": "shipped"]
        if let status { payload.append("status", .string(status)) }
        return event("bmad.workflow.completed", payload, id: id, at: seconds)
    }

    /// An uncatalogued event, optionally naming a workflow in its payload.
    static func other(
        _ type: String = "demo.thing.happened", workflow: UUID? = nil, at seconds: Int = 0, id: UUID = UUID(),
        parents: [UUID] = [], extra: JSONObject = [:]
    ) -> ValidatedEvent {
        var payload = extra
        if let workflow { payload.append("workflow_id", uuid(workflow)) }
        return event(type, payload, id: id, at: seconds, parents: parents)
    }
}

extension Array {
    /// Splits into consecutive chunks of random sizes in `1...maxSize`.
    func randomChunks(maxSize: Int, using generator: inout some RandomNumberGenerator) -> [[Element]] {
        var chunks: [[Element]] = []
        var index = 0
        while index < count {
            let size = Int.random(in: 1...maxSize, using: &generator)
            chunks.append(Array(self[index..<Swift.min(count, index + size)]))
            index += size
        }
        return chunks
    }
}
