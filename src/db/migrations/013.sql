-- Version 13: files uploaded to be sent (Wati's sendSessionFile), fetched by name
-- (getMedia). Kept in the database so that a backup or a replica holds them too.
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
