-- A gift to an email with no account yet: the ticket is `transfer_pending`,
-- still its giver's (who may take it back) until that email signs up.
ALTER TABLE tickets DROP CONSTRAINT tickets_status_check;
ALTER TABLE tickets ADD CONSTRAINT tickets_status_check
    CHECK (status IN ('valid', 'transfer_pending', 'refunded', 'void'));
DROP INDEX tickets_one_per_seat;
CREATE UNIQUE INDEX tickets_one_per_seat ON tickets (seat_id)
    WHERE status IN ('valid', 'transfer_pending') AND seat_id IS NOT NULL;
