DROP TABLE checkins;
DROP TABLE scanners;
DROP INDEX tickets_event_changed_idx;
ALTER TABLE tickets DROP CONSTRAINT tickets_inside_entered,
    DROP COLUMN inside, DROP COLUMN entries, DROP COLUMN changed_at, DROP COLUMN moves;
ALTER TABLE events DROP COLUMN reentry;
