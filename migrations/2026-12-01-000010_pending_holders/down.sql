DROP INDEX tickets_pending_email_idx;
ALTER TABLE tickets DROP CONSTRAINT tickets_have_a_holder;
ALTER TABLE tickets DROP COLUMN pending_email;
ALTER TABLE tickets ALTER COLUMN holder_id SET NOT NULL;
