-- Version 17: the narrow index in id order carries the stage, gender and birth date, and
-- replaces the indexes by stage and by birth date, whose keys arrive in no order and cost
-- an import more than any other (schema.sql).
DROP INDEX IF EXISTS contacts_by_stage;
DROP INDEX IF EXISTS contacts_by_birth_date;
DROP INDEX contacts_by_attributes;
CREATE INDEX contacts_by_attributes ON contacts (account_id, type, id,
    contact_stage, gender, birth_date, a1, a2, a3, a4, a5, a6, a7, a8);
