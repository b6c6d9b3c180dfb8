-- Version 18: the code that inserts people records `contact.created` (schema.sql).
DROP TRIGGER IF EXISTS webhook_contact_created;
