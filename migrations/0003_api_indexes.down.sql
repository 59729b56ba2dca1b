DROP INDEX IF EXISTS idx_workflow_state_status;
DROP INDEX IF EXISTS idx_events_payload_session;
DROP INDEX IF EXISTS idx_events_agent_instance;
DROP INDEX IF EXISTS idx_events_agent_name;
