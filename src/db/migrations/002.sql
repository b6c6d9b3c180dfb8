-- Version 2: the message log, the WhatsApp session window, broadcasts, idempotency keys,
-- indexes for segment counts.
ALTER TABLE contacts ADD COLUMN whatsapp_inbound_at INTEGER;
-- Tag links carry the person's type, so a tag's members of one type count from the index.
ALTER TABLE contact_tags ADD COLUMN type INTEGER NOT NULL DEFAULT 0;
UPDATE contact_tags SET type = 1 WHERE contact_id IN (SELECT id FROM contacts WHERE type = 1);
DROP INDEX contact_tags_by_tag;
CREATE INDEX contact_tags_by_tag ON contact_tags (tag_id, type, contact_id);
-- Segment rules over stage and gender, and over age or birth date, count from these
-- indexes alone instead of scanning every row (README, "Measured").
CREATE INDEX contacts_by_stage ON contacts (account_id, type, contact_stage, gender);
CREATE INDEX contacts_by_birth_date ON contacts (account_id, type, birth_date)
    WHERE birth_date IS NOT NULL;
-- An account's people in id order (lists, keyset pages, the import's appends), carrying
-- the first eight custom attributes the account uses: rules over those scan this narrow
-- copy instead of the wide rows.
CREATE INDEX contacts_by_attributes
    ON contacts (account_id, type, id, a1, a2, a3, a4, a5, a6, a7, a8);
DROP INDEX contacts_by_account;
-- Incoming messages find their sender by channel id (phones have contacts_by_phone).
CREATE INDEX contacts_by_telegram ON contacts (account_id, type, telegram_id)
    WHERE telegram_id IS NOT NULL;
CREATE INDEX contacts_by_instagram ON contacts (account_id, type, instagram_id)
    WHERE instagram_id IS NOT NULL;
CREATE INDEX contacts_by_messenger ON contacts (account_id, type, messenger_id)
    WHERE messenger_id IS NOT NULL;

-- Every message sent or received. status: 0 scheduled, 1 queued, 2 sending (claimed by the
-- delivery worker and handed to a transport), 3 sent, 4 delivered, 5 read, 6 failed,
-- 7 cancelled, 8 received (incoming). Only ever moves forward (src/messages/model.rs).
CREATE TABLE messages (
    id            INTEGER PRIMARY KEY,
    account_id    INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    contact_id    INTEGER NOT NULL,
    channel       TEXT    NOT NULL
                  CHECK (channel = 'whatsapp' OR channel = 'telegram' OR channel = 'instagram'
                         OR channel = 'messenger'),
    incoming      INTEGER NOT NULL CHECK (incoming = 0 OR incoming = 1),
    kind          TEXT    NOT NULL CHECK (kind = 'text' OR kind = 'media' OR kind = 'template'),
    sent_by       TEXT,
    status        INTEGER NOT NULL CHECK (status BETWEEN 0 AND 8),
    error_message TEXT,
    text          TEXT,
    header_text   TEXT,
    footer_text   TEXT,
    media_url     TEXT,
    mime_type     TEXT,
    options       TEXT,     -- JSON {type, buttons}, as the log shows it
    payload       TEXT,     -- JSON for the transport: template name and parameters, elements
    location_id   INTEGER,
    broadcast_id  INTEGER,  -- set on a broadcast's messages; their text is filled when sent
    provider_id   TEXT,     -- the provider's message id, once a transport knows it
    attempts      INTEGER NOT NULL DEFAULT 0,
    retry_at      INTEGER,  -- a queued message that failed for now waits until then
    created_at    INTEGER NOT NULL,
    scheduled_at  INTEGER,
    sent_at       INTEGER,
    updated_at    INTEGER NOT NULL
);
CREATE INDEX messages_by_contact ON messages (contact_id, id);
-- What the delivery worker looks for: due scheduled, queued, and interrupted messages.
-- Partial, so they stay as small as the work waiting, however long the log grows.
CREATE INDEX messages_scheduled ON messages (scheduled_at) WHERE status = 0;
CREATE INDEX messages_queued ON messages (id) WHERE status = 1 AND broadcast_id IS NULL;
-- A broadcast's messages by status: its live stats, and the paced claims of its queue.
CREATE INDEX messages_by_broadcast ON messages (broadcast_id, status)
    WHERE broadcast_id IS NOT NULL;
CREATE INDEX messages_sending ON messages (id) WHERE status = 2;
-- Provider webhooks find a message by the provider's id (status callbacks, redeliveries).
CREATE INDEX messages_by_provider_id ON messages (account_id, provider_id)
    WHERE provider_id IS NOT NULL;
-- A person's log goes with the person (API.md §4: deleting a contact deletes its messages).
CREATE TRIGGER contacts_drop_messages AFTER DELETE ON contacts BEGIN
    DELETE FROM messages WHERE contact_id = old.id;
END;

-- Broadcasts (API.md §8): one message to each member of a segment, created set-wise by
-- the delivery worker in chunks of contact ids (fanout_after is the last id done, so a
-- restart resumes without creating anyone's message twice), then sent at a paced rate.
-- status: 0 scheduled, 1 running, 2 paused, 3 completed, 4 cancelled.
CREATE TABLE broadcasts (
    id                  INTEGER PRIMARY KEY,
    account_id          INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    name                TEXT    NOT NULL,
    segment_id          INTEGER NOT NULL,
    person_type         INTEGER NOT NULL,  -- the segment's: contacts 0, clients 1
    channel             TEXT    NOT NULL,
    request             TEXT    NOT NULL,  -- JSON: template and parameters, or textMessage
    status              INTEGER NOT NULL CHECK (status BETWEEN 0 AND 4),
    fanout_after        INTEGER NOT NULL DEFAULT 0,
    fanout_done         INTEGER NOT NULL DEFAULT 0,
    skipped_opted_out   INTEGER NOT NULL DEFAULT 0,
    skipped_unreachable INTEGER NOT NULL DEFAULT 0,
    failure_run         INTEGER NOT NULL DEFAULT 0,  -- messages failed in a row
    paused_reason       TEXT,
    scheduled_at        INTEGER,
    started_at          INTEGER,
    completed_at        INTEGER,
    created_at          INTEGER NOT NULL,
    updated_at          INTEGER NOT NULL
);
CREATE INDEX broadcasts_by_account ON broadcasts (account_id, id);

-- Per-account provider settings of each channel (JSON; secrets included, never shown by
-- the API). A channel without a row delivers through the sandbox.
CREATE TABLE channel_settings (
    account_id INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    channel    TEXT    NOT NULL,
    settings   TEXT    NOT NULL,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (account_id, channel)
) WITHOUT ROWID;

-- Answers of sends made with an Idempotency-Key, replayed for 24 hours (API.md §7).
CREATE TABLE idempotency_keys (
    account_id   INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    key          TEXT    NOT NULL,
    request_hash BLOB    NOT NULL,
    response     TEXT    NOT NULL,
    created_at   INTEGER NOT NULL,
    PRIMARY KEY (account_id, key)
) WITHOUT ROWID;
