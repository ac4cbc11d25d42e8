-- Event search sorted by price answers from an index too; the search's
-- geography filter uses events_geog_idx (000007).
CREATE INDEX events_price_idx ON events (min_price_cents, starts_at, id) WHERE status = 'published';
