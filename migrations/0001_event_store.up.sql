-- 0001: the event store (brief §4): events, workflow_state, agent_sessions.
-- The plan's DDL made valid PostgreSQL 15 (indexes as separate statements) and complete.

-- Every Bloodbank event, immutable, exactly once per event_id.
CREATE TABLE events (
    event_id        uuid         PRIMARY KEY,
    -- Global order = commit order, gapless: the writer assigns max(position)+1… while holding a
    -- transaction-scoped advisory lock (EventWriter), so positions never have holes and a reader that has
    -- seen N has seen every event up to N. Cursor and stream-resume key.
    position        bigint       NOT NULL,
    event_type      varchar(255) NOT NULL,
    "timestamp"     timestamptz  NOT NULL,
    version         varchar(20)  NOT NULL,
    -- Normalised {host,type,app,meta}; source_raw keeps what the producer sent (string or object).
    source          jsonb        NOT NULL,
    source_raw      jsonb        NOT NULL,
    -- Parent event ids (causation).
    correlation_ids uuid[]       NOT NULL DEFAULT '{}',
    agent_context   jsonb,
    payload         jsonb        NOT NULL,
    -- payload.workflow_id, else inherited from a parent event.
    workflow_id     uuid,
    ingested_at     timestamptz  NOT NULL DEFAULT now(),
    CONSTRAINT events_position_key UNIQUE (position),
    CONSTRAINT events_event_type_format CHECK (event_type ~ '^[a-z0-9]+(\.[a-z0-9_-]+)+$')
);

CREATE INDEX idx_events_event_type ON events (event_type varchar_pattern_ops, position);
CREATE INDEX idx_events_timestamp ON events ("timestamp" DESC);
CREATE INDEX idx_events_correlation_ids ON events USING GIN (correlation_ids);
CREATE INDEX idx_events_checkpoint ON events ((agent_context ->> 'checkpoint_id')) WHERE agent_context IS NOT NULL;
CREATE INDEX idx_events_workflow_id ON events (workflow_id, position);

-- Events are immutable: an UPDATE is a bug.
CREATE FUNCTION events_reject_update() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'events are immutable (event_id %)', OLD.event_id USING ERRCODE = 'restrict_violation';
END;
$$;
CREATE TRIGGER events_immutable BEFORE UPDATE ON events FOR EACH ROW EXECUTE FUNCTION events_reject_update();

-- Read model: one row per workflow, maintained by the manager's projections.
CREATE TABLE workflow_state (
    workflow_id     uuid         PRIMARY KEY,
    project_name    varchar(255) NOT NULL,
    current_phase   varchar(50)  NOT NULL,
    current_agent   varchar(100),
    -- active until bmad.workflow.completed sets completed, failed or cancelled.
    status          varchar(20)  NOT NULL DEFAULT 'active',
    started_at      timestamptz  NOT NULL,
    updated_at      timestamptz  NOT NULL,
    completed_at    timestamptz,
    metadata        jsonb        NOT NULL DEFAULT '{}',
    -- [{phase, next_phase, from_agent, summary, event_id, timestamp}]
    phase_history   jsonb        NOT NULL DEFAULT '[]',
    -- [{from_agent, to_agent, session_id, event_id, timestamp}]
    agent_handoffs  jsonb        NOT NULL DEFAULT '[]',
    correlation_ids uuid[]       NOT NULL DEFAULT '{}',
    -- Incremented on every update (optimistic concurrency for readers).
    version         bigint       NOT NULL DEFAULT 1
);

CREATE INDEX idx_workflow_state_project ON workflow_state (project_name);
CREATE INDEX idx_workflow_state_phase ON workflow_state (current_phase);
CREATE INDEX idx_workflow_state_updated ON workflow_state (updated_at DESC);

-- Read model: one row per agent session (a Letta agent working on a handoff).
CREATE TABLE agent_sessions (
    -- UUID part of Letta's "agent-<uuid>" (a name-based UUID when the id has none).
    session_id        uuid         PRIMARY KEY,
    agent_type        varchar(50)  NOT NULL,
    -- The verbatim agent id, e.g. "agent-7f0c…".
    agent_instance_id varchar(255),
    checkpoint_id     varchar(255),
    workflow_id       uuid         REFERENCES workflow_state (workflow_id),
    started_at        timestamptz  NOT NULL,
    last_active_at    timestamptz  NOT NULL,
    completed_at      timestamptz,
    -- active, completed, blocked
    status            varchar(50)  NOT NULL,
    metadata          jsonb
);

CREATE INDEX idx_agent_sessions_workflow ON agent_sessions (workflow_id);
CREATE INDEX idx_agent_sessions_checkpoint ON agent_sessions (checkpoint_id);
CREATE INDEX idx_agent_sessions_status ON agent_sessions (status, last_active_at DESC);
