-- The database work of one door check-in, as POST /events/{id}/checkins does
-- it: the event and the device found, the scan id looked up, then one READ
-- COMMITTED transaction: the ticket locked, its tier, seat and holder read,
-- the admission written on it, its listing looked for, the scan stored with
-- its answer. (A ticket drawn twice is admitted again: the same work.)
-- pgbench -D event=... -D device=... -D hash=... ; bench_checkin_ids(n, id) holds the tickets.
\set n random(1, :tickets)
\set k random(1, 2000000000)
SELECT * FROM events WHERE id = :event;
SELECT * FROM scanners WHERE event_id = :event AND token_hash = decode(:hash, 'hex') AND revoked_at IS NULL;
SELECT id FROM bench_checkin_ids WHERE n = :n \gset t
SELECT 1 FROM checkins WHERE event_id = :event AND scanner_id = :device AND scan_id = 'p' || :k;
BEGIN;
SELECT * FROM tickets WHERE event_id = :event AND id = :tid FOR UPDATE;
SELECT tt.name, s.label, u.name FROM tickets t
  LEFT JOIN ticket_tiers tt ON tt.event_id = t.event_id AND t.tier_id = tt.id
  LEFT JOIN seats s ON s.event_id = t.event_id AND t.seat_id = s.id
  LEFT JOIN users u ON t.holder_id = u.id
 WHERE t.event_id = :event AND t.id = :tid;
UPDATE tickets SET inside = true, entries = entries + 1, changed_at = now()
 WHERE event_id = :event AND id = :tid RETURNING entries \gset
SELECT id FROM listings WHERE event_id = :event AND ticket_id = :tid AND status = 'active';
INSERT INTO checkins (event_id, id, scanner_id, scan_id, code_hash, ticket_id, direction, result, entry,
                      offline, scanned_at, recorded_at, status, answer)
  VALUES (:event, gen_random_uuid(), :device, 'p' || :k, '\x00', :tid, 'in', 'admitted', :entries,
          false, now(), now(), 200, '{"code":"admitted"}');
COMMIT;
