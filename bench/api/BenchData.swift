import EventStore
import Foundation
import Logging
import PostgresNIO

/// The benchmark's data set, generated inside PostgreSQL (`INSERT … SELECT generate_series`) with the real
/// schema, so a million rows load in a couple of minutes instead of hours of client round trips.
///
/// Shape (per workflow, interleaved with every other workflow in position order, as concurrent workflows are):
/// cycles of ten events — `bmad.workflow.started` (first cycle) or `bmad.workflow.phase.completed`, a handoff
/// request, its acceptance by a Letta agent (a new session), five checkpoints, the task's completion and a tool
/// call — each caused by the previous step (`correlation_ids`), so a workflow's started event has every event
/// of the workflow as a descendant (about 50 levels for 100 events). A quarter of the workflows end with
/// `bmad.workflow.completed`. Payloads carry 192-character summaries like real ones (rows of ~1 KB).
/// After the bulk: a 100-deep chain (101 events) and a 10,000-node tree (fan-out 10, depth 4) for the
/// causation walks.
enum BenchData {
    /// Events in the chain (a root plus 100 links).
    static let chainLength = 101
    /// Nodes in the tree.
    static let treeSize = 10_000
    /// Events per workflow in the bulk.
    static let eventsPerWorkflow = 100
    /// Letta agent names used by the bulk.
    static let agents = [
        "letta-python-dev", "letta-swift-dev", "letta-reviewer", "letta-tester", "letta-architect", "letta-docs",
        "letta-devops", "letta-data", "letta-frontend", "letta-security", "letta-planner", "letta-qa",
    ]

    /// Sizes derived from the requested total.
    struct Plan {
        /// Total events (bulk + chain + tree).
        let total: Int
        /// Bulk events (positions 1…bulk).
        let bulk: Int
        /// Workflows in the bulk.
        let workflows: Int

        init(total: Int) {
            self.total = total
            bulk = total - BenchData.chainLength - BenchData.treeSize
            workflows = max(1, bulk / BenchData.eventsPerWorkflow)
        }

        /// Position of the chain's root.
        var chainRoot: Int { bulk + 1 }
        /// Position of the tree's root.
        var treeRoot: Int { bulk + BenchData.chainLength + 1 }
    }

