-- Version 9: storage quotas. Per-account overrides of the plan's caps on people and on
-- stored messages, and what each account holds, counted by the code that inserts rows
-- (an import or a fan-out adds its batch's count once) and by triggers when rows go.
ALTER TABLE accounts ADD COLUMN limit_contacts INTEGER CHECK (limit_contacts >= 0);
ALTER TABLE accounts ADD COLUMN limit_messages INTEGER CHECK (limit_messages >= 0);
CREATE TABLE account_usage (
    account_id INTEGER PRIMARY KEY REFERENCES accounts (id) ON DELETE CASCADE,
    people     INTEGER NOT NULL DEFAULT 0,
    messages   INTEGER NOT NULL DEFAULT 0
);
INSERT INTO account_usage (account_id, people, messages)
    SELECT a.id, (SELECT count(*) FROM contacts WHERE account_id = a.id),
           (SELECT count(*) FROM messages WHERE account_id = a.id)
    FROM accounts a;
CREATE TRIGGER contacts_unstore AFTER DELETE ON contacts BEGIN
    UPDATE account_usage SET people = people - 1 WHERE account_id = old.account_id;
END;
CREATE TRIGGER messages_unstore AFTER DELETE ON messages BEGIN
    UPDATE account_usage SET messages = messages - 1 WHERE account_id = old.account_id;
END;
