DROP TABLE order_transitions, tickets, order_items, orders, seats, tier_stock, ticket_tiers, events;
ALTER TABLE stripe_events RENAME COLUMN payable_id TO booking_id;
ALTER TABLE idempotency_keys RENAME COLUMN payable_id TO booking_id;
