-- Version 11: the webhook worker reads undispatched events in id order from an index of
-- their own (without statistics, SQLite scanned every event for them); the unused index of
-- pending deliveries by due time goes; and messages' events are recorded by the code that
-- changes a status (messages::store::record_event), not by triggers, which cost every row
-- of a fan-out and of a settle whether an endpoint listened or not.
CREATE INDEX webhook_events_undispatched ON webhook_events (dispatched) WHERE dispatched = 0;
DROP INDEX webhook_deliveries_next;
DROP TRIGGER webhook_message_new;
DROP TRIGGER webhook_message_status;
