ALTER TABLE listings DROP CONSTRAINT listings_price_within_cap;
ALTER TABLE listings DROP COLUMN max_price_cents;
