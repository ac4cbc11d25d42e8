-- Vouchers and promo codes (issue 28). A code of an event takes a percentage
-- or an amount off each ticket of its tiers (all tiers when `tier_ids` is
-- empty), or only unlocks them: a `hidden` tier is sold only with a code
-- that names it. `uses` counts the orders holding the code; the CHECK keeps
-- it within `max_uses` whatever the code does, and the row's lock makes
-- racing buyers take uses one at a time.
ALTER TABLE ticket_tiers ADD COLUMN hidden boolean NOT NULL DEFAULT false;

CREATE TABLE vouchers (
    event_id         uuid NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    id               uuid NOT NULL,
    code             text NOT NULL CHECK (code ~ '^[A-Z0-9][A-Z0-9_-]{2,31}$'),
    percent_off      integer CHECK (percent_off BETWEEN 1 AND 100),
    amount_off_cents bigint CHECK (amount_off_cents > 0),
    tier_ids         uuid[] NOT NULL DEFAULT '{}',
    valid_from       timestamptz,
    valid_until      timestamptz,
    max_uses         integer NOT NULL CHECK (max_uses >= 1),
    uses             integer NOT NULL DEFAULT 0,
    max_per_order    integer CHECK (max_per_order >= 1),
    created_at       timestamptz NOT NULL DEFAULT now(),
    disabled_at      timestamptz,
    PRIMARY KEY (event_id, id),
    UNIQUE (event_id, code),
    CONSTRAINT vouchers_uses_within_max CHECK (uses BETWEEN 0 AND max_uses),
    CHECK (percent_off IS NULL OR amount_off_cents IS NULL),
    CHECK (valid_from IS NULL OR valid_until IS NULL OR valid_until > valid_from)
);

-- The code an order holds, and what it took off (ticket prices are frozen
-- on the order's items, discounted, at the hold).
ALTER TABLE orders
    ADD COLUMN voucher_id uuid,
    ADD COLUMN discount_cents bigint NOT NULL DEFAULT 0 CHECK (discount_cents >= 0),
    ADD CONSTRAINT orders_voucher_fk FOREIGN KEY (event_id, voucher_id) REFERENCES vouchers (event_id, id);
CREATE INDEX orders_voucher_idx ON orders (event_id, voucher_id) WHERE voucher_id IS NOT NULL;
