-- A booking of a professional with `buffer_minutes` keeps that long free
-- after it: `blocked` is the booked period plus the buffer, and the exclusion
-- constraint that refuses double bookings now compares blocked periods, so
-- two bookings closer than the buffer are impossible whatever the code does.
-- (Extending one side is enough: of two bookings, the earlier one's buffer
-- lies between them.)
ALTER TABLE bookings ADD COLUMN blocked_until timestamptz;
ALTER TABLE bookings ADD CONSTRAINT bookings_blocked_until_check
    CHECK (blocked_until IS NULL OR blocked_until >= end_time);
ALTER TABLE bookings ADD COLUMN blocked tstzrange
    GENERATED ALWAYS AS (tstzrange(start_time, COALESCE(blocked_until, end_time), '[)')) STORED;
ALTER TABLE bookings DROP CONSTRAINT bookings_no_double_booking;
ALTER TABLE bookings ADD CONSTRAINT bookings_no_double_booking
    EXCLUDE USING gist (professional_id WITH =, blocked WITH &&)
    WHERE (status IN ('pending', 'confirmed'));
