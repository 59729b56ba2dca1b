-- 0003: indexes for the Event Store API's read queries (docs/api.md), so no filter scans `events`.

-- GET /api/v1/events?agent=… matches agent_context.name or agent_context.instance_id (a BitmapOr of these).
CREATE INDEX idx_events_agent_name ON events ((agent_context ->> 'name'), position) WHERE agent_context IS NOT NULL;
CREATE INDEX idx_events_agent_instance ON events ((agent_context ->> 'instance_id'), position)
    WHERE agent_context IS NOT NULL;

-- GET /api/v1/sessions/{id}/events matches payload.session_id (or the agent instance id above).
CREATE INDEX idx_events_payload_session ON events ((payload ->> 'session_id'), position);

-- GET /api/v1/workflows?status=… (active/completed lists), newest first.
CREATE INDEX idx_workflow_state_status ON workflow_state (status, updated_at DESC);
