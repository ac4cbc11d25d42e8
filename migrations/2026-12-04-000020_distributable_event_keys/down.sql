ALTER TABLE ticket_moves DROP CONSTRAINT ticket_moves_ticket_fkey;
ALTER TABLE payouts DROP CONSTRAINT payouts_order_fkey;
ALTER TABLE payouts DROP CONSTRAINT payouts_listing_fkey;
ALTER TABLE listings DROP CONSTRAINT listings_ticket_fkey;
ALTER TABLE order_refunds DROP CONSTRAINT order_refunds_order_fkey;
ALTER TABLE order_transitions DROP CONSTRAINT order_transitions_order_fkey;
ALTER TABLE tickets DROP CONSTRAINT tickets_seat_fkey;
ALTER TABLE tickets DROP CONSTRAINT tickets_tier_fkey;
ALTER TABLE tickets DROP CONSTRAINT tickets_order_fkey;
ALTER TABLE order_items DROP CONSTRAINT order_items_seat_fkey;
ALTER TABLE order_items DROP CONSTRAINT order_items_tier_fkey;
ALTER TABLE order_items DROP CONSTRAINT order_items_order_fkey;
ALTER TABLE orders DROP CONSTRAINT orders_listing_fkey;
ALTER TABLE tier_stock DROP CONSTRAINT tier_stock_tier_fkey;

ALTER TABLE ticket_moves DROP CONSTRAINT ticket_moves_pkey;
ALTER TABLE ticket_moves ALTER COLUMN id DROP DEFAULT;
DROP SEQUENCE ticket_moves_id_seq;
ALTER TABLE ticket_moves ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY;
SELECT setval(pg_get_serial_sequence('ticket_moves', 'id'), COALESCE((SELECT max(id) FROM ticket_moves), 0) + 1, false);
ALTER TABLE ticket_moves ADD PRIMARY KEY (id);

ALTER TABLE order_transitions DROP CONSTRAINT order_transitions_pkey;
ALTER TABLE order_transitions ALTER COLUMN id DROP DEFAULT;
DROP SEQUENCE order_transitions_id_seq;
ALTER TABLE order_transitions ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY;
SELECT setval(pg_get_serial_sequence('order_transitions', 'id'), COALESCE((SELECT max(id) FROM order_transitions), 0) + 1, false);
ALTER TABLE order_transitions ADD PRIMARY KEY (id);

ALTER TABLE order_items DROP CONSTRAINT order_items_pkey;
ALTER TABLE order_items ALTER COLUMN id DROP DEFAULT;
DROP SEQUENCE order_items_id_seq;
ALTER TABLE order_items ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY;
SELECT setval(pg_get_serial_sequence('order_items', 'id'), COALESCE((SELECT max(id) FROM order_items), 0) + 1, false);
ALTER TABLE order_items ADD PRIMARY KEY (id);

ALTER TABLE order_refunds DROP CONSTRAINT order_refunds_pkey;
ALTER TABLE order_refunds ADD PRIMARY KEY (id);

ALTER TABLE payouts DROP CONSTRAINT payouts_listing_id_key;
ALTER TABLE payouts ADD CONSTRAINT payouts_listing_id_key UNIQUE (listing_id);
ALTER TABLE payouts DROP CONSTRAINT payouts_pkey;
ALTER TABLE payouts ADD PRIMARY KEY (id);

DROP INDEX listings_one_active_per_ticket;
CREATE UNIQUE INDEX listings_one_active_per_ticket ON listings (ticket_id) WHERE status = 'active';
DROP INDEX listings_id;
ALTER TABLE listings DROP CONSTRAINT listings_pkey;
ALTER TABLE listings ADD PRIMARY KEY (id);

DROP INDEX tickets_one_per_seat;
CREATE UNIQUE INDEX tickets_one_per_seat ON tickets (seat_id)
    WHERE status IN ('valid', 'transfer_pending') AND seat_id IS NOT NULL;
ALTER TABLE tickets DROP CONSTRAINT tickets_code_key;
ALTER TABLE tickets ADD CONSTRAINT tickets_code_key UNIQUE (code);
DROP INDEX tickets_id;
ALTER TABLE tickets DROP CONSTRAINT tickets_pkey;
ALTER TABLE tickets ADD PRIMARY KEY (id);

DROP INDEX orders_payment_intent_id;
ALTER TABLE orders DROP CONSTRAINT orders_payment_intent_id_key;
ALTER TABLE orders ADD CONSTRAINT orders_payment_intent_id_key UNIQUE (payment_intent_id);
DROP INDEX orders_id;
ALTER TABLE orders DROP CONSTRAINT orders_pkey;
ALTER TABLE orders ADD PRIMARY KEY (id);

ALTER TABLE seats DROP CONSTRAINT seats_pkey;
ALTER TABLE seats ADD PRIMARY KEY (id);
ALTER TABLE tier_stock DROP CONSTRAINT tier_stock_pkey;
ALTER TABLE tier_stock ADD PRIMARY KEY (tier_id, bucket);
ALTER TABLE ticket_tiers DROP CONSTRAINT ticket_tiers_pkey;
ALTER TABLE ticket_tiers ADD PRIMARY KEY (id);

DROP INDEX events_slug;
ALTER TABLE events ADD CONSTRAINT events_slug_key UNIQUE (slug);
DROP TABLE event_slugs;

ALTER TABLE tier_stock ADD CONSTRAINT tier_stock_tier_id_fkey
    FOREIGN KEY (tier_id) REFERENCES ticket_tiers (id) ON DELETE CASCADE;
ALTER TABLE orders ADD CONSTRAINT orders_listing_id_fkey FOREIGN KEY (listing_id) REFERENCES listings (id);
ALTER TABLE order_items ADD CONSTRAINT order_items_order_id_fkey
    FOREIGN KEY (order_id) REFERENCES orders (id) ON DELETE CASCADE;
ALTER TABLE order_items ADD CONSTRAINT order_items_tier_id_fkey FOREIGN KEY (tier_id) REFERENCES ticket_tiers (id);
ALTER TABLE order_items ADD CONSTRAINT order_items_seat_id_fkey FOREIGN KEY (seat_id) REFERENCES seats (id);
ALTER TABLE tickets ADD CONSTRAINT tickets_order_id_fkey FOREIGN KEY (order_id) REFERENCES orders (id);
ALTER TABLE tickets ADD CONSTRAINT tickets_tier_id_fkey FOREIGN KEY (tier_id) REFERENCES ticket_tiers (id);
ALTER TABLE tickets ADD CONSTRAINT tickets_seat_id_fkey FOREIGN KEY (seat_id) REFERENCES seats (id);
ALTER TABLE order_transitions ADD CONSTRAINT order_transitions_order_id_fkey
    FOREIGN KEY (order_id) REFERENCES orders (id) ON DELETE CASCADE;
ALTER TABLE order_refunds ADD CONSTRAINT order_refunds_order_id_fkey FOREIGN KEY (order_id) REFERENCES orders (id);
ALTER TABLE listings ADD CONSTRAINT listings_ticket_id_fkey FOREIGN KEY (ticket_id) REFERENCES tickets (id);
ALTER TABLE payouts ADD CONSTRAINT payouts_listing_id_fkey FOREIGN KEY (listing_id) REFERENCES listings (id);
ALTER TABLE payouts ADD CONSTRAINT payouts_order_id_fkey FOREIGN KEY (order_id) REFERENCES orders (id);
ALTER TABLE ticket_moves ADD CONSTRAINT ticket_moves_ticket_id_fkey FOREIGN KEY (ticket_id) REFERENCES tickets (id);
