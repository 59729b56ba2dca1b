-- 0002: support for the EventWriter's projections (docs/event-store-writer.md).

-- The agent_sessions key for a Letta agent id: the UUID inside "agent-<uuid>" (or a bare UUID), else a
-- name-based UUID (md5 of 'letta-agent:' || id) so ids without one (e.g. "agent-1234") still get a stable key.
-- Mirrors BloodbankUUID.fromLettaAgentID; IMMUTABLE so it can back the index below.
CREATE FUNCTION candystore_session_uuid(agent_id text) RETURNS uuid
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
    SELECT CASE
        WHEN agent_id ~ '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$'
            THEN agent_id::uuid
        WHEN agent_id ~ '^agent-[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$'
            THEN substr(agent_id, 7)::uuid
        ELSE md5('letta-agent:' || agent_id)::uuid
    END
$$;

-- The session projection recomputes a session from all of its events; this finds them without a scan.
CREATE INDEX idx_events_session ON events (candystore_session_uuid(payload ->> 'session_id'))
    WHERE event_type IN ('agent.handoff.accepted', 'agent.letta.checkpoint.saved', 'agent.letta.task.completed',
                         'agent.letta.task.blocked');
