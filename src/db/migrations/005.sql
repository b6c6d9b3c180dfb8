-- Version 5: people per tag and type, in the tag's row (schema.sql has the reasons).
ALTER TABLE tags ADD COLUMN contact_count INTEGER NOT NULL DEFAULT 0;
ALTER TABLE tags ADD COLUMN client_count INTEGER NOT NULL DEFAULT 0;
UPDATE tags SET
    contact_count = (SELECT count(*) FROM contact_tags ct WHERE ct.tag_id = tags.id AND ct.type = 0),
    client_count = (SELECT count(*) FROM contact_tags ct WHERE ct.tag_id = tags.id AND ct.type = 1);
CREATE TRIGGER contact_tags_uncount AFTER DELETE ON contact_tags BEGIN
    UPDATE tags SET contact_count = contact_count - (old.type = 0),
                    client_count = client_count - (old.type = 1)
    WHERE id = old.tag_id;
END;
