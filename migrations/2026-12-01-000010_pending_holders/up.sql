-- A ticket given to an email with no account yet (a comp now, a gift next) has
-- no holder until that email signs up: it waits under `pending_email`.
ALTER TABLE tickets ALTER COLUMN holder_id DROP NOT NULL;
ALTER TABLE tickets ADD COLUMN pending_email text CHECK (pending_email = lower(pending_email));
ALTER TABLE tickets ADD CONSTRAINT tickets_have_a_holder CHECK (holder_id IS NOT NULL OR pending_email IS NOT NULL);
CREATE INDEX tickets_pending_email_idx ON tickets (pending_email) WHERE pending_email IS NOT NULL;
