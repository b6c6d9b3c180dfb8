-- Version 10: outbound event webhooks (docs/webhooks.md). An account's endpoints, what
-- each listens to, the events recorded for them and each endpoint's delivery of each event.
CREATE TABLE webhook_endpoints (
    id              INTEGER PRIMARY KEY,
    account_id      INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    url             TEXT    NOT NULL,
    events          TEXT    NOT NULL,  -- JSON array of event types, or ["*"]
    description     TEXT,
    enabled         INTEGER NOT NULL DEFAULT 1,
    disabled_reason TEXT,
    secret          TEXT    NOT NULL,  -- whsec_…, sealed when the server has a secret key
    previous_secret TEXT,              -- the secret before a rotation: signs too until
    previous_until  INTEGER,           -- this time
    failing_since   INTEGER,           -- when its current run of failed attempts began
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL
);
CREATE INDEX webhook_endpoints_by_account ON webhook_endpoints (account_id);

-- One row per event type each enabled endpoint listens to ('*' for all). The triggers
-- below record an event only when a row matches, so an account without endpoints pays one
-- probe of this (empty) index per change.
CREATE TABLE webhook_subscriptions (
    account_id  INTEGER NOT NULL,
    event_type  TEXT    NOT NULL,
    endpoint_id INTEGER NOT NULL REFERENCES webhook_endpoints (id) ON DELETE CASCADE,
    PRIMARY KEY (account_id, event_type, endpoint_id)
) WITHOUT ROWID;

