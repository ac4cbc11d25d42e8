ALTER TABLE bookings DROP COLUMN refund_attempted_at;
