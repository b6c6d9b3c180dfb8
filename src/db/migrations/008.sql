-- Version 8: a dynamic segment's rule in its canonical form (the typed rule written out,
-- read back by the same parser); `criteria` and `rule` keep what the client sent, for
-- answers to echo. Segments stored before keep NULL here and are read from those.
ALTER TABLE segments ADD COLUMN definition TEXT;
-- A failed message's reason as a code (`outcome_unknown`, the provider's own, …) beside
-- its text.
ALTER TABLE messages ADD COLUMN error_code TEXT;
-- The delivery worker claims each account's queued single sends in turn, up to the
-- account's free slots: by account, then oldest first.
DROP INDEX messages_queued;
CREATE INDEX messages_queued ON messages (account_id, id) WHERE status = 1 AND broadcast_id IS NULL;
