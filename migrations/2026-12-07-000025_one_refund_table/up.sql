-- One refund table for every kind of payable. A refund is a row: the money
-- owed back (a whole payment, a cancellation's share of it, or some tickets of
-- an order), why, and the key Stripe makes it under; one job makes every owed
-- row at Stripe exactly once (a lease on `attempted_at`, then `refund_id`).
-- Before, whole refunds lived in five columns of bookings and of orders and
-- ticket refunds in `order_refunds`: two engines that had to agree.
-- No refund may be owed in the old places between the copy and the drop.
LOCK TABLE bookings, orders, order_refunds IN SHARE ROW EXCLUSIVE MODE;

CREATE TABLE refunds (
    -- The payable's distribution column: a booking's professional, an order's event.
    scope_id        uuid NOT NULL,
    id              uuid NOT NULL,
    payable_kind    text NOT NULL CHECK (payable_kind IN ('booking', 'order')),
    payable_id      uuid NOT NULL,
    intent_id       text NOT NULL,
    -- The refund that ends the payment (all that is left of it, or the share a
    -- cancellation gives back): at most one per payable. Otherwise some tickets.
    closing         boolean NOT NULL,
    ticket_ids      uuid[] NOT NULL DEFAULT '{}',
    amount_cents    bigint NOT NULL CHECK (amount_cents > 0),
    reason          text NOT NULL,
    source          text NOT NULL,
    -- What Stripe makes it under (and finds it by, in the refund's metadata).
    idempotency_key text NOT NULL,
    requested_at    timestamptz NOT NULL DEFAULT now(),
    attempted_at    timestamptz,
    refund_id       text,
    PRIMARY KEY (scope_id, id),
    CHECK (closing OR cardinality(ticket_ids) > 0)
);
CREATE UNIQUE INDEX refunds_one_closing ON refunds (scope_id, payable_id) WHERE closing;
CREATE INDEX refunds_of_payable ON refunds (payable_id, scope_id);
CREATE INDEX refunds_due ON refunds (requested_at) WHERE refund_id IS NULL;

INSERT INTO refunds (scope_id, id, payable_kind, payable_id, intent_id, closing,
                     amount_cents, reason, source, idempotency_key, requested_at,
                     attempted_at, refund_id)
SELECT professional_id, id, 'booking', id, payment_intent_id, true,
       coalesce(refund_amount_cents, price_cents), coalesce(refund_reason, 'requested_by_customer'),
       'migration', 'booking-refund-' || id, coalesce(refund_requested_at, updated_at),
       refund_attempted_at, refund_id
  FROM bookings
 WHERE (refund_requested_at IS NOT NULL OR refund_id IS NOT NULL)
   AND payment_intent_id IS NOT NULL AND coalesce(refund_amount_cents, price_cents) > 0;

INSERT INTO refunds (scope_id, id, payable_kind, payable_id, intent_id, closing,
                     amount_cents, reason, source, idempotency_key, requested_at,
                     attempted_at, refund_id)
SELECT event_id, id, 'order', id, payment_intent_id, true,
       coalesce(refund_amount_cents, total_cents), coalesce(refund_reason, 'requested_by_customer'),
       'migration', 'order-refund-' || id, coalesce(refund_requested_at, updated_at),
       refund_attempted_at, refund_id
  FROM orders
 WHERE (refund_requested_at IS NOT NULL OR refund_id IS NOT NULL)
   AND payment_intent_id IS NOT NULL AND coalesce(refund_amount_cents, total_cents) > 0;

INSERT INTO refunds (scope_id, id, payable_kind, payable_id, intent_id, closing, ticket_ids,
                     amount_cents, reason, source, idempotency_key, requested_at,
                     attempted_at, refund_id)
SELECT r.event_id, r.id, 'order', r.order_id, o.payment_intent_id, false, r.ticket_ids,
       r.amount_cents, r.reason, r.source, 'ticket-refund-' || r.id, r.requested_at,
       r.attempted_at, r.refund_id
  FROM order_refunds r
  JOIN orders o ON o.event_id = r.event_id AND o.id = r.order_id
 WHERE o.payment_intent_id IS NOT NULL;

DROP TABLE order_refunds;
DROP INDEX IF EXISTS bookings_refund_due_idx;
DROP INDEX IF EXISTS orders_refund_due_idx;
ALTER TABLE bookings
    DROP COLUMN refund_id, DROP COLUMN refund_amount_cents, DROP COLUMN refund_reason,
    DROP COLUMN refund_requested_at, DROP COLUMN refund_attempted_at;
ALTER TABLE orders
    DROP COLUMN refund_id, DROP COLUMN refund_amount_cents, DROP COLUMN refund_reason,
    DROP COLUMN refund_requested_at, DROP COLUMN refund_attempted_at;
