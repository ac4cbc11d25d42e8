ALTER TABLE bookings DROP CONSTRAINT bookings_no_double_booking;
ALTER TABLE bookings ADD CONSTRAINT bookings_no_double_booking
    EXCLUDE USING gist (professional_id WITH =, period WITH &&)
    WHERE (status IN ('pending', 'confirmed'));
ALTER TABLE bookings DROP COLUMN blocked;
ALTER TABLE bookings DROP CONSTRAINT bookings_blocked_until_check;
ALTER TABLE bookings DROP COLUMN blocked_until;
