-- 0005 down: the session index of 0002 (Phase 1 session events only).
DROP INDEX IF EXISTS idx_events_session;
CREATE INDEX idx_events_session ON events (candystore_session_uuid(payload ->> 'session_id'))
    WHERE event_type IN ('agent.handoff.accepted', 'agent.letta.checkpoint.saved', 'agent.letta.task.completed',
                         'agent.letta.task.blocked');
