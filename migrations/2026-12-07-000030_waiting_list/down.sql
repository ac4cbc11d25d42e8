DROP TABLE waitlist_entries;
ALTER TABLE events DROP COLUMN waitlist;
