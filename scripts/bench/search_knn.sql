-- pgbench: the simplest index-only answer to the same search, for scale: a KNN
-- scan of the GiST index on (category, geog) with the same category and rate
-- filters, 21 rows, the 25 km radius applied to those rows; without the
-- professional's own service radius and without the (distance, id) order that
-- keeps pages stable (docs/BENCHMARKS.md).
\set lat 5.0 + random(0, 120000) / 100000.0
\set long -0.8 + random(0, 120000) / 100000.0
\set c random(1, 8)
SELECT * FROM (
  SELECT p.id, p.slug, p.name, p.category, p.rate_per_minute, p.currency, p.lat, p.long, p.service_radius_km,
         (p.geog <-> ST_SetSRID(ST_MakePoint(:long, :lat), 4326)::geography) AS distance_m
  FROM professionals p
  WHERE p.category = (ARRAY['Plumber','Electrician','Tutor','Trainer','Consultant','Cleaner','Mechanic','Designer'])[:c]
    AND p.rate_per_minute <= 150
  ORDER BY p.geog <-> ST_SetSRID(ST_MakePoint(:long, :lat), 4326)::geography
  LIMIT 21) nearest
WHERE distance_m <= 25000;
