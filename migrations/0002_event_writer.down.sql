-- 0002 down: drop the EventWriter's projection support.
DROP INDEX IF EXISTS idx_events_session;
DROP FUNCTION IF EXISTS candystore_session_uuid(text);
