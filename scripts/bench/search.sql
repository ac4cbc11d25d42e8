-- pgbench: the query GET /search/professionals runs for radius 25 km + category +
-- max rate, nearest first, 20 + 1 rows (see crates/db/src/search.rs).
\set lat 5.0 + random(0, 120000) / 100000.0
\set long -0.8 + random(0, 120000) / 100000.0
\set c random(1, 8)
WITH reach AS MATERIALIZED (
  SELECT p.geog <-> ST_SetSRID(ST_MakePoint(:long, :lat), 4326)::geography AS d FROM professionals p
  WHERE (p.service_radius_km IS NULL
         OR ST_DWithin(p.geog, ST_SetSRID(ST_MakePoint(:long, :lat), 4326)::geography, p.service_radius_km * 1000, false))
    AND p.category = (ARRAY['Plumber','Electrician','Tutor','Trainer','Consultant','Cleaner','Mechanic','Designer'])[:c]
    AND p.rate_per_minute <= 150
    AND p.geog && _ST_Expand(ST_SetSRID(ST_MakePoint(:long, :lat), 4326)::geography, 25000)
  ORDER BY p.geog <-> ST_SetSRID(ST_MakePoint(:long, :lat), 4326)::geography LIMIT 1 OFFSET 20)
SELECT p.id, p.slug, p.name, p.category, p.rate_per_minute, p.currency, p.lat, p.long, p.service_radius_km,
       (p.geog <-> ST_SetSRID(ST_MakePoint(:long, :lat), 4326)::geography) AS distance_m
FROM professionals p
WHERE (p.service_radius_km IS NULL
       OR ST_DWithin(p.geog, ST_SetSRID(ST_MakePoint(:long, :lat), 4326)::geography, p.service_radius_km * 1000, false))
  AND p.category = (ARRAY['Plumber','Electrician','Tutor','Trainer','Consultant','Cleaner','Mechanic','Designer'])[:c]
  AND p.rate_per_minute <= 150
  AND ST_DWithin(p.geog, ST_SetSRID(ST_MakePoint(:long, :lat), 4326)::geography,
                 LEAST(25000, COALESCE((SELECT d FROM reach) + 0.001, 25000)), false)
ORDER BY (p.geog <-> ST_SetSRID(ST_MakePoint(:long, :lat), 4326)::geography), p.id
LIMIT 21;
