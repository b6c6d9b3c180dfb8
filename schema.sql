-- Switchboard's whole schema for a new database. Embedded into the binary and run once,
-- when the file is new. `PRAGMA user_version` records which version a file holds; later
-- versions add numbered migrations in src/db/migrations/ (NNN.sql, listed in
-- src/db/schema.rs), one transaction each, and change this file to match.
--
-- Conventions: integer primary keys (rendered as strings in JSON); times are unix
-- seconds (UTC); every table holding account data has account_id.

CREATE TABLE accounts (
    id               INTEGER PRIMARY KEY,
    email            TEXT    NOT NULL UNIQUE COLLATE NOCASE,
    password_hash    TEXT    NOT NULL,
    plan             TEXT    NOT NULL CHECK (plan IN ('trial', 'subscribed', 'unlimited')),
    -- Per-account overrides of the plan's limits; NULL means "as the plan says".
    limit_per_minute INTEGER CHECK (limit_per_minute >= 0),
    limit_per_day    INTEGER CHECK (limit_per_day >= 0),
    limit_segments   INTEGER CHECK (limit_segments >= 0),
    created_at       INTEGER NOT NULL,
    -- Version 9 (appended): overrides of the plan's storage quotas.
    limit_contacts   INTEGER CHECK (limit_contacts >= 0),
    limit_messages   INTEGER CHECK (limit_messages >= 0)
);

-- Version 9: what each account stores, for its quotas. The code that inserts people and
-- messages adds them (an import or a fan-out once a batch: a trigger a row would cost
-- them a share of their time); the triggers below subtract what is deleted.
CREATE TABLE account_usage (
    account_id INTEGER PRIMARY KEY REFERENCES accounts (id) ON DELETE CASCADE,
    people     INTEGER NOT NULL DEFAULT 0,
    messages   INTEGER NOT NULL DEFAULT 0
);

-- API keys: only the SHA-256 digest of the secret is kept.
CREATE TABLE api_keys (
    id           INTEGER PRIMARY KEY,
    account_id   INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    name         TEXT    NOT NULL,
    prefix       TEXT    NOT NULL,
    digest       BLOB    NOT NULL UNIQUE,
    created_at   INTEGER NOT NULL,
    last_used_at INTEGER,
    revoked_at   INTEGER
);
CREATE INDEX api_keys_by_account ON api_keys (account_id);

