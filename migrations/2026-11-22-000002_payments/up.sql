-- Payments: the PaymentIntent of each paid booking, refunds, Stripe events
-- applied once, and the record of why each booking changed status.
ALTER TABLE bookings
    ADD COLUMN payment_intent_id     text UNIQUE,
    ADD COLUMN payment_client_secret text,
    ADD COLUMN payment_status        text,
    ADD COLUMN payment_error         text,
    ADD COLUMN refund_id             text,
    ADD COLUMN refund_amount_cents   bigint,
    ADD COLUMN refund_reason         text,
    -- Set when a refund is owed; `refund_id` is filled once Stripe has made it.
    ADD COLUMN refund_requested_at   timestamptz;

CREATE INDEX bookings_pending_expires_at_idx ON bookings (expires_at) WHERE status = 'pending';
CREATE INDEX bookings_refund_due_idx ON bookings (refund_requested_at)
    WHERE refund_requested_at IS NOT NULL AND refund_id IS NULL;

CREATE TABLE stripe_events (
    id          text PRIMARY KEY,
    type        text NOT NULL,
    booking_id  uuid REFERENCES bookings (id) ON DELETE SET NULL,
    outcome     text NOT NULL,
    received_at timestamptz NOT NULL DEFAULT now()
);

-- Every status change of a booking, with why and on whose word.
CREATE TABLE booking_transitions (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    booking_id  uuid NOT NULL REFERENCES bookings (id) ON DELETE CASCADE,
    from_status text,
    to_status   text NOT NULL,
    reason      text NOT NULL,
    -- `idempotency:<scope>/<key>`, `stripe_event:<id>`, `job:<name>`, `user:<id>`
    source      text NOT NULL,
    at          timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX booking_transitions_booking_id_idx ON booking_transitions (booking_id, id);
