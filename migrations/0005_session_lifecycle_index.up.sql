-- 0005: the Phase 2 session events (issue 13: agent.letta.session.failed/paused/resumed/recovery.started,
-- agent.letta.context.restored, agent.letta.task.resumed) belong to agent sessions too; the partial index that
-- finds a session's events must cover them (its predicate matches ProjectionSQL.sessionEventTypes).
-- agent_sessions.status (varchar(50)) takes the new values (recovering, stalled, resumed, paused, failed) as is.
DROP INDEX IF EXISTS idx_events_session;
CREATE INDEX idx_events_session ON events (candystore_session_uuid(payload ->> 'session_id'))
    WHERE event_type IN ('agent.handoff.accepted', 'agent.letta.checkpoint.saved', 'agent.letta.task.completed',
                         'agent.letta.task.blocked', 'agent.letta.session.failed', 'agent.letta.session.paused',
                         'agent.letta.session.resumed', 'agent.letta.session.recovery.started',
                         'agent.letta.context.restored', 'agent.letta.task.resumed');
