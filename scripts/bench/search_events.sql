-- pgbench: the query GET /search/events runs for radius 25 km + category +
-- tickets left, soonest first, 20 + 1 rows (see crates/db/src/event_search.rs).
\set lat 5.0 + random(0, 120000) / 100000.0
\set long -0.8 + random(0, 120000) / 100000.0
\set c random(1, 8)
SELECT e.id, e.slug, e.title, e.category, e.venue_name, e.lat, e.long, e.starts_at, e.min_price_cents, e.currency,
       CASE WHEN e.seated
            THEN (SELECT count(*) FROM seats s WHERE s.event_id = e.id AND s.order_id IS NULL)
            ELSE (SELECT COALESCE(sum(t.capacity - t.held - t.sold), 0)::bigint FROM tier_stock t WHERE t.event_id = e.id) END AS seats_left,
       e.seated, (e.geog <-> ST_SetSRID(ST_MakePoint(:long, :lat), 4326)::geography) AS distance_m
FROM events e
WHERE e.status = 'published'
  AND e.geog && _ST_Expand(ST_SetSRID(ST_MakePoint(:long, :lat), 4326)::geography, 25000)
  AND _ST_DWithin(e.geog, ST_SetSRID(ST_MakePoint(:long, :lat), 4326)::geography, 25000, false)
  AND e.starts_at >= now()
  AND e.category = (ARRAY['Concert','Theatre','Sport','Comedy','Festival','Film','Dance','Food'])[:c]
  AND ((NOT e.seated AND EXISTS (SELECT 1 FROM tier_stock t WHERE t.event_id = e.id AND t.held + t.sold < t.capacity))
       OR (e.seated AND EXISTS (SELECT 1 FROM seats s WHERE s.event_id = e.id AND s.order_id IS NULL)))
ORDER BY e.starts_at, e.id
LIMIT 21;


