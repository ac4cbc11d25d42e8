DROP TABLE order_refunds;
ALTER TABLE tickets DROP COLUMN bucket;
