DROP TABLE payouts;
ALTER TABLE orders DROP COLUMN payout_cents;
ALTER TABLE orders DROP COLUMN listing_id;
ALTER TABLE orders DROP CONSTRAINT orders_kind_check;
ALTER TABLE orders ADD CONSTRAINT orders_kind_check CHECK (kind IN ('tickets'));
DROP TABLE listings;
