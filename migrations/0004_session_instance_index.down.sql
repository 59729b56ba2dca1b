DROP INDEX IF EXISTS idx_agent_sessions_instance;
