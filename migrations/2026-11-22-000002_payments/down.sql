DROP TABLE IF EXISTS booking_transitions;
DROP TABLE IF EXISTS stripe_events;
DROP INDEX IF EXISTS bookings_refund_due_idx;
DROP INDEX IF EXISTS bookings_pending_expires_at_idx;
ALTER TABLE bookings
    DROP COLUMN payment_intent_id, DROP COLUMN payment_client_secret, DROP COLUMN payment_status,
    DROP COLUMN payment_error, DROP COLUMN refund_id, DROP COLUMN refund_amount_cents,
    DROP COLUMN refund_reason, DROP COLUMN refund_requested_at;
