-- A waiting list the organizer switches off, or whose event is cancelled,
-- closes: its entries end as 'closed' (and a closed offer's units are given
-- back), so nobody is told a place in a line that no longer moves.
ALTER TABLE waitlist_entries DROP CONSTRAINT waitlist_entries_status_check;
ALTER TABLE waitlist_entries ADD CONSTRAINT waitlist_entries_status_check
    CHECK (status IN ('waiting', 'offered', 'bought', 'lapsed', 'left', 'closed'));
