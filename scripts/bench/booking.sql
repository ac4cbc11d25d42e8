-- pgbench: the database work of one POST /bookings (free slot, new key), as SQL.
-- Variables: pros, day0 (unix time of the first day, 00:00 UTC), days.
\set p random(1, :pros)
\set d random(0, :days - 1)
\set slot random(0, 37)
\set k random(1, 2000000000)
\set t0 :day0 + :d * 86400 + 28800 + :slot * 900
SELECT count(*) AS known FROM idempotency_keys WHERE scope = 'anonymous:/bookings' AND key = 'pgb-' || :client_id || '-' || :k;
BEGIN ISOLATION LEVEL SERIALIZABLE;
-- The professional with its schedule's buffer and notice, one statement (as the service reads them).
SELECT p.id AS pro, p.rate_per_minute AS rate, COALESCE(s.buffer_minutes, 0) AS buffer, COALESCE(s.min_notice_minutes, 0) AS notice
  FROM professionals p LEFT JOIN professional_schedules s ON s.professional_id = p.id WHERE p.slug = 'bookable-' || :p \gset
SELECT count(*) AS inside FROM (SELECT 1 FROM availability_windows WHERE professional_id = :pro::uuid AND period @> tstzrange(to_timestamp(:t0), to_timestamp(:t0 + 1800)) LIMIT 1 FOR NO KEY UPDATE) w \gset
SELECT count(*) AS taken FROM (SELECT 1 FROM bookings WHERE professional_id = :pro::uuid AND blocked && tstzrange(to_timestamp(:t0), to_timestamp(:t0 + 1800)) AND bookings.status IN ('pending', 'confirmed') LIMIT 1) b \gset
\if :taken = 0 and :inside > 0
WITH booked AS (
  INSERT INTO bookings (id, professional_id, start_time, end_time, duration_minutes, price_cents, currency, status, created_at, updated_at)
    VALUES (gen_random_uuid(), :pro::uuid, to_timestamp(:t0), to_timestamp(:t0 + 1800), 30, 0, 'usd', 'confirmed', now(), now())
    ON CONFLICT DO NOTHING RETURNING *),
moved AS (
  INSERT INTO booking_transitions (booking_id, professional_id, from_status, to_status, reason, source)
  SELECT id, professional_id, NULL, 'confirmed', 'booked', 'pgbench' FROM booked)
-- Its outbox row (issue 13), as the service writes it: the news of the change, in its transaction.
INSERT INTO outbox (id, topic, subject_id, owner_id, email, mail, payload)
  SELECT gen_random_uuid(), 'booking.confirmed', b.id, p.owner_id, u.email,
    jsonb_build_object('name', u.name),
    jsonb_build_object('booking', jsonb_build_object(
        'id', b.id, 'status', b.status, 'start_time', b.start_time, 'end_time', b.end_time,
        'duration_minutes', b.duration_minutes, 'price_cents', b.price_cents, 'currency', b.currency),
      'professional', jsonb_build_object('id', p.id, 'slug', p.slug, 'name', p.name,
        'category', p.category, 'lat', p.lat, 'long', p.long, 'timezone', p.timezone),
      'amount_cents', NULL::int8)
  FROM booked b JOIN professionals p ON p.id = b.professional_id LEFT JOIN users u ON u.id = b.client_id;
\endif
INSERT INTO idempotency_keys (scope, key, fingerprint, request_method, request_path, request_body, recovery_point, response_status, response_body, created_at, expires_at)
  VALUES ('anonymous:/bookings', 'pgb-' || :client_id || '-' || :k, '\x0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef', 'POST', '/bookings',
          '{"professional_id":"bookable-1","start_time":"2026-01-01T10:00:00Z","duration_minutes":30}', 'finished', 201,
          '{"id":"00000000-0000-0000-0000-000000000000","professional_id":"00000000-0000-0000-0000-000000000000","professional_slug":"bookable-1","start_time":"2026-01-01T10:00:00+00:00","end_time":"2026-01-01T10:30:00+00:00","duration_minutes":30,"price_cents":0,"currency":"usd","status":"confirmed","created_at":"2026-01-01T10:00:00+00:00"}',
          now(), now() + interval '24 hours')
  ON CONFLICT DO NOTHING; -- as the service's insert_if_absent
COMMIT;
