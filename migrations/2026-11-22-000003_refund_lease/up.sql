-- When a refund job last tried to make an owed refund: a lease, so that two
-- instances never ask Stripe for the same refund at once, and so that a refund
-- Stripe keeps refusing goes to the back of the queue instead of blocking it.
ALTER TABLE bookings ADD COLUMN refund_attempted_at timestamptz;
