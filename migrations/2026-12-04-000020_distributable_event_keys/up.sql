-- Keys that Citus can distribute by event (docs/SCALING.md): `events` by its
-- id, and every ticket table by `event_id`, colocated with it. Every primary,
-- unique and foreign key names the event; no distributed table has an
-- identity column; an event's slug is unique through a table of its own,
-- distributed by the slug. On one PostgreSQL the same rows are accepted and
-- refused as before: ids and ticket codes are random UUIDs, and a row only
-- ever points at rows of its own event.

-- Foreign keys go first: they are put back naming the event.
ALTER TABLE tier_stock DROP CONSTRAINT tier_stock_tier_id_fkey;
ALTER TABLE orders DROP CONSTRAINT orders_listing_id_fkey;
ALTER TABLE order_items DROP CONSTRAINT order_items_order_id_fkey;
ALTER TABLE order_items DROP CONSTRAINT order_items_tier_id_fkey;
ALTER TABLE order_items DROP CONSTRAINT order_items_seat_id_fkey;
ALTER TABLE tickets DROP CONSTRAINT tickets_order_id_fkey;
ALTER TABLE tickets DROP CONSTRAINT tickets_tier_id_fkey;
ALTER TABLE tickets DROP CONSTRAINT tickets_seat_id_fkey;
ALTER TABLE order_transitions DROP CONSTRAINT order_transitions_order_id_fkey;
ALTER TABLE order_refunds DROP CONSTRAINT order_refunds_order_id_fkey;
ALTER TABLE listings DROP CONSTRAINT listings_ticket_id_fkey;
ALTER TABLE payouts DROP CONSTRAINT payouts_listing_id_fkey;
ALTER TABLE payouts DROP CONSTRAINT payouts_order_id_fkey;
ALTER TABLE ticket_moves DROP CONSTRAINT ticket_moves_ticket_id_fkey;

-- Slugs: unique in a table keyed by the slug; events keep a plain index.
CREATE TABLE event_slugs (
    slug     text PRIMARY KEY,
    event_id uuid NOT NULL
);
INSERT INTO event_slugs (slug, event_id) SELECT slug, id FROM events;
ALTER TABLE events DROP CONSTRAINT events_slug_key;
CREATE INDEX events_slug ON events (slug);

-- Primary keys (event_id, …); rows looked up by their id alone (a URL
-- holds only it) keep an index on it.
ALTER TABLE ticket_tiers DROP CONSTRAINT ticket_tiers_pkey;
ALTER TABLE ticket_tiers ADD PRIMARY KEY (event_id, id);
ALTER TABLE tier_stock DROP CONSTRAINT tier_stock_pkey;
ALTER TABLE tier_stock ADD PRIMARY KEY (event_id, tier_id, bucket);
ALTER TABLE seats DROP CONSTRAINT seats_pkey;
ALTER TABLE seats ADD PRIMARY KEY (event_id, id);

ALTER TABLE orders DROP CONSTRAINT orders_pkey;
ALTER TABLE orders ADD PRIMARY KEY (event_id, id);
CREATE INDEX orders_id ON orders (id);
ALTER TABLE orders DROP CONSTRAINT orders_payment_intent_id_key;
ALTER TABLE orders ADD CONSTRAINT orders_payment_intent_id_key UNIQUE (event_id, payment_intent_id);
CREATE INDEX orders_payment_intent_id ON orders (payment_intent_id) WHERE payment_intent_id IS NOT NULL;

ALTER TABLE tickets DROP CONSTRAINT tickets_pkey;
ALTER TABLE tickets ADD PRIMARY KEY (event_id, id);
CREATE INDEX tickets_id ON tickets (id);
ALTER TABLE tickets DROP CONSTRAINT tickets_code_key;
ALTER TABLE tickets ADD CONSTRAINT tickets_code_key UNIQUE (event_id, code);
DROP INDEX tickets_one_per_seat;
CREATE UNIQUE INDEX tickets_one_per_seat ON tickets (event_id, seat_id)
    WHERE status IN ('valid', 'transfer_pending') AND seat_id IS NOT NULL;

ALTER TABLE listings DROP CONSTRAINT listings_pkey;
ALTER TABLE listings ADD PRIMARY KEY (event_id, id);
CREATE INDEX listings_id ON listings (id);
DROP INDEX listings_one_active_per_ticket;
CREATE UNIQUE INDEX listings_one_active_per_ticket ON listings (event_id, ticket_id) WHERE status = 'active';

ALTER TABLE payouts DROP CONSTRAINT payouts_pkey;
ALTER TABLE payouts ADD PRIMARY KEY (event_id, id);
ALTER TABLE payouts DROP CONSTRAINT payouts_listing_id_key;
ALTER TABLE payouts ADD CONSTRAINT payouts_listing_id_key UNIQUE (event_id, listing_id);

