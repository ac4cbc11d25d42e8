-- An availability search answers from the windows open at the asked time,
-- nearest first, so an hour when nobody of that category works costs one
-- index probe instead of a check of every professional in the disc
-- (docs/BENCHMARKS.md, issue 29). Each window carries its professional's
-- category and place; the composite foreign key keeps them equal to the
-- professional's (a move or a new category cascades; a wrong copy is refused).
ALTER TABLE availability_windows ADD COLUMN category text, ADD COLUMN geog geography(Point, 4326);
UPDATE availability_windows w SET category = p.category, geog = p.geog
FROM professionals p WHERE p.id = w.professional_id;
ALTER TABLE availability_windows ALTER COLUMN category SET NOT NULL, ALTER COLUMN geog SET NOT NULL;
ALTER TABLE professionals ADD CONSTRAINT professionals_id_category_geog_key UNIQUE (id, category, geog);
ALTER TABLE availability_windows ADD CONSTRAINT availability_windows_place_fkey
    FOREIGN KEY (professional_id, category, geog) REFERENCES professionals (id, category, geog)
    ON UPDATE CASCADE ON DELETE CASCADE;
CREATE INDEX availability_windows_open_idx ON availability_windows USING gist (category, period, geog);
