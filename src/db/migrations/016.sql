-- Version 16: inserted people are counted by birth date, stage and gender by the code that
-- inserts them, once per key per batch (src/contacts/counters.rs), not by a trigger per
-- row. Updates and deletes keep their triggers, whose decrements become upserts: an import
-- may update a person its own batch inserted before the batch's sums are written.
DROP TRIGGER IF EXISTS contacts_count_birth_date;
DROP TRIGGER IF EXISTS contacts_count_stage;
DROP TRIGGER contacts_uncount_birth_date;
DROP TRIGGER contacts_recount_birth_date;
DROP TRIGGER contacts_uncount_stage;
DROP TRIGGER contacts_recount_stage;
CREATE TRIGGER contacts_uncount_birth_date AFTER DELETE ON contacts
    WHEN old.birth_date IS NOT NULL BEGIN
    INSERT INTO birth_date_counts VALUES (old.account_id, old.type, old.birth_date, -1)
        ON CONFLICT DO UPDATE SET n = n - 1;
END;
CREATE TRIGGER contacts_recount_birth_date AFTER UPDATE OF birth_date ON contacts
    WHEN old.birth_date IS NOT new.birth_date BEGIN
    INSERT INTO birth_date_counts SELECT old.account_id, old.type, old.birth_date, -1
        WHERE old.birth_date IS NOT NULL
        ON CONFLICT DO UPDATE SET n = n - 1;
    INSERT INTO birth_date_counts SELECT new.account_id, new.type, new.birth_date, 1
        WHERE new.birth_date IS NOT NULL
        ON CONFLICT DO UPDATE SET n = n + 1;
END;
CREATE TRIGGER contacts_uncount_stage AFTER DELETE ON contacts
    WHEN old.contact_stage IS NOT NULL OR old.gender IS NOT NULL BEGIN
    INSERT INTO stage_gender_counts VALUES (old.account_id, old.type,
        coalesce(old.contact_stage, ''), coalesce(old.gender, ''), -1)
        ON CONFLICT DO UPDATE SET n = n - 1;
END;
CREATE TRIGGER contacts_recount_stage AFTER UPDATE OF contact_stage, gender ON contacts
    WHEN old.contact_stage IS NOT new.contact_stage OR old.gender IS NOT new.gender BEGIN
    INSERT INTO stage_gender_counts SELECT old.account_id, old.type,
        coalesce(old.contact_stage, ''), coalesce(old.gender, ''), -1
        WHERE old.contact_stage IS NOT NULL OR old.gender IS NOT NULL
        ON CONFLICT DO UPDATE SET n = n - 1;
    INSERT INTO stage_gender_counts SELECT new.account_id, new.type,
        coalesce(new.contact_stage, ''), coalesce(new.gender, ''), 1
        WHERE new.contact_stage IS NOT NULL OR new.gender IS NOT NULL
        ON CONFLICT DO UPDATE SET n = n + 1;
END;
