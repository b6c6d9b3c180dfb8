-- Version 20: the narrow index also carries the last activity, the creation time and the
-- opt-out (schema.sql), so rules over them count without the wide rows.
DROP INDEX contacts_by_attributes;
CREATE INDEX contacts_by_attributes ON contacts (account_id, type, id,
    contact_stage, gender, birth_date, a1, a2, a3, a4, a5, a6, a7, a8, tag_bits,
    last_activity_at, created_at, opted_out);