-- Admin page sessions: only the digest of the cookie's token is kept.
CREATE TABLE admin_sessions (
    digest     BLOB    PRIMARY KEY,
    account_id INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX admin_sessions_by_account ON admin_sessions (account_id);

-- Requests per account per UTC day (day = unix days), so the daily quota survives a restart.
CREATE TABLE usage_daily (
    account_id INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    day        INTEGER NOT NULL,
    requests   INTEGER NOT NULL,
    PRIMARY KEY (account_id, day)
) WITHOUT ROWID;

-- Locations (branches) of an account.
CREATE TABLE locations (
    id         INTEGER PRIMARY KEY,
    account_id INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    title      TEXT    NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE INDEX locations_by_account ON locations (account_id, id);

-- Custom attribute names of an account. Each name owns one of the 64 value columns
-- (a1..a64) of `contacts`, and holds one kind of value, fixed by its first use.
-- Columns instead of a key/value table: a rule over five custom attributes then scans one
-- row per contact with no joins and no JSON parsing (measured: BENCHMARKS.md).
CREATE TABLE attribute_keys (
    account_id INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    slot       INTEGER NOT NULL CHECK (slot BETWEEN 1 AND 64),
    name       TEXT    NOT NULL COLLATE NOCASE,
    kind       TEXT    NOT NULL CHECK (kind IN ('string', 'number', 'boolean')),
    PRIMARY KEY (account_id, slot),
    UNIQUE (account_id, name)
) WITHOUT ROWID;

-- Contacts (type 0) and clients (type 1): one store, two APIs.
CREATE TABLE contacts (
    id               INTEGER PRIMARY KEY,
    account_id       INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    type             INTEGER NOT NULL CHECK (type IN (0, 1)),
    name             TEXT,
    first_name       TEXT,
    last_name        TEXT,
    phone            TEXT,     -- E.164
    email            TEXT COLLATE NOCASE,
    external_id      TEXT,
    -- Not `IN (...)`: a list of three compiles to a temporary index built at every insert.
    gender           TEXT CHECK (gender = 'Male' OR gender = 'Female' OR gender = 'Other'),
    birth_date       TEXT,     -- YYYY-MM-DD
    contact_stage    TEXT COLLATE NOCASE,
    channel          TEXT,
    telegram_id      TEXT,
    instagram_id     TEXT,
    messenger_id     TEXT,
    location_id      INTEGER REFERENCES locations (id) ON DELETE SET NULL,
    opted_out        INTEGER NOT NULL DEFAULT 0,
    last_activity_at INTEGER,
    created_at       INTEGER NOT NULL,
    updated_at       INTEGER NOT NULL,
    -- Custom attribute values; no declared type, so values keep the type they are given.
    a1 COLLATE NOCASE,
    a2 COLLATE NOCASE,
    a3 COLLATE NOCASE,
    a4 COLLATE NOCASE,
    a5 COLLATE NOCASE,
    a6 COLLATE NOCASE,
    a7 COLLATE NOCASE,
    a8 COLLATE NOCASE,
    a9 COLLATE NOCASE,
    a10 COLLATE NOCASE,
    a11 COLLATE NOCASE,
    a12 COLLATE NOCASE,
    a13 COLLATE NOCASE,
    a14 COLLATE NOCASE,
    a15 COLLATE NOCASE,
    a16 COLLATE NOCASE,
    a17 COLLATE NOCASE,
    a18 COLLATE NOCASE,
    a19 COLLATE NOCASE,
    a20 COLLATE NOCASE,
    a21 COLLATE NOCASE,
    a22 COLLATE NOCASE,
    a23 COLLATE NOCASE,
    a24 COLLATE NOCASE,
    a25 COLLATE NOCASE,
    a26 COLLATE NOCASE,
    a27 COLLATE NOCASE,
    a28 COLLATE NOCASE,
    a29 COLLATE NOCASE,
    a30 COLLATE NOCASE,
    a31 COLLATE NOCASE,
    a32 COLLATE NOCASE,
    a33 COLLATE NOCASE,
    a34 COLLATE NOCASE,
    a35 COLLATE NOCASE,
    a36 COLLATE NOCASE,
    a37 COLLATE NOCASE,
    a38 COLLATE NOCASE,
    a39 COLLATE NOCASE,
    a40 COLLATE NOCASE,
    a41 COLLATE NOCASE,
    a42 COLLATE NOCASE,
    a43 COLLATE NOCASE,
    a44 COLLATE NOCASE,
    a45 COLLATE NOCASE,
    a46 COLLATE NOCASE,
    a47 COLLATE NOCASE,
    a48 COLLATE NOCASE,
    a49 COLLATE NOCASE,
    a50 COLLATE NOCASE,
    a51 COLLATE NOCASE,
    a52 COLLATE NOCASE,
    a53 COLLATE NOCASE,
    a54 COLLATE NOCASE,
    a55 COLLATE NOCASE,
    a56 COLLATE NOCASE,
    a57 COLLATE NOCASE,
    a58 COLLATE NOCASE,
    a59 COLLATE NOCASE,
    a60 COLLATE NOCASE,
    a61 COLLATE NOCASE,
    a62 COLLATE NOCASE,
    a63 COLLATE NOCASE,
    a64 COLLATE NOCASE,
    -- Version 2 (appended, as its migration adds it): the last incoming WhatsApp message,
    -- which opens the 24-hour window for free-form sends.
    whatsapp_inbound_at INTEGER,
    -- Version 4 (appended): the names of the person's tags as a JSON array, in the order
    -- answers list them (`tags.name` order), copied from its contact_tags links whenever
    -- they change (tags are never renamed). A read of one person then touches its own
    -- row only; the links' leaf was a second random page on every read.
    tag_names TEXT NOT NULL DEFAULT '[]',
    -- Version 19 (appended): one bit for each of the person's tags that owns one
    -- (`tags.bit`), written with `tag_names`. The narrow index carries it, so a rule
    -- counted by scanning that index tests a tag there instead of probing the tag links
    -- for each person.
    tag_bits INTEGER NOT NULL DEFAULT 0
);
CREATE UNIQUE INDEX contacts_by_phone ON contacts (account_id, type, phone) WHERE phone IS NOT NULL;
CREATE UNIQUE INDEX contacts_by_external_id ON contacts (account_id, type, external_id)
    WHERE external_id IS NOT NULL;
CREATE INDEX contacts_by_location ON contacts (location_id) WHERE location_id IS NOT NULL;
-- An account's people in id order (lists, keyset pages, the import's appends), carrying
-- the stage, gender and birth date, the first eight custom attributes the account uses,
-- (version 19) the tag bits and (version 20) the last activity, creation time and opt-out:
-- rules over those scan this narrow copy instead of the wide rows. Not the location: with
-- it here, SQLite counted a location's people by scanning this index, slower than reading
-- contacts_by_location even for a location of a fifth of them. Version 17: it replaced an index by stage and one by birth
-- date, whose keys arrive in no order and cost an import more than any other
-- (BENCHMARKS.md, import costs); counts over those fields alone are summed from the
-- counters below.
CREATE INDEX contacts_by_attributes ON contacts (account_id, type, id,
    contact_stage, gender, birth_date, a1, a2, a3, a4, a5, a6, a7, a8, tag_bits,
    last_activity_at, created_at, opted_out);
-- Incoming messages find their sender by channel id (phones have contacts_by_phone).
CREATE INDEX contacts_by_telegram ON contacts (account_id, type, telegram_id)
    WHERE telegram_id IS NOT NULL;
CREATE INDEX contacts_by_instagram ON contacts (account_id, type, instagram_id)
    WHERE instagram_id IS NOT NULL;
CREATE INDEX contacts_by_messenger ON contacts (account_id, type, messenger_id)
    WHERE messenger_id IS NOT NULL;

-- People per birth date: a segment rule over age or birth date alone is counted from these
-- rows (one a day, a few thousand for a range of years) instead of from every person's
-- entry in contacts_by_attributes (docs/design.md). Version 16: the code that inserts
-- people adds them, once per date per batch (src/contacts/counters.rs); the triggers below
-- follow updates and deletes. Their decrements are upserts too: an import updating a
-- person its own batch inserted runs before the batch's sums are written.
CREATE TABLE birth_date_counts (
    account_id INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    type       INTEGER NOT NULL,
    birth_date TEXT    NOT NULL,
    n          INTEGER NOT NULL,
    PRIMARY KEY (account_id, type, birth_date)
) WITHOUT ROWID;
CREATE TRIGGER contacts_uncount_birth_date AFTER DELETE ON contacts
    WHEN old.birth_date IS NOT NULL BEGIN
    INSERT INTO birth_date_counts VALUES (old.account_id, old.type, old.birth_date, -1)
        ON CONFLICT DO UPDATE SET n = n - 1;
END;
CREATE TRIGGER contacts_recount_birth_date AFTER UPDATE OF birth_date ON contacts
    WHEN old.birth_date IS NOT new.birth_date BEGIN
    INSERT INTO birth_date_counts SELECT old.account_id, old.type, old.birth_date, -1
        WHERE old.birth_date IS NOT NULL
        ON CONFLICT DO UPDATE SET n = n - 1;
    INSERT INTO birth_date_counts SELECT new.account_id, new.type, new.birth_date, 1
        WHERE new.birth_date IS NOT NULL
        ON CONFLICT DO UPDATE SET n = n + 1;
END;

-- Version 7: people per stage and gender, for those with either set: a rule over stage and
-- gender alone that nobody without both matches is summed from these rows (a few per
-- account) instead of counted from contacts_by_attributes, one entry per person
-- (docs/design.md). '' stands for none (neither may be stored empty). Inserts are counted
-- as birth dates are (version 16); the triggers below follow updates and deletes.
CREATE TABLE stage_gender_counts (
    account_id    INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    type          INTEGER NOT NULL,
    contact_stage TEXT    NOT NULL COLLATE NOCASE,
    gender        TEXT    NOT NULL,
    n             INTEGER NOT NULL,
    PRIMARY KEY (account_id, type, contact_stage, gender)
) WITHOUT ROWID;
CREATE TRIGGER contacts_uncount_stage AFTER DELETE ON contacts
    WHEN old.contact_stage IS NOT NULL OR old.gender IS NOT NULL BEGIN
    INSERT INTO stage_gender_counts VALUES (old.account_id, old.type,
        coalesce(old.contact_stage, ''), coalesce(old.gender, ''), -1)
        ON CONFLICT DO UPDATE SET n = n - 1;
END;
CREATE TRIGGER contacts_recount_stage AFTER UPDATE OF contact_stage, gender ON contacts
    WHEN old.contact_stage IS NOT new.contact_stage OR old.gender IS NOT new.gender BEGIN
    INSERT INTO stage_gender_counts SELECT old.account_id, old.type,
        coalesce(old.contact_stage, ''), coalesce(old.gender, ''), -1
        WHERE old.contact_stage IS NOT NULL OR old.gender IS NOT NULL
        ON CONFLICT DO UPDATE SET n = n - 1;
    INSERT INTO stage_gender_counts SELECT new.account_id, new.type,
        coalesce(new.contact_stage, ''), coalesce(new.gender, ''), 1
        WHERE new.contact_stage IS NOT NULL OR new.gender IS NOT NULL
        ON CONFLICT DO UPDATE SET n = n + 1;
END;

-- Tags: names per account (case-insensitive), and which person carries which.
CREATE TABLE tags (
    id         INTEGER PRIMARY KEY,
    account_id INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    name       TEXT    NOT NULL COLLATE NOCASE,
    -- Version 5 (appended): the contacts and the clients carrying the tag, so that "everyone
    -- tagged X" and `GET /v1/tags` read a number instead of counting index entries, one
    -- per person). The code that inserts links adds them (an insert
    -- trigger made imports markedly slower); contact_tags_uncount subtracts.
    contact_count INTEGER NOT NULL DEFAULT 0,
    client_count  INTEGER NOT NULL DEFAULT 0,
    -- Version 19 (appended): the tag's bit in `contacts.tag_bits`, 0 to 62, given to a new
    -- tag while one of the account's 63 is free (a deleted tag frees its own); else NULL.
    bit           INTEGER CHECK (bit BETWEEN 0 AND 62),
    UNIQUE (account_id, name)
);
CREATE UNIQUE INDEX tags_by_bit ON tags (account_id, bit) WHERE bit IS NOT NULL;
-- Links are written only by code holding ids of the same account; triggers (not foreign
-- keys) remove them with their contact or tag, which spares two parent lookups per link on
-- every insert (imports write millions).
CREATE TABLE contact_tags (
    contact_id INTEGER NOT NULL,
    tag_id     INTEGER NOT NULL,
    -- The person's type (it never changes), copied so that a segment of everyone with a
    -- tag is counted from contact_tags_by_tag alone, without visiting contacts.
    type       INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (contact_id, tag_id)
) WITHOUT ROWID;
CREATE INDEX contact_tags_by_tag ON contact_tags (tag_id, type, contact_id);
CREATE TRIGGER contacts_drop_tag_links AFTER DELETE ON contacts BEGIN
    DELETE FROM contact_tags WHERE contact_id = old.id;
