DROP INDEX orders_voucher_idx;
ALTER TABLE orders DROP CONSTRAINT orders_voucher_fk, DROP COLUMN discount_cents, DROP COLUMN voucher_id;
DROP TABLE vouchers;
ALTER TABLE ticket_tiers DROP COLUMN hidden;
