/// The read-model projections (`workflow_state`, `agent_sessions`) as SQL, shared by the incremental path
/// (``EventWriter``) and ``ProjectionRebuilder``.
///
/// Each statement **recomputes** the rows it touches from the full set of stored events of that workflow or
/// session and upserts them. That makes every projection a function of the *set* of events: idempotent
/// (a replay recomputes the same row), independent of arrival order and batch boundaries, and equal to a
/// rebuild by construction (the rebuild runs these same statements over every key). The cost is
/// proportional to the events of the touched workflows, not to the batch (see docs/event-store-writer.md).
///
/// Values are clipped to their column widths (`left(…, n)`) so that no event can make a projection fail
/// forever for its whole workflow.
enum ProjectionSQL {
    /// Event types that belong to an agent session (keyed by `candystore_session_uuid(payload->>'session_id')`).
    /// The list matches the predicate of `idx_events_session` (migration 0002) so the planner uses it.
    static let sessionEventTypes =
        "('agent.handoff.accepted', 'agent.letta.checkpoint.saved', 'agent.letta.task.completed', "
        + "'agent.letta.task.blocked', 'agent.letta.session.failed', 'agent.letta.session.paused', "
        + "'agent.letta.session.resumed', 'agent.letta.session.recovery.started', 'agent.letta.context.restored', "
        + "'agent.letta.task.resumed')"

    /// Event types that report how a handed-off task went on after its acceptance (outcomes and recovery); a
    /// new one changes an existing `agent_handoffs` entry, so the append path of ``workflowsAppend`` skips them.
    static let handoffProgressTypes =
        "('agent.letta.task.completed', 'agent.letta.task.blocked', 'agent.letta.session.recovery.started', "
        + "'agent.letta.task.resumed')"

    /// Which rows a statement recomputes.
    enum Scope {
        /// The keys bound as `$1` (`uuid[]` workflow ids, or `text[]` raw session ids).
        case keys
        /// Every key that has events (the rebuild).
        case all
    }

    /// The wire form of a timestamp inside projected JSON (`2026-01-11T14:30:00.123456Z`).
    private static func wireTimestamp(_ column: String) -> String {
        "to_char(\(column) AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')"
    }

