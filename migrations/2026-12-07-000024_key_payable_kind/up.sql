-- The kind of payable a key made is stored with it, so an abandoned request
-- is resumed by its kind (as a webhook is routed by its intent's metadata),
-- not guessed from the request's path.
ALTER TABLE idempotency_keys ADD COLUMN payable_kind text
    CHECK (payable_kind IN ('booking', 'order'));
UPDATE idempotency_keys SET payable_kind = CASE
    WHEN request_path IN ('/events/{id}/orders', '/listings/{id}/orders') THEN 'order'
    ELSE 'booking' END
 WHERE payable_id IS NOT NULL;
