-- 0004: GET /api/v1/sessions/{id} finds a session by its key or by its verbatim Letta id
-- (`agent_instance_id`); without this index the second half of that OR scanned agent_sessions
-- (15–30 ms for 100,000 sessions, bench/api).
CREATE INDEX idx_agent_sessions_instance ON agent_sessions (agent_instance_id);
