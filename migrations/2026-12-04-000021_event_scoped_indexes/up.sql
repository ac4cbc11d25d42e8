-- Secondary keys and indexes of the sharded tables lead with their own
-- column, not the distribution column. With the primary keys now
-- (event_id, id) (or (professional_id, id)), an index that also began with
-- event_id tied with the primary key for `event_id = $1 AND id = $2` while a
-- table's statistics said it was empty: a foreign-key check (its plan kept
-- for the connection's life) then read every order of the event through the
-- intent's unique index, and a ticket order read every ticket of its event
-- through the primary key and the order index together. Ticket orders ran
-- at 0.55 of their former speed (docs/SCALING.md). Led by their own column,
-- these indexes also serve lookups that know only it (an intent, a code).

ALTER TABLE bookings DROP CONSTRAINT bookings_payment_intent_id_key;
ALTER TABLE bookings ADD CONSTRAINT bookings_payment_intent_id_key UNIQUE (payment_intent_id, professional_id);
DROP INDEX bookings_payment_intent_id;

ALTER TABLE orders DROP CONSTRAINT orders_payment_intent_id_key;
ALTER TABLE orders ADD CONSTRAINT orders_payment_intent_id_key UNIQUE (payment_intent_id, event_id);
DROP INDEX orders_payment_intent_id;
DROP INDEX orders_event_idx;

ALTER TABLE ticket_tiers DROP CONSTRAINT ticket_tiers_event_id_name_key;
ALTER TABLE ticket_tiers ADD CONSTRAINT ticket_tiers_event_id_name_key UNIQUE (name, event_id);
ALTER TABLE seats DROP CONSTRAINT seats_event_id_label_key;
ALTER TABLE seats ADD CONSTRAINT seats_event_id_label_key UNIQUE (label, event_id);
DROP INDEX tier_stock_event_idx;

ALTER TABLE tickets DROP CONSTRAINT tickets_code_key;
ALTER TABLE tickets ADD CONSTRAINT tickets_code_key UNIQUE (code, event_id);
DROP INDEX tickets_one_per_seat;
CREATE UNIQUE INDEX tickets_one_per_seat ON tickets (seat_id, event_id)
    WHERE status IN ('valid', 'transfer_pending') AND seat_id IS NOT NULL;
DROP INDEX tickets_order_idx;
CREATE INDEX tickets_order_idx ON tickets (order_id, event_id);

DROP INDEX listings_one_active_per_ticket;
CREATE UNIQUE INDEX listings_one_active_per_ticket ON listings (ticket_id, event_id) WHERE status = 'active';
ALTER TABLE payouts DROP CONSTRAINT payouts_listing_id_key;
ALTER TABLE payouts ADD CONSTRAINT payouts_listing_id_key UNIQUE (listing_id, event_id);

DROP INDEX order_items_order_idx;
CREATE INDEX order_items_order_idx ON order_items (order_id, event_id);
DROP INDEX order_transitions_order_idx;
CREATE INDEX order_transitions_order_idx ON order_transitions (order_id, event_id, id);
DROP INDEX order_refunds_order_idx;
CREATE INDEX order_refunds_order_idx ON order_refunds (order_id, event_id);
DROP INDEX ticket_moves_ticket_idx;
CREATE INDEX ticket_moves_ticket_idx ON ticket_moves (ticket_id, event_id, id);
