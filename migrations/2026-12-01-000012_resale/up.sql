-- Resale: a holder lists a ticket; a buyer's order (kind `resale`, on the same
-- payment core) locks the listing while it is paid; paid, the ticket moves and
-- the seller is owed a payout.
CREATE TABLE listings (
    id           uuid PRIMARY KEY,
    event_id     uuid NOT NULL REFERENCES events (id),
    ticket_id    uuid NOT NULL REFERENCES tickets (id),
    seller_id    uuid NOT NULL REFERENCES users (id),
    price_cents  bigint NOT NULL CHECK (price_cents > 0),
    currency     text NOT NULL,
    status       text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'sold', 'withdrawn')),
    version      bigint NOT NULL DEFAULT 1,
    -- The one order paying for it right now; set and cleared with that order's status.
    locked_by    uuid,
    locked_until timestamptz,
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX listings_one_active_per_ticket ON listings (ticket_id) WHERE status = 'active';
CREATE INDEX listings_event_price_idx ON listings (event_id, price_cents, id) WHERE status = 'active';

ALTER TABLE orders DROP CONSTRAINT orders_kind_check;
ALTER TABLE orders ADD CONSTRAINT orders_kind_check CHECK (kind IN ('tickets', 'resale'));
ALTER TABLE orders ADD COLUMN listing_id uuid REFERENCES listings (id);
-- What the seller of a resale is owed once it is paid (price minus the fee).
ALTER TABLE orders ADD COLUMN payout_cents bigint;

CREATE TABLE payouts (
    id           uuid PRIMARY KEY,
    event_id     uuid NOT NULL,
    listing_id   uuid NOT NULL UNIQUE REFERENCES listings (id),
    order_id     uuid NOT NULL REFERENCES orders (id),
    seller_id    uuid NOT NULL REFERENCES users (id),
    amount_cents bigint NOT NULL CHECK (amount_cents >= 0),
    fee_cents    bigint NOT NULL CHECK (fee_cents >= 0),
    currency     text NOT NULL,
    status       text NOT NULL DEFAULT 'owed' CHECK (status IN ('owed', 'paid')),
    created_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX payouts_seller_idx ON payouts (seller_id, created_at DESC);
