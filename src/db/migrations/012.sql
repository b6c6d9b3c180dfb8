-- Version 12: broadcasts to a list of people rather than a segment (Wati's
-- sendTemplateMessages), each person with template parameters of their own. Such a
-- broadcast has segment_id 0.
CREATE TABLE broadcast_recipients (
    broadcast_id INTEGER NOT NULL REFERENCES broadcasts (id) ON DELETE CASCADE,
    contact_id   INTEGER NOT NULL,
    parameters   TEXT    NOT NULL,  -- JSON {"header": [...], "body": [...]}
    PRIMARY KEY (broadcast_id, contact_id)
) WITHOUT ROWID;
