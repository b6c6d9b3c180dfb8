-- Switchboard's whole schema for a new database. Embedded into the binary and run once,
-- when the file is new. `PRAGMA user_version` records which version a file holds; later
-- versions add numbered migrations in src/db/schema.rs, one transaction each.
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
    created_at       INTEGER NOT NULL
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

-- Small counters shared between the server and the command line. `auth_epoch` is bumped by
-- anything that invalidates cached keys or limits (revocation, plan change) so a running
-- server drops its cache even when the change came from another process.
CREATE TABLE meta (
    key   TEXT    PRIMARY KEY,
    value INTEGER NOT NULL
) WITHOUT ROWID;
INSERT INTO meta (key, value) VALUES ('auth_epoch', 0);

PRAGMA user_version = 1;
