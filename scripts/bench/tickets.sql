-- The database work of one free general-admission order of 1..4 tickets, as
-- POST /events/{id}/orders does it (session check, key lookup, hold count,
-- then one READ COMMITTED transaction: event and tiers read, a stock row taken
-- with SKIP LOCKED, order stored confirmed with items and history, stock
-- sold, tickets issued, the key stored with its answer).
-- pgbench -D event=... -D tier=... -D buyer=... -D token=...
\set n random(1, 4)
\set start random(0, 7)
\set k random(1, 2000000000)
SELECT s.user_id FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.token_hash = decode(:token, 'hex') AND s.expires_at > now();
SELECT 1 FROM idempotency_keys WHERE scope = 'bench' AND key = 'k' || :k;
SELECT count(*) FROM orders WHERE buyer_id = :buyer AND status = 'pending';
BEGIN;
SET LOCAL lock_timeout = '2s';
SELECT * FROM events WHERE id = :event;
SELECT * FROM ticket_tiers WHERE event_id = :event ORDER BY position;
UPDATE tier_stock SET held = held + :n
  WHERE event_id = :event AND tier_id = :tier AND held + sold + :n <= capacity
    AND bucket = (SELECT bucket FROM tier_stock
                  WHERE event_id = :event AND tier_id = :tier AND held + sold + :n <= capacity
                  ORDER BY (bucket - :start + 8) % 8 LIMIT 1 FOR UPDATE SKIP LOCKED)
  RETURNING bucket \gset
INSERT INTO orders (id, event_id, buyer_id, total_cents, currency, status, client_ip)
  VALUES (gen_random_uuid(), :event, :buyer, 0, 'usd', 'confirmed', '127.0.0.1') RETURNING id AS oid \gset
INSERT INTO order_items (order_id, event_id, tier_id, bucket, quantity, unit_price_cents)
  VALUES (:oid, :event, :tier, :bucket, :n, 0);
INSERT INTO order_transitions (order_id, event_id, from_status, to_status, reason, source)
  VALUES (:oid, :event, NULL, 'confirmed', 'free order', 'idempotency-bench');
UPDATE tier_stock SET held = held - :n, sold = sold + :n WHERE event_id = :event AND tier_id = :tier AND bucket = :bucket;
INSERT INTO tickets (id, event_id, order_id, tier_id, holder_id, price_cents, status, code)
  SELECT gen_random_uuid(), :event, :oid, :tier, :buyer, 0, 'valid', md5(random()::text) FROM generate_series(1, :n);
INSERT INTO idempotency_keys (scope, key, fingerprint, request_method, request_path, request_body, user_id,
                              recovery_point, payable_id, response_status, response_body, expires_at)
  VALUES ('bench', gen_random_uuid()::text, '\x00', 'POST', '/events/{id}/orders', '{}', :buyer,
          'finished', :oid, 201, '{}', now() + interval '1 day');
COMMIT;