    /// The CTEs both workflow statements share, over a relation `ev` of workflow events: `phases` (phase history),
    /// `accepted` (acceptances with their resolved `to_agent`), `handoffs` (handoff history and newest agent) and
    /// `completed` (newest completion), each keyed by `workflow_id`.
    private static let historyCTEs = """
        phases AS (
            SELECT workflow_id,
                   jsonb_agg(jsonb_build_object(
                       'phase', payload -> 'phase', 'next_phase', payload -> 'next_phase',
                       'from_agent', payload -> 'from_agent', 'summary', payload -> 'summary',
                       'event_id', event_id, 'timestamp', \(wireTimestamp("ts")))
                       ORDER BY ts, event_id) AS history
            FROM ev WHERE event_type = 'bmad.workflow.phase.completed' GROUP BY workflow_id
        ),
        requests AS (
            SELECT workflow_id, event_id, ts, payload FROM ev WHERE event_type = 'bmad.workflow.handoff.requested'
        ),
        accepted AS (
            SELECT a.workflow_id, a.event_id, a.ts, a.payload, r.event_id AS handoff_id,
                   coalesce(a.payload ->> 'to_agent', r.payload ->> 'to_agent', a.agent_context ->> 'name') AS to_agent
            FROM ev a
            LEFT JOIN LATERAL (
                SELECT r.event_id, r.payload FROM events r
                WHERE r.event_id = ANY(a.correlation_ids) AND r.event_type = 'bmad.workflow.handoff.requested'
                ORDER BY r."timestamp", r.event_id LIMIT 1) r ON true
            WHERE a.event_type = 'agent.handoff.accepted'
        ),
        items AS (
            SELECT r.workflow_id, r.event_id AS handoff_id, a.event_id AS acceptance_id,
                   coalesce(a.event_id, r.event_id) AS event_id, coalesce(a.ts, r.ts) AS ts,
                   coalesce(a.payload -> 'accepted_from', r.payload -> 'from_agent') AS from_agent,
                   coalesce(a.to_agent, r.payload ->> 'to_agent') AS to_agent, a.payload -> 'session_id' AS session_id
            FROM requests r LEFT JOIN accepted a ON a.handoff_id = r.event_id
            UNION ALL
            SELECT a.workflow_id, a.handoff_id, a.event_id, a.event_id, a.ts, a.payload -> 'accepted_from', a.to_agent,
                   a.payload -> 'session_id'
            FROM accepted a
            WHERE a.handoff_id IS NULL OR a.handoff_id NOT IN (SELECT event_id FROM requests)
        ),
        progress AS (
            SELECT DISTINCT ON (i.event_id) i.event_id AS item_id, o.event_id, o.event_type, o.payload
            FROM items i JOIN ev o ON o.correlation_ids && ARRAY[i.acceptance_id, i.handoff_id]
            WHERE o.event_type IN \(handoffProgressTypes)
            ORDER BY i.event_id,
                     (o.event_type IN ('agent.letta.task.completed', 'agent.letta.task.blocked')) DESC,
                     o.ts DESC, o.event_id DESC
        ),
        handoffs AS (
            SELECT i.workflow_id,
                   jsonb_agg(jsonb_build_object(
                       'from_agent', i.from_agent, 'to_agent', i.to_agent, 'session_id', i.session_id,
                       'event_id', i.event_id, 'timestamp', \(wireTimestamp("i.ts")),
                       'handoff_event_id', i.handoff_id,
                       'status', CASE
                           WHEN o.event_type = 'agent.letta.task.completed' THEN 'completed'
                           WHEN o.event_type = 'agent.letta.task.blocked' THEN 'blocked'
                           WHEN o.event_type IS NOT NULL THEN 'recovering'
                           WHEN i.acceptance_id IS NOT NULL THEN 'accepted'
                           ELSE 'requested' END,
                       'outcome_event_id', CASE WHEN o.event_type IN ('agent.letta.task.completed',
                           'agent.letta.task.blocked') THEN o.event_id END,
                       'summary', CASE WHEN o.event_type = 'agent.letta.task.completed' THEN o.payload -> 'summary' END,
                       'reason', CASE WHEN o.event_type = 'agent.letta.task.blocked' THEN o.payload -> 'reason' END,
                       'retryable', CASE WHEN o.event_type = 'agent.letta.task.blocked'
                           THEN o.payload -> 'retryable' END,
                       'retry', CASE WHEN o.event_type = 'agent.letta.task.blocked'
                                      AND o.payload ->> 'retryable' = 'true' AND i.handoff_id IS NOT NULL
                           THEN 'bb dlq redrive ' || i.handoff_id END)
                       ORDER BY i.ts, i.event_id) AS history
            FROM items i LEFT JOIN progress o ON o.item_id = i.event_id
            GROUP BY i.workflow_id
        ),
        newest_agent AS (
            SELECT workflow_id, (array_agg(to_agent ORDER BY ts DESC, event_id DESC))[1] AS current_agent
            FROM accepted GROUP BY workflow_id
        ),
        completed AS (
            SELECT DISTINCT ON (workflow_id) workflow_id, ts, coalesce(payload ->> 'status', 'completed') AS status
            FROM ev WHERE event_type = 'bmad.workflow.completed'
            ORDER BY workflow_id, ts DESC, event_id DESC
        )
        """