ALTER TABLE order_refunds DROP CONSTRAINT order_refunds_pkey;
ALTER TABLE order_refunds ADD PRIMARY KEY (event_id, id);

-- Identity columns become sequences, keyed with the event.
ALTER TABLE order_items ALTER COLUMN id DROP IDENTITY;
CREATE SEQUENCE order_items_id_seq OWNED BY order_items.id;
SELECT setval('order_items_id_seq', COALESCE((SELECT max(id) FROM order_items), 0) + 1, false);
ALTER TABLE order_items ALTER COLUMN id SET DEFAULT nextval('order_items_id_seq');
ALTER TABLE order_items DROP CONSTRAINT order_items_pkey;
ALTER TABLE order_items ADD PRIMARY KEY (event_id, id);

ALTER TABLE order_transitions ALTER COLUMN id DROP IDENTITY;
CREATE SEQUENCE order_transitions_id_seq OWNED BY order_transitions.id;
SELECT setval('order_transitions_id_seq', COALESCE((SELECT max(id) FROM order_transitions), 0) + 1, false);
ALTER TABLE order_transitions ALTER COLUMN id SET DEFAULT nextval('order_transitions_id_seq');
ALTER TABLE order_transitions DROP CONSTRAINT order_transitions_pkey;
ALTER TABLE order_transitions ADD PRIMARY KEY (event_id, id);

ALTER TABLE ticket_moves ALTER COLUMN id DROP IDENTITY;
CREATE SEQUENCE ticket_moves_id_seq OWNED BY ticket_moves.id;
SELECT setval('ticket_moves_id_seq', COALESCE((SELECT max(id) FROM ticket_moves), 0) + 1, false);
ALTER TABLE ticket_moves ALTER COLUMN id SET DEFAULT nextval('ticket_moves_id_seq');
ALTER TABLE ticket_moves DROP CONSTRAINT ticket_moves_pkey;
ALTER TABLE ticket_moves ADD PRIMARY KEY (event_id, id);

-- The foreign keys again, each naming the event.
ALTER TABLE tier_stock ADD CONSTRAINT tier_stock_tier_fkey
    FOREIGN KEY (event_id, tier_id) REFERENCES ticket_tiers (event_id, id) ON DELETE CASCADE;
ALTER TABLE orders ADD CONSTRAINT orders_listing_fkey
    FOREIGN KEY (event_id, listing_id) REFERENCES listings (event_id, id);
ALTER TABLE order_items ADD CONSTRAINT order_items_order_fkey
    FOREIGN KEY (event_id, order_id) REFERENCES orders (event_id, id) ON DELETE CASCADE;
ALTER TABLE order_items ADD CONSTRAINT order_items_tier_fkey
    FOREIGN KEY (event_id, tier_id) REFERENCES ticket_tiers (event_id, id);
ALTER TABLE order_items ADD CONSTRAINT order_items_seat_fkey
    FOREIGN KEY (event_id, seat_id) REFERENCES seats (event_id, id);
ALTER TABLE tickets ADD CONSTRAINT tickets_order_fkey
    FOREIGN KEY (event_id, order_id) REFERENCES orders (event_id, id);
ALTER TABLE tickets ADD CONSTRAINT tickets_tier_fkey
    FOREIGN KEY (event_id, tier_id) REFERENCES ticket_tiers (event_id, id);
ALTER TABLE tickets ADD CONSTRAINT tickets_seat_fkey
    FOREIGN KEY (event_id, seat_id) REFERENCES seats (event_id, id);
ALTER TABLE order_transitions ADD CONSTRAINT order_transitions_order_fkey
    FOREIGN KEY (event_id, order_id) REFERENCES orders (event_id, id) ON DELETE CASCADE;
ALTER TABLE order_refunds ADD CONSTRAINT order_refunds_order_fkey
    FOREIGN KEY (event_id, order_id) REFERENCES orders (event_id, id);
ALTER TABLE listings ADD CONSTRAINT listings_ticket_fkey
    FOREIGN KEY (event_id, ticket_id) REFERENCES tickets (event_id, id);
ALTER TABLE payouts ADD CONSTRAINT payouts_listing_fkey
    FOREIGN KEY (event_id, listing_id) REFERENCES listings (event_id, id);
ALTER TABLE payouts ADD CONSTRAINT payouts_order_fkey
    FOREIGN KEY (event_id, order_id) REFERENCES orders (event_id, id);
ALTER TABLE ticket_moves ADD CONSTRAINT ticket_moves_ticket_fkey
    FOREIGN KEY (event_id, ticket_id) REFERENCES tickets (event_id, id);
