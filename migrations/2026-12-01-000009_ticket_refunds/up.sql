-- Refunding some tickets of an order: each ticket knows the stock row it was
-- sold from (to give exactly that unit back), and each refund of part of an
-- order is a row of its own, made at Stripe by the refund job like a whole
-- payable's refund (a lease, then `refund_id` once Stripe has made it).
ALTER TABLE tickets ADD COLUMN bucket smallint;
UPDATE tickets t SET bucket = i.bucket FROM order_items i
  WHERE i.order_id = t.order_id AND i.tier_id = t.tier_id AND t.bucket IS NULL;

CREATE TABLE order_refunds (
    id            uuid PRIMARY KEY,
    event_id      uuid NOT NULL,
    order_id      uuid NOT NULL REFERENCES orders (id),
    ticket_ids    uuid[] NOT NULL,
    amount_cents  bigint NOT NULL CHECK (amount_cents > 0),
    reason        text NOT NULL,
    source        text NOT NULL,
    requested_at  timestamptz NOT NULL DEFAULT now(),
    attempted_at  timestamptz,
    refund_id     text
);
CREATE INDEX order_refunds_order_idx ON order_refunds (event_id, order_id);
CREATE INDEX order_refunds_due_idx ON order_refunds (requested_at) WHERE refund_id IS NULL;
