-- Version 11: the webhook worker reads undispatched events in id order from an index of
-- their own (without statistics, SQLite scanned every event for them), and the unused
-- index of pending deliveries by due time goes.
CREATE INDEX webhook_events_undispatched ON webhook_events (dispatched) WHERE dispatched = 0;
DROP INDEX webhook_deliveries_next;
