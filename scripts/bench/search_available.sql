-- pgbench: GET /search/professionals with available_at (one hour) over schedules
-- materialized into availability_windows (scripts/gen-schedules): the query the
-- service sends (crates/db/src/search.rs), radius 25 km + category + max rate:
-- the window open then, nearest first, from its index on (category, period, geog).
\set lat 5.0 + random(0, 120000) / 100000.0
\set long -0.8 + random(0, 120000) / 100000.0
\set c random(1, 8)
-- A whole hour on one of the next six days, :h0 to :h1 o'clock UTC (= Africa/Accra;
-- 8 to 18, or 1 to 4 when nobody works): day0 is today's 00:00 UTC.
\set t0 :day0 + random(1, 6) * 86400 + random(:h0, :h1) * 3600
WITH reach AS MATERIALIZED (
  SELECT w.geog <-> ST_SetSRID(ST_MakePoint(:long, :lat), 4326)::geography AS d
  FROM professionals p JOIN availability_windows w ON w.professional_id = p.id
    AND w.period @> tstzrange(to_timestamp(:t0), to_timestamp(:t0 + 3600))
  WHERE w.category = (ARRAY['Plumber','Electrician','Tutor','Trainer','Consultant','Cleaner','Mechanic','Designer'])[:c]
    AND w.geog && _ST_Expand(ST_SetSRID(ST_MakePoint(:long, :lat), 4326)::geography, 25000)
    AND (p.service_radius_km IS NULL
         OR ST_DWithin(p.geog, ST_SetSRID(ST_MakePoint(:long, :lat), 4326)::geography, p.service_radius_km * 1000, false))
    AND p.rate_per_minute <= 150
    AND NOT EXISTS (SELECT 1 FROM bookings b WHERE b.professional_id = p.id
                AND b.blocked && tstzrange(to_timestamp(:t0), to_timestamp(:t0 + 3600) + COALESCE((SELECT make_interval(mins => ps.buffer_minutes)
                    FROM professional_schedules ps WHERE ps.professional_id = p.id), interval '0'))
                AND b.status IN ('pending', 'confirmed'))
    AND NOT EXISTS (SELECT 1 FROM professional_schedules ps WHERE ps.professional_id = p.id
                AND to_timestamp(:t0) < now() + make_interval(mins => ps.min_notice_minutes))
  ORDER BY w.geog <-> ST_SetSRID(ST_MakePoint(:long, :lat), 4326)::geography LIMIT 1 OFFSET 20)
SELECT p.id, p.slug, p.name, p.category, p.rate_per_minute, p.currency, p.lat, p.long, p.service_radius_km,
       (w.geog <-> ST_SetSRID(ST_MakePoint(:long, :lat), 4326)::geography) AS distance_m
FROM professionals p JOIN availability_windows w ON w.professional_id = p.id
  AND w.period @> tstzrange(to_timestamp(:t0), to_timestamp(:t0 + 3600))
WHERE w.category = (ARRAY['Plumber','Electrician','Tutor','Trainer','Consultant','Cleaner','Mechanic','Designer'])[:c]
  AND ST_DWithin(w.geog, ST_SetSRID(ST_MakePoint(:long, :lat), 4326)::geography,
                 LEAST(25000, COALESCE((SELECT d FROM reach) + 0.001, 25000)), false)
  AND (p.service_radius_km IS NULL
       OR ST_DWithin(p.geog, ST_SetSRID(ST_MakePoint(:long, :lat), 4326)::geography, p.service_radius_km * 1000, false))
  AND p.rate_per_minute <= 150
  AND NOT EXISTS (SELECT 1 FROM bookings b WHERE b.professional_id = p.id
              AND b.blocked && tstzrange(to_timestamp(:t0), to_timestamp(:t0 + 3600) + COALESCE((SELECT make_interval(mins => ps.buffer_minutes)
                  FROM professional_schedules ps WHERE ps.professional_id = p.id), interval '0'))
              AND b.status IN ('pending', 'confirmed'))
  AND NOT EXISTS (SELECT 1 FROM professional_schedules ps WHERE ps.professional_id = p.id
              AND to_timestamp(:t0) < now() + make_interval(mins => ps.min_notice_minutes))
ORDER BY (w.geog <-> ST_SetSRID(ST_MakePoint(:long, :lat), 4326)::geography), p.id
LIMIT 21;
