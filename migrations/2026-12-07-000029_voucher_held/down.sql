ALTER TABLE orders DROP CONSTRAINT orders_voucher_held_has_voucher, DROP COLUMN voucher_held;
