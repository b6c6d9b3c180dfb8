-- Version 6: a person's messages indexed in two halves, direct and by broadcast, so that a
-- fan-out only appends (schema.sql has the reasons).
DROP INDEX messages_by_contact;
CREATE INDEX messages_by_contact ON messages (contact_id, id) WHERE broadcast_id IS NULL;
DROP INDEX messages_by_broadcast;
CREATE INDEX messages_by_broadcast ON messages (broadcast_id, status, contact_id)
    WHERE broadcast_id IS NOT NULL;
DROP TRIGGER contacts_drop_messages;
CREATE TRIGGER contacts_drop_messages AFTER DELETE ON contacts BEGIN
    DELETE FROM messages WHERE broadcast_id IS NULL AND contact_id = old.id;
    DELETE FROM messages
    WHERE broadcast_id IN (SELECT id FROM broadcasts WHERE account_id = old.account_id)
      AND status IN (0, 1, 2, 3, 4, 5, 6, 7, 8) AND contact_id = old.id;
END;
