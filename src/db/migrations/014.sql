-- Version 14: broadcast insight. What the provider said of each message (its pricing, the
-- time its recipient replied), and each broadcast's counters, kept as its messages move so
-- that a report reads a few rows rather than counting a million (messages::tally).
ALTER TABLE messages ADD COLUMN pricing_category TEXT;
ALTER TABLE messages ADD COLUMN billable INTEGER;
ALTER TABLE messages ADD COLUMN replied_at INTEGER;

CREATE TABLE broadcast_counts (
    broadcast_id INTEGER NOT NULL REFERENCES broadcasts (id) ON DELETE CASCADE,
    metric       TEXT    NOT NULL,
    n            INTEGER NOT NULL,
    sample       TEXT,
    PRIMARY KEY (broadcast_id, metric)
) WITHOUT ROWID;

CREATE TABLE broadcast_minutes (
    broadcast_id INTEGER NOT NULL REFERENCES broadcasts (id) ON DELETE CASCADE,
    minute       INTEGER NOT NULL,
    sent         INTEGER NOT NULL DEFAULT 0,
    delivered    INTEGER NOT NULL DEFAULT 0,
    read         INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (broadcast_id, minute)
) WITHOUT ROWID;

-- The counters of broadcasts made before this version, from their messages as they are now
-- (a message that failed after it was sent counts as failed only; times of delivery and
-- reading were not kept, so their timeline has its sends only).
INSERT INTO broadcast_counts (broadcast_id, metric, n)
SELECT broadcast_id, metric, n FROM (
    SELECT broadcast_id, 'messages' AS metric, count(*) AS n FROM messages
        WHERE broadcast_id IS NOT NULL GROUP BY broadcast_id
    UNION ALL SELECT broadcast_id, 'sent', count(*) FROM messages
        WHERE broadcast_id IS NOT NULL AND status IN (3, 4, 5) GROUP BY broadcast_id
    UNION ALL SELECT broadcast_id, 'delivered', count(*) FROM messages
        WHERE broadcast_id IS NOT NULL AND status IN (4, 5) GROUP BY broadcast_id
    UNION ALL SELECT broadcast_id, 'read', count(*) FROM messages
        WHERE broadcast_id IS NOT NULL AND status = 5 GROUP BY broadcast_id
    UNION ALL SELECT broadcast_id, 'failed', count(*) FROM messages
        WHERE broadcast_id IS NOT NULL AND status = 6 GROUP BY broadcast_id
    UNION ALL SELECT broadcast_id, 'cancelled', count(*) FROM messages
        WHERE broadcast_id IS NOT NULL AND status = 7 GROUP BY broadcast_id
);
INSERT INTO broadcast_counts (broadcast_id, metric, n, sample)
SELECT broadcast_id, 'error:' || coalesce(error_code, 'unknown'), count(*), max(error_message)
FROM messages WHERE broadcast_id IS NOT NULL AND status = 6
GROUP BY broadcast_id, coalesce(error_code, 'unknown');
INSERT INTO broadcast_minutes (broadcast_id, minute, sent)
SELECT broadcast_id, sent_at / 60, count(*) FROM messages
WHERE broadcast_id IS NOT NULL AND sent_at IS NOT NULL GROUP BY broadcast_id, sent_at / 60;
