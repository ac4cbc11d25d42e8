DROP INDEX ticket_moves_ticket_idx;
CREATE INDEX ticket_moves_ticket_idx ON ticket_moves (event_id, ticket_id, id);
DROP INDEX order_refunds_order_idx;
CREATE INDEX order_refunds_order_idx ON order_refunds (event_id, order_id);
DROP INDEX order_transitions_order_idx;
CREATE INDEX order_transitions_order_idx ON order_transitions (order_id, id);
DROP INDEX order_items_order_idx;
CREATE INDEX order_items_order_idx ON order_items (order_id);

ALTER TABLE payouts DROP CONSTRAINT payouts_listing_id_key;
ALTER TABLE payouts ADD CONSTRAINT payouts_listing_id_key UNIQUE (event_id, listing_id);
DROP INDEX listings_one_active_per_ticket;
CREATE UNIQUE INDEX listings_one_active_per_ticket ON listings (event_id, ticket_id) WHERE status = 'active';

DROP INDEX tickets_order_idx;
CREATE INDEX tickets_order_idx ON tickets (order_id);
DROP INDEX tickets_one_per_seat;
CREATE UNIQUE INDEX tickets_one_per_seat ON tickets (event_id, seat_id)
    WHERE status IN ('valid', 'transfer_pending') AND seat_id IS NOT NULL;
ALTER TABLE tickets DROP CONSTRAINT tickets_code_key;
ALTER TABLE tickets ADD CONSTRAINT tickets_code_key UNIQUE (event_id, code);

CREATE INDEX tier_stock_event_idx ON tier_stock (event_id);
ALTER TABLE seats DROP CONSTRAINT seats_event_id_label_key;
ALTER TABLE seats ADD CONSTRAINT seats_event_id_label_key UNIQUE (event_id, label);
ALTER TABLE ticket_tiers DROP CONSTRAINT ticket_tiers_event_id_name_key;
ALTER TABLE ticket_tiers ADD CONSTRAINT ticket_tiers_event_id_name_key UNIQUE (event_id, name);

CREATE INDEX orders_event_idx ON orders (event_id);
CREATE INDEX orders_payment_intent_id ON orders (payment_intent_id) WHERE payment_intent_id IS NOT NULL;
ALTER TABLE orders DROP CONSTRAINT orders_payment_intent_id_key;
ALTER TABLE orders ADD CONSTRAINT orders_payment_intent_id_key UNIQUE (event_id, payment_intent_id);

CREATE INDEX bookings_payment_intent_id ON bookings (payment_intent_id) WHERE payment_intent_id IS NOT NULL;
ALTER TABLE bookings DROP CONSTRAINT bookings_payment_intent_id_key;
ALTER TABLE bookings ADD CONSTRAINT bookings_payment_intent_id_key UNIQUE (professional_id, payment_intent_id);
