-- Version 3: people per birth date, so that rules over age or birth date alone count
-- from a few thousand rows (schema.sql has the reasons).
CREATE TABLE birth_date_counts (
    account_id INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    type       INTEGER NOT NULL,
    birth_date TEXT    NOT NULL,
    n          INTEGER NOT NULL,
    PRIMARY KEY (account_id, type, birth_date)
) WITHOUT ROWID;
CREATE TRIGGER contacts_count_birth_date AFTER INSERT ON contacts
    WHEN new.birth_date IS NOT NULL BEGIN
    INSERT INTO birth_date_counts VALUES (new.account_id, new.type, new.birth_date, 1)
        ON CONFLICT DO UPDATE SET n = n + 1;
END;
CREATE TRIGGER contacts_uncount_birth_date AFTER DELETE ON contacts
    WHEN old.birth_date IS NOT NULL BEGIN
    UPDATE birth_date_counts SET n = n - 1
    WHERE account_id = old.account_id AND type = old.type AND birth_date = old.birth_date;
END;
CREATE TRIGGER contacts_recount_birth_date AFTER UPDATE OF birth_date ON contacts
    WHEN old.birth_date IS NOT new.birth_date BEGIN
    UPDATE birth_date_counts SET n = n - 1
    WHERE old.birth_date IS NOT NULL AND account_id = old.account_id AND type = old.type
      AND birth_date = old.birth_date;
    INSERT INTO birth_date_counts SELECT new.account_id, new.type, new.birth_date, 1
        WHERE new.birth_date IS NOT NULL
        ON CONFLICT DO UPDATE SET n = n + 1;
END;
INSERT INTO birth_date_counts
    SELECT account_id, type, birth_date, count(*) FROM contacts
    WHERE birth_date IS NOT NULL GROUP BY account_id, type, birth_date;
