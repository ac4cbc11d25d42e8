UPDATE waitlist_entries SET status = 'left' WHERE status = 'closed';
ALTER TABLE waitlist_entries DROP CONSTRAINT waitlist_entries_status_check;
ALTER TABLE waitlist_entries ADD CONSTRAINT waitlist_entries_status_check
    CHECK (status IN ('waiting', 'offered', 'bought', 'lapsed', 'left'));