    /// Recomputes `workflow_state` rows.
    ///
    /// | column | rule |
    /// |---|---|
    /// | project_name, metadata | earliest `bmad.workflow.started` (by timestamp, then event id); `unknown` / `{}` |
    /// | current_phase | newest phase-setting event: started → its `current_phase` (default analysis),
    ///   phase.completed → `next_phase`, else `phase`; `analysis` when none |
    /// | current_agent | newest `agent.handoff.accepted`: `to_agent`, else its parent handoff.requested's
    ///   `to_agent`, else `agent_context.name` |
    /// | status, completed_at | newest `bmad.workflow.completed` (`status` default `completed`); `active` |
    /// | started_at | earliest started event, else earliest event of the workflow |
    /// | updated_at | newest event timestamp |
    /// | phase_history, correlation_ids | all such events, sorted by (timestamp, event id) |
    /// | agent_handoffs | one entry per handoff request (merged with its acceptance) and per acceptance without a
    ///   request in the workflow, by (timestamp, event id): `status` requested / accepted / recovering / completed
    ///   / blocked from the newest outcome (completed/blocked win over recovery events) caused by the acceptance or
    ///   the request, with `outcome_event_id`, `summary`, `reason`, `retryable` and `retry` |
    /// | version | number of events projected into the row (grows with every update, rebuild-stable) |
    static func workflows(_ scope: Scope) -> String {
        let filter =
            switch scope {
            case .keys: "e.workflow_id = ANY($1::uuid[])"
            case .all: "e.workflow_id IS NOT NULL"
            }
        return """
            WITH ev AS (
                SELECT e.workflow_id, e.event_id, e.event_type, e."timestamp" AS ts, e.payload, e.correlation_ids,
                       e.agent_context
                FROM events e WHERE \(filter)
            ),
            totals AS (
                SELECT workflow_id, min(ts) AS first_ts, max(ts) AS last_ts, count(*) AS n,
                       array_agg(event_id ORDER BY ts, event_id) AS ids
                FROM ev GROUP BY workflow_id
            ),
            started AS (
                SELECT DISTINCT ON (workflow_id) workflow_id, ts, payload
                FROM ev WHERE event_type = 'bmad.workflow.started'
                ORDER BY workflow_id, ts, event_id
            ),
            phase AS (
                SELECT DISTINCT ON (workflow_id) workflow_id,
                       CASE WHEN event_type = 'bmad.workflow.started'
                            THEN coalesce(payload ->> 'current_phase', 'analysis')
                            ELSE coalesce(payload ->> 'next_phase', payload ->> 'phase') END AS current_phase
                FROM ev
                WHERE event_type = 'bmad.workflow.started'
                   OR (event_type = 'bmad.workflow.phase.completed'
                       AND coalesce(payload ->> 'next_phase', payload ->> 'phase') IS NOT NULL)
                ORDER BY workflow_id, ts DESC, event_id DESC
            ),
            \(historyCTEs)
            INSERT INTO workflow_state AS w (
                workflow_id, project_name, current_phase, current_agent, status, started_at, updated_at,
                completed_at, metadata, phase_history, agent_handoffs, correlation_ids, version)
            SELECT t.workflow_id,
                   left(coalesce(s.payload ->> 'project_name', 'unknown'), 255),
                   left(coalesce(p.current_phase, 'analysis'), 50),
                   left(cur.current_agent, 100),
                   left(coalesce(c.status, 'active'), 20),
                   coalesce(s.ts, t.first_ts),
                   t.last_ts,
                   c.ts,
                   CASE WHEN jsonb_typeof(s.payload -> 'metadata') = 'object' THEN s.payload -> 'metadata'
                        ELSE '{}'::jsonb END,
                   coalesce(ph.history, '[]'::jsonb),
                   coalesce(h.history, '[]'::jsonb),
                   t.ids,
                   t.n
            FROM totals t
            LEFT JOIN started s USING (workflow_id)
            LEFT JOIN phase p USING (workflow_id)
            LEFT JOIN phases ph USING (workflow_id)
            LEFT JOIN handoffs h USING (workflow_id)
            LEFT JOIN newest_agent cur USING (workflow_id)
            LEFT JOIN completed c USING (workflow_id)
            ON CONFLICT (workflow_id) DO UPDATE SET
                project_name = EXCLUDED.project_name, current_phase = EXCLUDED.current_phase,
                current_agent = EXCLUDED.current_agent, status = EXCLUDED.status,
                started_at = EXCLUDED.started_at, updated_at = EXCLUDED.updated_at,
                completed_at = EXCLUDED.completed_at, metadata = EXCLUDED.metadata,
                phase_history = EXCLUDED.phase_history, agent_handoffs = EXCLUDED.agent_handoffs,
                correlation_ids = EXCLUDED.correlation_ids, version = EXCLUDED.version
            WHERE w.version IS DISTINCT FROM EXCLUDED.version
               OR w.correlation_ids IS DISTINCT FROM EXCLUDED.correlation_ids
            """
    }

