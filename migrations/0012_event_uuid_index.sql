-- no-transaction
-- `GET /api/events/{uuid}/` of an event written since migration 0010 (older ones have no
-- stored uuid: theirs is derived from the id, `store::events`), built without blocking writes.
CREATE INDEX CONCURRENTLY IF NOT EXISTS audit_events_uuid_idx ON audit_events (uuid) WHERE uuid IS NOT NULL;