END;
CREATE TRIGGER contact_tags_uncount AFTER DELETE ON contact_tags BEGIN
    UPDATE tags SET contact_count = contact_count - (old.type = 0),
                    client_count = client_count - (old.type = 1)
    WHERE id = old.tag_id;
END;
CREATE TRIGGER tags_drop_links AFTER DELETE ON tags BEGIN
    UPDATE contacts SET tag_bits = tag_bits & ~(1 << old.bit)
    WHERE old.bit IS NOT NULL
      AND id IN (SELECT contact_id FROM contact_tags WHERE tag_id = old.id);
    DELETE FROM contact_tags WHERE tag_id = old.id;
END;

-- Segments: a dynamic one holds a rule (compiled at every read, so membership is always
-- current); a static one holds its members in segment_members.
CREATE TABLE segments (
    id          INTEGER PRIMARY KEY,
    account_id  INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    type        INTEGER NOT NULL CHECK (type = 0 OR type = 1),
    name        TEXT    NOT NULL,
    description TEXT,
    dynamic     INTEGER NOT NULL CHECK (dynamic = 0 OR dynamic = 1),
    criteria    TEXT,     -- Whautomate's criteria object
    rule        TEXT,     -- {"groups": [...], "groupLogic": ...}
    location_id INTEGER REFERENCES locations (id) ON DELETE SET NULL,
    extra       TEXT,     -- a dialect's own fields (Segmenter's broadcastMediumId, …), echoed
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL,
    -- Version 8 (appended): the rule in its canonical form, which counts, member lists and
    -- fan-outs read (src/segments/rules.rs); criteria and rule above are as sent, echoed.
    definition  TEXT
);
CREATE INDEX segments_by_account ON segments (account_id, id);

