ALTER TABLE idempotency_keys DROP COLUMN payable_kind;