    /// Appends newly stored events to existing `workflow_state` rows, without reading the workflows' older events.
    ///
    /// `$1` is the `uuid[]` of the events just stored. A workflow qualifies when its row exists, every new event of
    /// it is strictly newer than the row's `updated_at` (the newest event projected so far), and none of them is a
    /// `bmad.workflow.started` (it sets the earliest-event columns) or a `bmad.workflow.handoff.requested` (an
    /// already projected acceptance may take its `to_agent` from it). For such a workflow the full recompute of
    /// ``workflows(_:)`` would list the old events first and the new ones after them, so appending gives the very
    /// same row: histories and `correlation_ids` grow by the new entries in (timestamp, event id) order, `version`
    /// by their count, and the newest-wins columns change only if a new event sets them. That is the common case
    /// (events arrive roughly in order), and it costs O(new events) instead of O(all events of the workflow).
    /// Returns the workflow ids it updated; the caller recomputes the other touched workflows in full.
    static let workflowsAppend = """
        WITH new AS (
            SELECT e.workflow_id, e.event_id, e.event_type, e."timestamp" AS ts, e.payload, e.correlation_ids,
                   e.agent_context
            FROM events e WHERE e.event_id = ANY($1::uuid[]) AND e.workflow_id IS NOT NULL
        ),
        eligible AS (
            SELECT n.workflow_id
            FROM new n JOIN workflow_state w ON w.workflow_id = n.workflow_id
            GROUP BY n.workflow_id, w.updated_at
            HAVING min(n.ts) > w.updated_at
               AND bool_and(n.event_type NOT IN ('bmad.workflow.started', 'bmad.workflow.handoff.requested',
                                                 'agent.handoff.accepted'))
               AND bool_and(n.event_type NOT IN \(handoffProgressTypes))
        ),
        ev AS (SELECT * FROM new WHERE workflow_id IN (SELECT workflow_id FROM eligible)),
        totals AS (
            SELECT workflow_id, max(ts) AS last_ts, count(*) AS n, array_agg(event_id ORDER BY ts, event_id) AS ids
            FROM ev GROUP BY workflow_id
        ),
        phase AS (
            SELECT DISTINCT ON (workflow_id) workflow_id,
                   coalesce(payload ->> 'next_phase', payload ->> 'phase') AS current_phase
            FROM ev
            WHERE event_type = 'bmad.workflow.phase.completed'
              AND coalesce(payload ->> 'next_phase', payload ->> 'phase') IS NOT NULL
            ORDER BY workflow_id, ts DESC, event_id DESC
        ),
        \(historyCTEs)
        UPDATE workflow_state AS w SET
            current_phase = coalesce(left(p.current_phase, 50), w.current_phase),
            current_agent = CASE WHEN cur.workflow_id IS NULL THEN w.current_agent ELSE left(cur.current_agent, 100) END,
            status = coalesce(left(c.status, 20), w.status),
            completed_at = CASE WHEN c.workflow_id IS NULL THEN w.completed_at ELSE c.ts END,
            updated_at = t.last_ts,
            phase_history = w.phase_history || coalesce(ph.history, '[]'::jsonb),
            agent_handoffs = w.agent_handoffs || coalesce(h.history, '[]'::jsonb),
            correlation_ids = w.correlation_ids || t.ids,
            version = w.version + t.n
        FROM totals t
        LEFT JOIN phase p USING (workflow_id)
        LEFT JOIN phases ph USING (workflow_id)
        LEFT JOIN handoffs h USING (workflow_id)
        LEFT JOIN newest_agent cur USING (workflow_id)
        LEFT JOIN completed c USING (workflow_id)
        WHERE w.workflow_id = t.workflow_id
        RETURNING w.workflow_id
        """

