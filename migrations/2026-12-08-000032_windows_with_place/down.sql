DROP INDEX availability_windows_open_idx;
ALTER TABLE availability_windows DROP CONSTRAINT availability_windows_place_fkey;
ALTER TABLE professionals DROP CONSTRAINT professionals_id_category_geog_key;
ALTER TABLE availability_windows DROP COLUMN category, DROP COLUMN geog;