-- Events, recorded by triggers in the transaction of the change itself. `payload` is the
-- body as first sent (the object as the API shows it, read just after the change), so
-- retries and replays send the same bytes; `detail` keeps what may be gone by then (a
-- deleted person, a pause's reason).
CREATE TABLE webhook_events (
    id          INTEGER PRIMARY KEY,
    account_id  INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    event_type  TEXT    NOT NULL,
    object_id   INTEGER,
    detail      TEXT,
    payload     TEXT,
    dispatched  INTEGER NOT NULL DEFAULT 0,
    created_at  INTEGER NOT NULL
);
CREATE INDEX webhook_events_to_dispatch ON webhook_events (object_id, event_type)
    WHERE dispatched = 0;
CREATE INDEX webhook_events_by_account ON webhook_events (account_id, created_at);

-- Each endpoint's delivery of each event: its last attempt, and when the next is due.
CREATE TABLE webhook_deliveries (
    id              INTEGER PRIMARY KEY,
    event_id        INTEGER NOT NULL REFERENCES webhook_events (id) ON DELETE CASCADE,
    endpoint_id     INTEGER NOT NULL REFERENCES webhook_endpoints (id) ON DELETE CASCADE,
    status          INTEGER NOT NULL CHECK (status BETWEEN 0 AND 2), -- pending, succeeded, failed
    attempt         INTEGER NOT NULL DEFAULT 0,  -- attempts made
    next_attempt_at INTEGER,
    http_status     INTEGER,
    duration_ms     INTEGER,
    error           TEXT,
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (endpoint_id, next_attempt_at)
    WHERE status = 0;
CREATE INDEX webhook_deliveries_next ON webhook_deliveries (next_attempt_at) WHERE status = 0;
CREATE INDEX webhook_deliveries_by_endpoint ON webhook_deliveries (endpoint_id, id);
CREATE INDEX webhook_deliveries_by_event ON webhook_deliveries (event_id);

CREATE TRIGGER webhook_message_new AFTER INSERT ON messages
WHEN new.status IN (3, 4, 5, 6, 8) AND EXISTS (SELECT 1 FROM webhook_subscriptions
             WHERE account_id = new.account_id AND event_type IN ('*', CASE new.status WHEN 3 THEN 'message.sent' WHEN 4 THEN 'message.delivered'
        WHEN 5 THEN 'message.read' WHEN 6 THEN 'message.failed' ELSE 'message.received' END))
BEGIN
    INSERT INTO webhook_events (account_id, event_type, object_id, created_at)
    VALUES (new.account_id, CASE new.status WHEN 3 THEN 'message.sent' WHEN 4 THEN 'message.delivered'
        WHEN 5 THEN 'message.read' WHEN 6 THEN 'message.failed' ELSE 'message.received' END, new.id, new.updated_at);
END;
CREATE TRIGGER webhook_message_status AFTER UPDATE OF status ON messages
WHEN new.status <> old.status AND new.status IN (3, 4, 5, 6) AND EXISTS (SELECT 1 FROM webhook_subscriptions
             WHERE account_id = new.account_id AND event_type IN ('*', CASE new.status WHEN 3 THEN 'message.sent' WHEN 4 THEN 'message.delivered'
        WHEN 5 THEN 'message.read' WHEN 6 THEN 'message.failed' ELSE 'message.received' END))
BEGIN
    INSERT INTO webhook_events (account_id, event_type, object_id, created_at)
    VALUES (new.account_id, CASE new.status WHEN 3 THEN 'message.sent' WHEN 4 THEN 'message.delivered'
        WHEN 5 THEN 'message.read' WHEN 6 THEN 'message.failed' ELSE 'message.received' END, new.id, new.updated_at);
END;
CREATE TRIGGER webhook_contact_created AFTER INSERT ON contacts
WHEN EXISTS (SELECT 1 FROM webhook_subscriptions
             WHERE account_id = new.account_id AND event_type IN ('*', 'contact.created'))
BEGIN
    INSERT INTO webhook_events (account_id, event_type, object_id, created_at)
    VALUES (new.account_id, 'contact.created', new.id, new.updated_at);
END;
-- One undispatched created-or-updated event per person is enough: the person is read when
-- the event is dispatched, so it shows every change made until then.
CREATE TRIGGER webhook_contact_updated AFTER UPDATE OF
    name, first_name, last_name, phone, email, external_id, gender, birth_date,
    contact_stage, channel, telegram_id, instagram_id, messenger_id, location_id, tag_names,
    a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11, a12, a13, a14, a15, a16, a17, a18, a19,
    a20, a21, a22, a23, a24, a25, a26, a27, a28, a29, a30, a31, a32, a33, a34, a35, a36,
    a37, a38, a39, a40, a41, a42, a43, a44, a45, a46, a47, a48, a49, a50, a51, a52, a53,
    a54, a55, a56, a57, a58, a59, a60, a61, a62, a63, a64
ON contacts
WHEN EXISTS (SELECT 1 FROM webhook_subscriptions
             WHERE account_id = new.account_id AND event_type IN ('*', 'contact.updated'))
    AND NOT EXISTS (SELECT 1 FROM webhook_events WHERE dispatched = 0 AND object_id = new.id
                    AND event_type IN ('contact.created', 'contact.updated'))
BEGIN
    INSERT INTO webhook_events (account_id, event_type, object_id, created_at)
    VALUES (new.account_id, 'contact.updated', new.id, new.updated_at);
END;
CREATE TRIGGER webhook_contact_opted AFTER UPDATE OF opted_out ON contacts
WHEN new.opted_out <> old.opted_out AND EXISTS (SELECT 1 FROM webhook_subscriptions
             WHERE account_id = new.account_id AND event_type IN ('*', CASE new.opted_out WHEN 0 THEN 'contact.opted_in' ELSE 'contact.opted_out' END))
BEGIN
    INSERT INTO webhook_events (account_id, event_type, object_id, created_at)
    VALUES (new.account_id, CASE new.opted_out WHEN 0 THEN 'contact.opted_in' ELSE 'contact.opted_out' END, new.id, new.updated_at);
END;
CREATE TRIGGER webhook_contact_deleted AFTER DELETE ON contacts
WHEN EXISTS (SELECT 1 FROM webhook_subscriptions
             WHERE account_id = old.account_id AND event_type IN ('*', 'contact.deleted'))
BEGIN
    INSERT INTO webhook_events (account_id, event_type, object_id, detail, created_at)
    VALUES (old.account_id, 'contact.deleted', old.id,
            json_object('id', CAST(old.id AS TEXT),
                        'type', CASE old.type WHEN 1 THEN 'client' ELSE 'contact' END,
                        'name', old.name, 'phoneNumber', old.phone, 'email', old.email,
                        'externalId', old.external_id),
            unixepoch());
END;
CREATE TRIGGER webhook_broadcast_new AFTER INSERT ON broadcasts
WHEN new.status = 1 AND EXISTS (SELECT 1 FROM webhook_subscriptions
             WHERE account_id = new.account_id AND event_type IN ('*', 'broadcast.started'))
BEGIN
    INSERT INTO webhook_events (account_id, event_type, object_id, created_at)
    VALUES (new.account_id, 'broadcast.started', new.id, new.updated_at);
END;
CREATE TRIGGER webhook_broadcast_status AFTER UPDATE OF status ON broadcasts
WHEN new.status <> old.status AND (new.status IN (2, 3) OR (new.status = 1 AND old.status = 0))
    AND EXISTS (SELECT 1 FROM webhook_subscriptions
             WHERE account_id = new.account_id AND event_type IN ('*', CASE new.status WHEN 1 THEN 'broadcast.started' WHEN 2 THEN 'broadcast.paused'
        ELSE 'broadcast.completed' END))
BEGIN
    INSERT INTO webhook_events (account_id, event_type, object_id, detail, created_at)
    VALUES (new.account_id, CASE new.status WHEN 1 THEN 'broadcast.started' WHEN 2 THEN 'broadcast.paused'
        ELSE 'broadcast.completed' END, new.id,
            CASE new.status WHEN 2 THEN json_object('reason', new.paused_reason) END,
            new.updated_at);
END;