    /// Recomputes `agent_sessions` rows (run after ``workflows(_:)``: the row references its workflow).
    ///
    /// | column | rule |
    /// |---|---|
    /// | session_id | `candystore_session_uuid(payload.session_id)`: UUID of `agent-<uuid>`, else md5-based |
    /// | agent_type, agent_instance_id, started_at | earliest `agent.handoff.accepted`; else `unknown`, the
    ///   earliest event's `session_id`, the earliest timestamp |
    /// | workflow_id | the accepted event's workflow, else the newest event's; only if its row exists |
    /// | checkpoint_id | newest of checkpoint.saved `checkpoint_id`, task.completed `final_checkpoint_id`,
    ///   accepted `checkpoint_id`, context.restored `checkpoint_id` |
    /// | status, completed_at | newest of accepted (active), task.completed (completed), task.blocked (blocked),
    ///   session.failed (stalled when `failure` is stalled, else failed), session.paused (paused),
    ///   session.recovery.started (recovering), session.resumed / task.resumed (resumed); a recovery or resume
    ///   of a task (`task_id`) whose completed/blocked outcome is stored does not count |
    /// | last_active_at | newest event timestamp |
    /// | metadata | `event_ids` (sorted), `accepted_from`, `blocked_reason` while blocked or stalled, `last_blocked`,
    ///   `last_recovery`,
    ///   `last_completed` |
    static func sessions(_ scope: Scope) -> String {
        let keys =
            switch scope {
            case .keys: "SELECT DISTINCT candystore_session_uuid(k) AS session_id FROM unnest($1::text[]) AS k"
            case .all:
                "SELECT DISTINCT candystore_session_uuid(payload ->> 'session_id') AS session_id FROM events "
                    + "WHERE event_type IN \(sessionEventTypes)"
            }
        return """
            WITH keys AS (\(keys)),
            ev AS (
                SELECT candystore_session_uuid(e.payload ->> 'session_id') AS session_id, e.event_id, e.event_type,
                       e."timestamp" AS ts, e.payload, e.workflow_id
                FROM events e
                WHERE e.event_type IN \(sessionEventTypes)
                  AND candystore_session_uuid(e.payload ->> 'session_id') IN (SELECT session_id FROM keys)
            ),
            totals AS (
                SELECT session_id, min(ts) AS first_ts, max(ts) AS last_ts,
                       (array_agg(payload ->> 'session_id' ORDER BY ts, event_id))[1] AS first_agent_id,
                       (array_agg(workflow_id ORDER BY ts DESC, event_id DESC)
                           FILTER (WHERE workflow_id IS NOT NULL))[1] AS newest_workflow_id,
                       jsonb_agg(event_id ORDER BY ts, event_id) AS event_ids
                FROM ev GROUP BY session_id
            ),
            accepted AS (
                SELECT DISTINCT ON (session_id) session_id, ts, payload, workflow_id
                FROM ev WHERE event_type = 'agent.handoff.accepted'
                ORDER BY session_id, ts, event_id
            ),
            checkpoint AS (
                SELECT DISTINCT ON (session_id) session_id,
                       coalesce(payload ->> 'checkpoint_id', payload ->> 'final_checkpoint_id') AS checkpoint_id
                FROM ev
                WHERE coalesce(payload ->> 'checkpoint_id', payload ->> 'final_checkpoint_id') IS NOT NULL
                  AND event_type IN ('agent.handoff.accepted', 'agent.letta.checkpoint.saved',
                                     'agent.letta.task.completed', 'agent.letta.context.restored')
                ORDER BY session_id, ts DESC, event_id DESC
            ),
            status AS (
                SELECT DISTINCT ON (session_id) session_id, ts, event_type, payload
                FROM ev s
                WHERE event_type NOT IN ('agent.letta.checkpoint.saved', 'agent.letta.context.restored')
                  -- A recovery of a task whose outcome is stored already (a redelivery after the outcome was
                  -- published but before the bridge remembered it) does not reopen the session.
                  AND NOT (event_type IN ('agent.letta.session.recovery.started', 'agent.letta.task.resumed',
                                          'agent.letta.session.resumed')
                           AND EXISTS (SELECT 1 FROM ev o
                                       WHERE o.session_id = s.session_id
                                         AND o.event_type IN ('agent.letta.task.completed', 'agent.letta.task.blocked')
                                         AND o.payload ->> 'task_id' = s.payload ->> 'task_id'))
                ORDER BY session_id, ts DESC, event_id DESC
            ),
            recovery AS (
                SELECT DISTINCT ON (session_id) session_id, jsonb_build_object(
                           'reason', payload -> 'reason', 'checkpoint_id', payload -> 'checkpoint_id',
                           'task_id', payload -> 'task_id', 'event_id', event_id,
                           'timestamp', \(wireTimestamp("ts"))) AS info
                FROM ev WHERE event_type = 'agent.letta.session.recovery.started'
                ORDER BY session_id, ts DESC, event_id DESC
            ),
            blocked AS (
                SELECT DISTINCT ON (session_id) session_id, jsonb_build_object(
                           'reason', payload -> 'reason', 'needs', payload -> 'needs',
                           'retryable', payload -> 'retryable', 'task_id', payload -> 'task_id',
                           'event_id', event_id, 'timestamp', \(wireTimestamp("ts"))) AS info
                FROM ev WHERE event_type = 'agent.letta.task.blocked'
                ORDER BY session_id, ts DESC, event_id DESC
            ),
            done AS (
                SELECT DISTINCT ON (session_id) session_id, jsonb_build_object(
                           'task_id', payload -> 'task_id', 'summary', payload -> 'summary',
                           'next_action', payload -> 'next_action', 'event_id', event_id,
                           'timestamp', \(wireTimestamp("ts"))) AS info
                FROM ev WHERE event_type = 'agent.letta.task.completed'
                ORDER BY session_id, ts DESC, event_id DESC
            ),
            computed AS (
                SELECT t.session_id,
                       left(coalesce(a.payload ->> 'agent_type', 'unknown'), 50) AS agent_type,
                       left(coalesce(a.payload ->> 'session_id', t.first_agent_id), 255) AS agent_instance_id,
                       left(cp.checkpoint_id, 255) AS checkpoint_id,
                       (SELECT w.workflow_id FROM workflow_state w
                        WHERE w.workflow_id = coalesce(a.workflow_id, t.newest_workflow_id)) AS workflow_id,
                       coalesce(a.ts, t.first_ts) AS started_at,
                       t.last_ts AS last_active_at,
                       CASE st.event_type WHEN 'agent.letta.task.completed' THEN st.ts END AS completed_at,
                       CASE st.event_type WHEN 'agent.letta.task.completed' THEN 'completed'
                                          WHEN 'agent.letta.task.blocked' THEN 'blocked'
                                          WHEN 'agent.letta.session.failed' THEN
                                              CASE st.payload ->> 'failure' WHEN 'stalled' THEN 'stalled'
                                                                            ELSE 'failed' END
                                          WHEN 'agent.letta.session.paused' THEN 'paused'
                                          WHEN 'agent.letta.session.recovery.started' THEN 'recovering'
                                          WHEN 'agent.letta.session.resumed' THEN 'resumed'
                                          WHEN 'agent.letta.task.resumed' THEN 'resumed'
                                          ELSE 'active' END AS status,
                       jsonb_build_object(
                           'event_ids', t.event_ids,
                           'accepted_from', a.payload -> 'accepted_from',
                           'blocked_reason', CASE WHEN st.event_type = 'agent.letta.task.blocked'
                                                       OR (st.event_type = 'agent.letta.session.failed'
                                                           AND st.payload ->> 'failure' = 'stalled')
                                                 THEN b.info -> 'reason' ELSE 'null'::jsonb END,
                           'last_blocked', b.info,
                           'last_completed', d.info,
                           'last_recovery', rc.info) AS metadata
                FROM totals t
                LEFT JOIN accepted a USING (session_id)
                LEFT JOIN checkpoint cp USING (session_id)
                LEFT JOIN status st USING (session_id)
                LEFT JOIN blocked b USING (session_id)
                LEFT JOIN done d USING (session_id)
                LEFT JOIN recovery rc USING (session_id)
            )
            INSERT INTO agent_sessions AS s (
                session_id, agent_type, agent_instance_id, checkpoint_id, workflow_id, started_at, last_active_at,
                completed_at, status, metadata)
            SELECT session_id, agent_type, agent_instance_id, checkpoint_id, workflow_id, started_at, last_active_at,
                   completed_at, status, metadata
            FROM computed
            ON CONFLICT (session_id) DO UPDATE SET
                agent_type = EXCLUDED.agent_type, agent_instance_id = EXCLUDED.agent_instance_id,
                checkpoint_id = EXCLUDED.checkpoint_id, workflow_id = EXCLUDED.workflow_id,
                started_at = EXCLUDED.started_at, last_active_at = EXCLUDED.last_active_at,
                completed_at = EXCLUDED.completed_at, status = EXCLUDED.status, metadata = EXCLUDED.metadata
            WHERE s.metadata IS DISTINCT FROM EXCLUDED.metadata OR s.workflow_id IS DISTINCT FROM EXCLUDED.workflow_id
            """
    }
}
