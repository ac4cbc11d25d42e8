-- A fair waiting list for sold-out tiers (issue 28). Units that come back
-- (a hold runs out, an order is refunded or cancelled, a ticket revoked) are
-- held for the first person in line, by join time, before the public sees
-- them: an offer is stock `held` like an unpaid order's, so the stock CHECK
-- keeps offers + holds + sales within capacity and no unit is offered twice.
ALTER TABLE events ADD COLUMN waitlist boolean NOT NULL DEFAULT true;

CREATE TABLE waitlist_entries (
    event_id      uuid NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    id            uuid NOT NULL,
    tier_id       uuid NOT NULL,
    user_id       uuid NOT NULL,
    quantity      integer NOT NULL CHECK (quantity BETWEEN 1 AND 100),
    joined_at     timestamptz NOT NULL,
    status        text NOT NULL CHECK (status IN ('waiting', 'offered', 'bought', 'lapsed', 'left')),
    offered_until timestamptz,
    -- The stock rows held for the offer: [[bucket, quantity], ...].
    held          jsonb,
    order_id      uuid,
    PRIMARY KEY (event_id, id),
    CHECK (status <> 'offered' OR (offered_until IS NOT NULL AND held IS NOT NULL))
);
CREATE UNIQUE INDEX waitlist_one_place ON waitlist_entries (event_id, tier_id, user_id)
    WHERE status IN ('waiting', 'offered');
CREATE INDEX waitlist_line ON waitlist_entries (event_id, tier_id, joined_at, id) WHERE status = 'waiting';
CREATE INDEX waitlist_offers_due ON waitlist_entries (offered_until) WHERE status = 'offered';