    /// Inserts bulk events `from…through` (positions); `w` is the workflow count.
    static func bulkSQL(from: Int, through: Int, workflows w: Int) -> String {
        let agentArray = "ARRAY[" + agents.map { "'\($0)'" }.joined(separator: ", ") + "]"
        return """
            INSERT INTO events (event_id, position, event_type, "timestamp", version, source, source_raw,
                correlation_ids, agent_context, payload, workflow_id)
            SELECT md5('bench-e' || g)::uuid, g, t.event_type,
                timestamptz '2026-01-05T00:00:00Z' + g * interval '200 milliseconds' + (g % 7) * interval '13 ms',
                '1.0.0', t.source, t.source,
                CASE WHEN t.parent_k IS NULL THEN '{}'::uuid[]
                     ELSE ARRAY[md5('bench-e' || (t.parent_k * \(w) + x.w + 1))::uuid] END,
                CASE WHEN x.j >= 2 THEN jsonb_build_object('type', 'letta', 'name', x.agent, 'system_prompt', null,
                    'instance_id', x.session, 'mcp_servers', '[]'::jsonb, 'file_references', '[]'::jsonb,
                    'url_references', '[]'::jsonb, 'code_state', null, 'checkpoint_id', null, 'meta', '{}'::jsonb)
                END,
                t.payload, x.workflow
            FROM generate_series(\(from), \(through)) AS g
            CROSS JOIN LATERAL (
                SELECT (g - 1) % \(w) AS w, (g - 1) / \(w) AS k, ((g - 1) / \(w)) % 10 AS j,
                    ((g - 1) / \(w)) / 10 AS c,
                    md5('bench-w' || ((g - 1) % \(w)))::uuid AS workflow,
                    'agent-' || md5('bench-s' || ((g - 1) % \(w)) || '-' || ((g - 1) / \(w)) / 10)::uuid AS session,
                    (\(agentArray))[1 + ((g - 1) % \(w) + ((g - 1) / \(w)) / 10) % \(agents.count)] AS agent,
                    (ARRAY['analysis', 'planning', 'solutioning', 'implementation'])[1 + (((g - 1) / \(w)) / 10) % 4]
                        AS phase,
                    (ARRAY['analysis', 'planning', 'solutioning', 'implementation'])[
                        1 + ((((g - 1) / \(w)) / 10) + 1) % 4] AS next_phase,
                    repeat(md5(g::text), 6) AS text
            ) AS x
            CROSS JOIN LATERAL (
                SELECT
                    CASE WHEN x.k = 0 THEN 'bmad.workflow.started'
                         WHEN x.j = 0 THEN 'bmad.workflow.phase.completed'
                         WHEN x.j = 1 THEN 'bmad.workflow.handoff.requested'
                         WHEN x.j = 2 THEN 'agent.handoff.accepted'
                         WHEN x.j <= 7 THEN 'agent.letta.checkpoint.saved'
                         WHEN x.j = 8 THEN 'agent.letta.task.completed'
                         WHEN x.w % 4 = 0 AND x.k = 99 THEN 'bmad.workflow.completed'
                         ELSE 'agent.tool.called' END AS event_type,
                    CASE WHEN x.k = 0 THEN NULL
                         WHEN x.j = 0 THEN x.k - 2
                         WHEN x.j IN (1, 2, 8) THEN x.k - 1
                         WHEN x.j <= 7 THEN x.k - (x.j - 2)
                         WHEN x.w % 4 = 0 AND x.k = 99 THEN x.k - 1
                         ELSE x.k - 7 END AS parent_k,
                    jsonb_build_object('host', 'bench-host-' || (x.w % 5),
                        'type', CASE WHEN x.j >= 2 THEN 'agent' ELSE 'manual' END,
                        'app', CASE WHEN x.j >= 2 THEN 'letta-bridge' ELSE 'bmad' END, 'meta', '{}'::jsonb) AS source,
                    CASE WHEN x.k = 0 THEN jsonb_build_object('workflow_id', x.workflow,
                            'project_name', 'project-' || (x.w % 50), 'current_phase', 'analysis',
                            'metadata', jsonb_build_object('ticket', 'PRJ-' || x.w, 'owner', 'team-' || (x.w % 9)))
                         WHEN x.j = 0 THEN jsonb_build_object('workflow_id', x.workflow, 'phase', x.phase,
                            'next_phase', x.next_phase, 'from_agent', 'bmad-analyst', 'summary', x.text,
                            'artifacts', jsonb_build_array('docs/prd-' || x.c || '.md'))
                         WHEN x.j = 1 THEN jsonb_build_object('workflow_id', x.workflow, 'from_agent', 'bmad-architect',
                            'to_agent', x.agent, 'task', x.text, 'context', jsonb_build_object('story', 'S-' || x.c))
                         WHEN x.j = 2 THEN jsonb_build_object('workflow_id', x.workflow, 'agent_type', 'letta',
                            'session_id', x.session, 'accepted_from', 'bmad-architect', 'to_agent', x.agent)
                         WHEN x.j <= 7 THEN jsonb_build_object('workflow_id', x.workflow, 'session_id', x.session,
                            'checkpoint_id', 'ckpt-' || g, 'summary', x.text)
                         WHEN x.j = 8 THEN jsonb_build_object('workflow_id', x.workflow, 'session_id', x.session,
                            'task_id', 'task-' || x.c, 'summary', x.text, 'next_action', 'review',
                            'final_checkpoint_id', 'ckpt-' || (g - \(w)))
                         WHEN x.w % 4 = 0 AND x.k = 99 THEN jsonb_build_object('workflow_id', x.workflow,
                            'status', (ARRAY['completed', 'failed', 'cancelled', 'completed'])[1 + (x.w / 4) % 4],
                            'summary', x.text)
                         ELSE jsonb_build_object('workflow_id', x.workflow, 'session_id', x.session, 'tool', 'grep',
                            'arguments', jsonb_build_object('pattern', 'TODO', 'path', 'Sources/'), 'result', x.text)
                    END AS payload
            ) AS t
            """
    }

    /// A causation structure after the bulk: `parent(i)` gives node i's parent index (nil for the root).
    static func structureSQL(
        name: String, count: Int, firstPosition: Int, parentExpression: String
    ) -> String {
        """
        INSERT INTO events (event_id, position, event_type, "timestamp", version, source, source_raw,
            correlation_ids, agent_context, payload, workflow_id)
        SELECT md5('bench-\(name)' || i)::uuid, \(firstPosition) + i, 'bench.\(name).node',
            timestamptz '2026-03-01T00:00:00Z' + i * interval '10 milliseconds', '1.0.0',
            '{"host":"bench","type":"service","app":"bench","meta":{}}',
            '{"host":"bench","type":"service","app":"bench","meta":{}}',
            CASE WHEN i = 0 THEN '{}'::uuid[] ELSE ARRAY[md5('bench-\(name)' || (\(parentExpression)))::uuid] END,
            NULL,
            jsonb_build_object('workflow_id', md5('bench-\(name)-w')::uuid, 'node', i,
                'summary', repeat(md5(i::text), 6)),
            md5('bench-\(name)-w')::uuid
        FROM generate_series(0, \(count - 1)) AS i
        """
    }

