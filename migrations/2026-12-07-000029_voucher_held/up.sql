-- Whether an order still holds its promo code's use (issue 28, review): the
-- use goes back exactly once, whichever way the order stops holding it
-- (expired, failed, cancelled, refunded whole, or every ticket refunded or
-- revoked one by one), and a late payment takes it again.
ALTER TABLE orders ADD COLUMN voucher_held boolean NOT NULL DEFAULT false,
    ADD CONSTRAINT orders_voucher_held_has_voucher CHECK (NOT voucher_held OR voucher_id IS NOT NULL);
UPDATE orders SET voucher_held = true WHERE voucher_id IS NOT NULL AND status IN ('pending', 'confirmed');
