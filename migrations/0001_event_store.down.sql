-- 0001 down: drops the event store. Destroys all events; production runbook: docs/migrations.md.
DROP TABLE agent_sessions;
DROP TABLE workflow_state;
DROP TABLE events;
DROP FUNCTION events_reject_update();
