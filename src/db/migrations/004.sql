-- Version 4: each person's tag names in its own row (schema.sql has the reasons).
ALTER TABLE contacts ADD COLUMN tag_names TEXT NOT NULL DEFAULT '[]';
UPDATE contacts SET tag_names = (
    SELECT json_group_array(t.name ORDER BY t.name)
    FROM contact_tags ct JOIN tags t ON t.id = ct.tag_id WHERE ct.contact_id = contacts.id
) WHERE id IN (SELECT contact_id FROM contact_tags);
