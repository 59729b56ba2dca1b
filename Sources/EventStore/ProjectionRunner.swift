import BloodbankModel
import Foundation
import Logging
import PostgresNIO

/// The events whose read-model rows must be recomputed, grouped by row key.
struct ProjectionKeys: Sendable {
    /// Workflow id → the events of this write that belong to it.
    var workflows: [UUID: [UUID]] = [:]
    /// Raw `payload.session_id` → the events of this write that belong to it.
    var sessions: [String: [UUID]] = [:]

    /// Event types that belong to an agent session (see ``ProjectionSQL/sessionEventTypes``).
    static let sessionEventTypes: Set<String> = [
        "agent.handoff.accepted", "agent.letta.checkpoint.saved", "agent.letta.task.completed",
        "agent.letta.task.blocked", "agent.letta.session.failed", "agent.letta.session.paused",
        "agent.letta.session.resumed", "agent.letta.session.recovery.started", "agent.letta.context.restored",
        "agent.letta.task.resumed",
    ]

    /// No keys.
    init() {}

    /// The keys touched by `events`.
    init(_ events: [StoredEvent]) {
        for event in events {
            let id = event.envelope.eventID
            if let workflowID = event.workflowID { workflows[workflowID, default: []].append(id) }
            if Self.sessionEventTypes.contains(event.envelope.eventType),
                let sessionID = Self.sessionKey(event.envelope.payload["session_id"])
            {
                sessions[sessionID, default: []].append(id)
            }
        }
    }

    init(workflows: [UUID: [UUID]], sessions: [String: [UUID]]) {
        self.workflows = workflows
        self.sessions = sessions
    }

    /// What `payload ->> 'session_id'` yields in SQL for a string (the catalogue requires one); `nil` otherwise.
    static func sessionKey(_ value: JSONValue?) -> String? {
        value?.stringValue
    }

    var isEmpty: Bool { workflows.isEmpty && sessions.isEmpty }
}

/// Runs the projection statements inside the caller's transaction, under savepoints so that a failure is
/// rolled back, logged and counted without undoing the events.
struct ProjectionRunner {
    let connection: PostgresConnection
    let logger: Logger

    /// Recomputes the rows touched by `stored`; returns how many of those events' projections failed.
    func project(_ stored: [StoredEvent]) async throws -> Int {
        let keys = ProjectionKeys(stored)
        guard !keys.isEmpty else { return 0 }
        if try await attempt(name: "batch", { try await runBoth(.keys, keys: keys) }) { return 0 }
        return try await projectEach(keys).count
    }

    /// Recomputes every row (the rebuild); returns the number of events whose projection failed.
    func projectAll(keys loadKeys: () async throws -> ProjectionKeys) async throws -> Int {
        if try await attempt(name: "rebuild", { try await runBoth(.all, keys: ProjectionKeys()) }) { return 0 }
        return try await projectEach(try await loadKeys()).count
    }

    /// One key at a time, each under its own savepoint: the slow path after the fast path failed.
    private func projectEach(_ keys: ProjectionKeys) async throws -> Set<UUID> {
        var failed = Set<UUID>()
        for (workflowID, events) in keys.workflows.sorted(by: { $0.key.uuidString < $1.key.uuidString }) {
            let succeeded = try await attempt(name: "workflow \(BloodbankUUID.format(workflowID))") {
                var binds = PostgresBindings()
                binds.append([workflowID])
                try await connection.query(
                    PostgresQuery(unsafeSQL: ProjectionSQL.workflows(.keys), binds: binds), logger: logger)
            }
            if !succeeded { failed.formUnion(events) }
        }
        for (sessionID, events) in keys.sessions.sorted(by: { $0.key < $1.key }) {
            let succeeded = try await attempt(name: "session \(sessionID)") {
                var binds = PostgresBindings()
                binds.append([sessionID])
                try await connection.query(
                    PostgresQuery(unsafeSQL: ProjectionSQL.sessions(.keys), binds: binds), logger: logger)
            }
            if !succeeded { failed.formUnion(events) }
        }
        return failed
    }

    /// Workflows first: a session row references its workflow row.
    ///
    /// For a write (`.keys`), workflows whose new events all come after what their row already holds are appended
    /// to (``ProjectionSQL/workflowsAppend``); only the others are recomputed from all their events. The result is
    /// the same either way (see there); the append keeps the cost of a batch independent of workflow length.
    private func runBoth(_ scope: ProjectionSQL.Scope, keys: ProjectionKeys) async throws {
        if scope == .all {
            try await connection.query(PostgresQuery(unsafeSQL: ProjectionSQL.workflows(.all)), logger: logger)
            try await connection.query(PostgresQuery(unsafeSQL: ProjectionSQL.sessions(.all)), logger: logger)
            return
        }
        if !keys.workflows.isEmpty {
            var remaining = Set(keys.workflows.keys)
            var appendBinds = PostgresBindings()
            appendBinds.append(keys.workflows.values.flatMap { $0 })
            let appended = try await connection.query(
                PostgresQuery(unsafeSQL: ProjectionSQL.workflowsAppend, binds: appendBinds), logger: logger)
            for try await workflowID in appended.decode(UUID.self) { remaining.remove(workflowID) }
            if !remaining.isEmpty {
                var binds = PostgresBindings()
                binds.append(Array(remaining))
                try await connection.query(
                    PostgresQuery(unsafeSQL: ProjectionSQL.workflows(.keys), binds: binds), logger: logger)
            }
        }
        if !keys.sessions.isEmpty {
            var sessionBinds = PostgresBindings()
            sessionBinds.append(Array(keys.sessions.keys))
            try await connection.query(
                PostgresQuery(unsafeSQL: ProjectionSQL.sessions(.keys), binds: sessionBinds), logger: logger)
        }
    }

    /// Runs `body` under a savepoint: `true` when it succeeded, `false` (rolled back, logged) when the database
    /// refused it; transient errors propagate, since the whole transaction is lost anyway.
    private func attempt(name: String, _ body: () async throws -> Void) async throws -> Bool {
        try await connection.query("SAVEPOINT candystore_projection", logger: logger)
        do {
            try await body()
            try await connection.query("RELEASE SAVEPOINT candystore_projection", logger: logger)
            return true
        } catch {
            if DatabaseErrorKind.classify(error) == .transient { throw error }
            try await connection.query("ROLLBACK TO SAVEPOINT candystore_projection", logger: logger)
            try await connection.query("RELEASE SAVEPOINT candystore_projection", logger: logger)
            logger.error(
                "projection failed; the events stay stored, the read model skips them",
                metadata: ["projection": "\(name)", "error": "\(EventStoreError.serverMessage(error))"])
            return false
        }
    }
}

extension ProjectionSQL.Scope: Equatable {}
