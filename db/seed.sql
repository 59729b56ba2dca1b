-- Sample data for local development: one workflow with a causation chain
--   started → phase.completed → handoff.requested → handoff.accepted → task.completed
-- Idempotent (fixed ids, ON CONFLICT DO NOTHING). Loaded by `candystore db seed` / `mise run db:seed`.
-- Positions: max(position)+n, as the EventWriter assigns them (gapless, commit order); the advisory lock is
-- the writers' lock, so seeding never interleaves with a running manager.
SELECT pg_advisory_xact_lock(7526466426241529460);
INSERT INTO events (event_id, position, event_type, "timestamp", version, source, source_raw, correlation_ids, agent_context, payload, workflow_id)
SELECT v.event_id::uuid, (SELECT coalesce(max(position), 0) FROM events) + row_number() OVER (ORDER BY v."timestamp"::timestamptz), v.event_type, v."timestamp"::timestamptz, v.version,
       v.source::jsonb, v.source_raw::jsonb, v.correlation_ids::uuid[], v.agent_context::jsonb, v.payload::jsonb, v.workflow_id::uuid
FROM (VALUES
  ('5eed0000-0000-4000-8000-000000000001', 'bmad.workflow.started', '2026-01-11T09:00:00.500000Z', '1.0.0',
   '{"host":"seed","type":"manual","app":"bmad","meta":{}}', '{"host":"seed","type":"manual","app":"bmad","meta":{}}',
   '{}', NULL,
   '{"workflow_id":"5eed0000-0000-4000-8000-00000000f001","project_name":"sample-project","current_phase":"analysis"}',
   '5eed0000-0000-4000-8000-00000000f001'),
  ('5eed0000-0000-4000-8000-000000000002', 'bmad.workflow.phase.completed', '2026-01-11T10:00:00.000000Z', '1.0.0',
   '{"host":"seed","type":"agent","app":"bmad","meta":{}}', '{"host":"seed","type":"agent","app":"bmad","meta":{}}',
   '{5eed0000-0000-4000-8000-000000000001}', NULL,
   '{"workflow_id":"5eed0000-0000-4000-8000-00000000f001","phase":"analysis","next_phase":"solutioning","from_agent":"bmad-analyst","summary":"Requirements gathered","artifacts":["docs/prd.md"]}',
   '5eed0000-0000-4000-8000-00000000f001'),
  ('5eed0000-0000-4000-8000-000000000003', 'bmad.workflow.handoff.requested', '2026-01-11T14:30:00.123456Z', '1.0.0',
   '{"host":"seed","type":"agent","app":"bmad","meta":{}}', '{"host":"seed","type":"agent","app":"bmad","meta":{}}',
   '{5eed0000-0000-4000-8000-000000000002}', NULL,
   '{"workflow_id":"5eed0000-0000-4000-8000-00000000f001","from_agent":"bmad-architect","to_agent":"letta-python-dev","task":"Implement feature based on analysis","context":{}}',
   '5eed0000-0000-4000-8000-00000000f001'),
  ('5eed0000-0000-4000-8000-000000000004', 'agent.handoff.accepted', '2026-01-11T14:30:02.000000Z', '1.0.0',
   '{"host":"seed","type":"agent","app":"letta-bridge","meta":{}}', '{"host":"seed","type":"agent","app":"letta-bridge","meta":{}}',
   '{5eed0000-0000-4000-8000-000000000003}',
   '{"type":"letta","name":"letta-python-dev","system_prompt":null,"instance_id":"agent-5eed0000-0000-4000-8000-00000000a001","mcp_servers":[],"file_references":[],"url_references":[],"code_state":null,"checkpoint_id":null,"meta":{}}',
   '{"workflow_id":"5eed0000-0000-4000-8000-00000000f001","agent_type":"letta","session_id":"agent-5eed0000-0000-4000-8000-00000000a001","accepted_from":"bmad-architect","to_agent":"letta-python-dev"}',
   '5eed0000-0000-4000-8000-00000000f001'),
  ('5eed0000-0000-4000-8000-000000000005', 'agent.letta.task.completed', '2026-01-11T15:10:00.000000Z', '1.0.0',
   '{"host":"seed","type":"agent","app":"letta-bridge","meta":{}}', '{"host":"seed","type":"agent","app":"letta-bridge","meta":{}}',
   '{5eed0000-0000-4000-8000-000000000004}', NULL,
   '{"session_id":"agent-5eed0000-0000-4000-8000-00000000a001","workflow_id":"5eed0000-0000-4000-8000-00000000f001","summary":"Feature implemented","next_action":"review"}',
   '5eed0000-0000-4000-8000-00000000f001')
) AS v(event_id, event_type, "timestamp", version, source, source_raw, correlation_ids, agent_context, payload, workflow_id)
WHERE NOT EXISTS (SELECT 1 FROM events e WHERE e.event_id = v.event_id::uuid)
ON CONFLICT (event_id) DO NOTHING;

INSERT INTO workflow_state (workflow_id, project_name, current_phase, current_agent, status, started_at, updated_at,
                            phase_history, agent_handoffs, correlation_ids, version)
VALUES ('5eed0000-0000-4000-8000-00000000f001', 'sample-project', 'solutioning', 'letta-python-dev', 'active',
        '2026-01-11T09:00:00.500000Z', '2026-01-11T15:10:00.000000Z',
        '[{"phase":"analysis","next_phase":"solutioning","from_agent":"bmad-analyst","summary":"Requirements gathered","event_id":"5eed0000-0000-4000-8000-000000000002","timestamp":"2026-01-11T10:00:00.000000Z"}]',
        '[{"from_agent":"bmad-architect","to_agent":"letta-python-dev","session_id":"agent-5eed0000-0000-4000-8000-00000000a001","event_id":"5eed0000-0000-4000-8000-000000000004","timestamp":"2026-01-11T14:30:02.000000Z"}]',
        '{5eed0000-0000-4000-8000-000000000001,5eed0000-0000-4000-8000-000000000002,5eed0000-0000-4000-8000-000000000003,5eed0000-0000-4000-8000-000000000004,5eed0000-0000-4000-8000-000000000005}',
        5)
ON CONFLICT (workflow_id) DO NOTHING;

INSERT INTO agent_sessions (session_id, agent_type, agent_instance_id, workflow_id, started_at, last_active_at,
                            completed_at, status, metadata)
VALUES ('5eed0000-0000-4000-8000-00000000a001', 'letta', 'agent-5eed0000-0000-4000-8000-00000000a001',
        '5eed0000-0000-4000-8000-00000000f001', '2026-01-11T14:30:02.000000Z', '2026-01-11T15:10:00.000000Z',
        '2026-01-11T15:10:00.000000Z', 'completed', '{"to_agent":"letta-python-dev"}')
ON CONFLICT (session_id) DO NOTHING;
