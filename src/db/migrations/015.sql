-- Version 15: each template's approval, as WhatsApp reports it (POST /v1/templates/sync,
-- and Meta's message_template_status_update webhook): APPROVED, PENDING, REJECTED, PAUSED
-- or DISABLED, and why. Templates made before are APPROVED, as the sandbox's are.
ALTER TABLE templates ADD COLUMN status TEXT NOT NULL DEFAULT 'APPROVED'
    CHECK (status IN ('APPROVED', 'PENDING', 'REJECTED', 'PAUSED', 'DISABLED'));
ALTER TABLE templates ADD COLUMN status_reason TEXT;