CREATE TABLE segment_members (
    segment_id INTEGER NOT NULL REFERENCES segments (id) ON DELETE CASCADE,
    contact_id INTEGER NOT NULL REFERENCES contacts (id) ON DELETE CASCADE,
    PRIMARY KEY (segment_id, contact_id)
) WITHOUT ROWID;
CREATE INDEX segment_members_by_contact ON segment_members (contact_id);

-- WhatsApp-style message templates (a self-hosted install has no Meta review step).
-- header and buttons are JSON as validated by the server.
CREATE TABLE templates (
    id         INTEGER PRIMARY KEY,
    account_id INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    name       TEXT    NOT NULL,
    language   TEXT    NOT NULL,
    category   TEXT,
    header     TEXT,
    body       TEXT    NOT NULL,
    footer     TEXT,
    buttons    TEXT    NOT NULL DEFAULT '[]',
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    -- Version 15 (appended): its approval, as WhatsApp reports it (templates::model), and
    -- why; a template made here is APPROVED, as the sandbox's are.
    status     TEXT    NOT NULL DEFAULT 'APPROVED'
               CHECK (status IN ('APPROVED', 'PENDING', 'REJECTED', 'PAUSED', 'DISABLED')),
    status_reason TEXT,
    UNIQUE (account_id, name, language)
);

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
    updated_at    INTEGER NOT NULL,
    -- Version 8 (appended): why a message failed, as a code (`outcome_unknown`, the
    -- provider's own error code, …) beside error_message.
    error_code    TEXT,
    -- Version 14 (appended): the provider's pricing of the message (WhatsApp's category:
    -- marketing, utility, authentication, service; billable 0 or 1), and when its
    -- recipient replied (a broadcast's message, within the reply window).
    pricing_category TEXT,
    billable      INTEGER,
    replied_at    INTEGER
);
-- A person's log is two halves that the indexes keep apart, so that a broadcast's fan-out
-- only appends: direct messages by person, and a broadcast's messages by status and then
-- person (its live stats and paced claims, and a person's share of it). One index over
-- every message by person took a B-tree descent into its middle for each of a fan-out's
-- rows: about a third of the fan-out's instructions. Code that finds a person's messages
-- asks both halves (`messages::store::of_person`; the trigger below).
CREATE INDEX messages_by_contact ON messages (contact_id, id) WHERE broadcast_id IS NULL;
-- What the delivery worker looks for: due scheduled, queued, and interrupted messages.
-- Partial, so they stay as small as the work waiting, however long the log grows.
CREATE INDEX messages_scheduled ON messages (scheduled_at) WHERE status = 0;
-- Queued single sends by account (each account's claimed in turn, up to its free slots).
CREATE INDEX messages_queued ON messages (account_id, id) WHERE status = 1 AND broadcast_id IS NULL;
CREATE INDEX messages_by_broadcast ON messages (broadcast_id, status, contact_id)
    WHERE broadcast_id IS NOT NULL;
CREATE INDEX messages_sending ON messages (id) WHERE status = 2;
-- Provider webhooks find a message by the provider's id (status callbacks, redeliveries).
CREATE INDEX messages_by_provider_id ON messages (account_id, provider_id)
    WHERE provider_id IS NOT NULL;
-- A person's log goes with the person (docs/api.md#contacts-clients-tags-locations:
-- deleting a contact deletes its messages).
CREATE TRIGGER contacts_drop_messages AFTER DELETE ON contacts BEGIN
    DELETE FROM messages WHERE broadcast_id IS NULL AND contact_id = old.id;
    DELETE FROM messages
    WHERE broadcast_id IN (SELECT id FROM broadcasts WHERE account_id = old.account_id)
      AND status IN (0, 1, 2, 3, 4, 5, 6, 7, 8) AND contact_id = old.id;
END;

-- Broadcasts (docs/api.md#broadcasts): one message to each member of a segment, created
-- set-wise by the delivery worker in chunks of contact ids (fanout_after is the last id
-- done, so a restart resumes without creating anyone's message twice), then sent at a paced
-- rate. status: 0 scheduled, 1 running, 2 paused, 3 completed, 4 cancelled.
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

-- Each broadcast's counters, kept as its messages move (messages::tally), so that its
-- report reads a few rows rather than counting a million. metric: messages (made by the
-- fan-out), sent, delivered, read (each counted once a message reaches it, so a read
-- without a delivered counts as both), failed, cancelled, replied, billable,
-- pricing:<category>, error:<code> (with a sample of its message).
CREATE TABLE broadcast_counts (
    broadcast_id INTEGER NOT NULL REFERENCES broadcasts (id) ON DELETE CASCADE,
    metric       TEXT    NOT NULL,
    n            INTEGER NOT NULL,
    sample       TEXT,
    PRIMARY KEY (broadcast_id, metric)
) WITHOUT ROWID;

-- A broadcast's messages that reached sent, delivered and read in each minute (unix
-- minute), for its timeline.
CREATE TABLE broadcast_minutes (
    broadcast_id INTEGER NOT NULL REFERENCES broadcasts (id) ON DELETE CASCADE,
    minute       INTEGER NOT NULL,
    sent         INTEGER NOT NULL DEFAULT 0,
    delivered    INTEGER NOT NULL DEFAULT 0,
    read         INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (broadcast_id, minute)
) WITHOUT ROWID;

-- A broadcast to a list of people rather than a segment (segment_id 0), each with template
-- parameters of their own (Wati's sendTemplateMessages).
CREATE TABLE broadcast_recipients (
    broadcast_id INTEGER NOT NULL REFERENCES broadcasts (id) ON DELETE CASCADE,
    contact_id   INTEGER NOT NULL,
    parameters   TEXT    NOT NULL,  -- JSON {"header": [...], "body": [...]}
    PRIMARY KEY (broadcast_id, contact_id)
) WITHOUT ROWID;

-- Files uploaded to be sent (Wati's sendSessionFile), fetched by name (getMedia). Kept in
-- the database so that a backup or a replica holds them too; bounded per account
-- (media::model::MAX_ACCOUNT_BYTES).
CREATE TABLE media (
    id          INTEGER PRIMARY KEY,
    account_id  INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    name        TEXT    NOT NULL,  -- unguessable, with the type's extension
    original    TEXT    NOT NULL,  -- the name it was uploaded with
    mime_type   TEXT    NOT NULL,
    size        INTEGER NOT NULL,
    content     BLOB    NOT NULL,
    created_at  INTEGER NOT NULL,
    UNIQUE (account_id, name)
);

-- Per-account provider settings of each channel (JSON; secrets included, never shown by
-- the API). A channel without a row delivers through the sandbox.
CREATE TABLE channel_settings (
    account_id INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    channel    TEXT    NOT NULL,
    settings   TEXT    NOT NULL,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (account_id, channel)
) WITHOUT ROWID;

-- Answers of sends made with an Idempotency-Key, replayed for 24 hours
-- (docs/api.md#messages).
CREATE TABLE idempotency_keys (
    account_id   INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    key          TEXT    NOT NULL,
    request_hash BLOB    NOT NULL,
    response     TEXT    NOT NULL,
    created_at   INTEGER NOT NULL,
    PRIMARY KEY (account_id, key)
) WITHOUT ROWID;

-- Small counters shared between the server and the command line. `auth_epoch` is bumped by
-- anything that invalidates cached keys or limits (revocation, plan change) so a running
-- server drops its cache even when the change came from another process.
CREATE TABLE meta (
    key   TEXT    PRIMARY KEY,
    value INTEGER NOT NULL
) WITHOUT ROWID;
INSERT INTO meta (key, value) VALUES ('auth_epoch', 0);

-- Version 9: deleted people and messages leave the account's counts (account_usage).
CREATE TRIGGER contacts_unstore AFTER DELETE ON contacts BEGIN
    UPDATE account_usage SET people = people - 1 WHERE account_id = old.account_id;
END;
CREATE TRIGGER messages_unstore AFTER DELETE ON messages BEGIN
    UPDATE account_usage SET messages = messages - 1 WHERE account_id = old.account_id;
END;

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

-- Events, recorded in the transaction of the change itself (by triggers, or by the code that
-- makes messages and people where a trigger would cost every row). `payload` is the
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
-- Events to dispatch: in id order for the worker, by object for the triggers that
-- coalesce a person's updates.
CREATE INDEX webhook_events_undispatched ON webhook_events (dispatched) WHERE dispatched = 0;
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
CREATE INDEX webhook_deliveries_by_endpoint ON webhook_deliveries (endpoint_id, id);
CREATE INDEX webhook_deliveries_by_event ON webhook_deliveries (event_id);

-- Version 18: `contact.created` is recorded by the code that inserts people
-- (src/contacts/store.rs, record_created), as message events are: a trigger on insert made
-- every insert statement keep a statement journal, which cost an import more than its rows.

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