    /// Event id of chain link `i` / tree node `i` (0 = root), as the SQL above computes it.
    static func structureID(_ name: String, _ index: Int) -> String {
        "md5('bench-\(name)' || \(index))::uuid"
    }

    /// Loads everything, rebuilds the projections with the writer's own SQL, and runs `VACUUM ANALYZE`.
    static func load(_ plan: Plan, database: DatabaseConfiguration, logger: Logger) async throws -> LoadReport {
        let clock = ContinuousClock()
        let started = clock.now
        let chunk = 100_000
        try await database.withConnection(logger: logger) { connection in
            try await connection.query("SET synchronous_commit = off", logger: logger)
            var from = 1
            while from <= plan.bulk {
                let through = min(plan.bulk, from + chunk - 1)
                try await connection.query(
                    PostgresQuery(unsafeSQL: bulkSQL(from: from, through: through, workflows: plan.workflows)),
                    logger: logger)
                let rate = Double(through) / (clock.now - started).seconds
                log("  loaded \(through) / \(plan.total) events (\(Int(rate)) rows/s)")
                from = through + 1
            }
            try await connection.query(
                PostgresQuery(
                    unsafeSQL: structureSQL(
                        name: "chain", count: chainLength, firstPosition: plan.chainRoot, parentExpression: "i - 1")),
                logger: logger)
            try await connection.query(
                PostgresQuery(
                    unsafeSQL: structureSQL(
                        name: "tree", count: treeSize, firstPosition: plan.treeRoot,
                        parentExpression: "(i - 1) / 10")),
                logger: logger)
        }
        let inserted = clock.now - started
        log("  inserted \(plan.total) events in \(format(inserted)); rebuilding projections…")
        let client = PostgresClient(configuration: database.clientConfiguration, backgroundLogger: logger)
        let projections = try await withThrowingTaskGroup(of: ProjectionRebuilder.Outcome?.self) { group in
            group.addTask {
                await client.run()
                return nil
            }
            let outcome = try await ProjectionRebuilder.rebuild(client: client, logger: logger)
            group.cancelAll()
            return outcome
        }
        log(
            "  projections: \(projections.workflows) workflows, \(projections.sessions) sessions in "
                + format(projections.duration) + "; VACUUM ANALYZE…")
        let vacuumStarted = clock.now
        let sizes = try await database.withConnection(logger: logger) { connection in
            try await connection.query("VACUUM ANALYZE", logger: logger)
            let rows = try await connection.query(
                """
                SELECT pg_total_relation_size('events')::bigint, pg_relation_size('events')::bigint,
                       (SELECT count(*) FROM events)::bigint
                """, logger: logger
            ).collect()
            return try rows[0].decode((Int64, Int64, Int64).self)
        }
        return LoadReport(
            events: Int(sizes.2), workflows: projections.workflows, sessions: projections.sessions,
            insert: inserted, projections: projections.duration, vacuumAnalyze: clock.now - vacuumStarted,
            tableBytes: sizes.1, totalBytes: sizes.0)
    }

    /// What loading cost and produced.
    struct LoadReport {
        let events: Int
        let workflows: Int
        let sessions: Int
        let insert: Duration
        let projections: Duration
        let vacuumAnalyze: Duration
        let tableBytes: Int64
        let totalBytes: Int64
    }
}

/// Progress and tables go to standard error / output respectively.
func log(_ message: String) {
    FileHandle.standardError.write(Data((message + "\n").utf8))
}

/// `1.23 s` / `45.6 ms`.
func format(_ duration: Duration) -> String {
    let seconds = duration.seconds
    return seconds >= 1 ? String(format: "%.1f s", seconds) : String(format: "%.1f ms", seconds * 1000)
}

extension Duration {
    /// The duration in seconds.
    var seconds: Double {
        let (whole, attoseconds) = components
        return Double(whole) + Double(attoseconds) / 1e18
    }

    /// The duration in milliseconds.
    var milliseconds: Double { seconds * 1000 }
}
