-- Version 7: people per stage and gender, kept by triggers (schema.sql has the reasons).
CREATE TABLE stage_gender_counts (
    account_id    INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    type          INTEGER NOT NULL,
    contact_stage TEXT    NOT NULL COLLATE NOCASE,
    gender        TEXT    NOT NULL,
    n             INTEGER NOT NULL,
    PRIMARY KEY (account_id, type, contact_stage, gender)
) WITHOUT ROWID;
CREATE TRIGGER contacts_count_stage AFTER INSERT ON contacts
    WHEN new.contact_stage IS NOT NULL OR new.gender IS NOT NULL BEGIN
    INSERT INTO stage_gender_counts VALUES (new.account_id, new.type,
        coalesce(new.contact_stage, ''), coalesce(new.gender, ''), 1)
        ON CONFLICT DO UPDATE SET n = n + 1;
END;
CREATE TRIGGER contacts_uncount_stage AFTER DELETE ON contacts
    WHEN old.contact_stage IS NOT NULL OR old.gender IS NOT NULL BEGIN
    UPDATE stage_gender_counts SET n = n - 1
    WHERE account_id = old.account_id AND type = old.type
      AND contact_stage = coalesce(old.contact_stage, '') AND gender = coalesce(old.gender, '');
END;
CREATE TRIGGER contacts_recount_stage AFTER UPDATE OF contact_stage, gender ON contacts
    WHEN old.contact_stage IS NOT new.contact_stage OR old.gender IS NOT new.gender BEGIN
    UPDATE stage_gender_counts SET n = n - 1
    WHERE (old.contact_stage IS NOT NULL OR old.gender IS NOT NULL)
      AND account_id = old.account_id AND type = old.type
      AND contact_stage = coalesce(old.contact_stage, '') AND gender = coalesce(old.gender, '');
    INSERT INTO stage_gender_counts SELECT new.account_id, new.type,
        coalesce(new.contact_stage, ''), coalesce(new.gender, ''), 1
        WHERE new.contact_stage IS NOT NULL OR new.gender IS NOT NULL
        ON CONFLICT DO UPDATE SET n = n + 1;
END;
INSERT INTO stage_gender_counts
    SELECT account_id, type, coalesce(contact_stage, ''), coalesce(gender, ''), count(*)
    FROM contacts WHERE contact_stage IS NOT NULL OR gender IS NOT NULL
    GROUP BY account_id, type, coalesce(contact_stage, '') COLLATE NOCASE, coalesce(gender, '');
