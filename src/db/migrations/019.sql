-- Version 19: an account's first 63 tags each own a bit of contacts.tag_bits, which the
-- narrow index carries (schema.sql).
ALTER TABLE tags ADD COLUMN bit INTEGER CHECK (bit BETWEEN 0 AND 62);
UPDATE tags SET bit = ranked.n
FROM (SELECT id, row_number() OVER (PARTITION BY account_id ORDER BY id) - 1 AS n FROM tags) ranked
WHERE ranked.id = tags.id AND ranked.n < 63;
CREATE UNIQUE INDEX tags_by_bit ON tags (account_id, bit) WHERE bit IS NOT NULL;
ALTER TABLE contacts ADD COLUMN tag_bits INTEGER NOT NULL DEFAULT 0;
UPDATE contacts SET tag_bits = (
    SELECT sum(1 << t.bit) FROM contact_tags ct JOIN tags t ON t.id = ct.tag_id
    WHERE ct.contact_id = contacts.id AND t.bit IS NOT NULL)
WHERE id IN (SELECT ct.contact_id FROM contact_tags ct JOIN tags t ON t.id = ct.tag_id
             WHERE t.bit IS NOT NULL);
DROP INDEX contacts_by_attributes;
CREATE INDEX contacts_by_attributes ON contacts (account_id, type, id,
    contact_stage, gender, birth_date, a1, a2, a3, a4, a5, a6, a7, a8, tag_bits);
DROP TRIGGER tags_drop_links;
CREATE TRIGGER tags_drop_links AFTER DELETE ON tags BEGIN
    UPDATE contacts SET tag_bits = tag_bits & ~(1 << old.bit)
    WHERE old.bit IS NOT NULL
      AND id IN (SELECT contact_id FROM contact_tags WHERE tag_id = old.id);
    DELETE FROM contact_tags WHERE tag_id = old.id;
END;
