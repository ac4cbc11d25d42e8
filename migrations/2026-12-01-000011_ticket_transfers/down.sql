DROP INDEX tickets_one_per_seat;
CREATE UNIQUE INDEX tickets_one_per_seat ON tickets (seat_id) WHERE status = 'valid' AND seat_id IS NOT NULL;
UPDATE tickets SET status = 'valid', pending_email = NULL WHERE status = 'transfer_pending';
ALTER TABLE tickets DROP CONSTRAINT tickets_status_check;
ALTER TABLE tickets ADD CONSTRAINT tickets_status_check CHECK (status IN ('valid', 'refunded', 'void'));
