ALTER TABLE availability_windows DROP CONSTRAINT availability_windows_pkey;
ALTER TABLE availability_windows ADD PRIMARY KEY (id);
ALTER TABLE booking_transitions DROP CONSTRAINT booking_transitions_booking_fkey;
ALTER TABLE booking_transitions DROP CONSTRAINT booking_transitions_pkey;
ALTER TABLE booking_transitions ALTER COLUMN id DROP DEFAULT;
DROP SEQUENCE booking_transitions_id_seq;
ALTER TABLE booking_transitions ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY;
SELECT setval(pg_get_serial_sequence('booking_transitions', 'id'), COALESCE((SELECT max(id) FROM booking_transitions), 0) + 1, false);
ALTER TABLE booking_transitions ADD PRIMARY KEY (id);
DROP INDEX bookings_payment_intent_id;
DROP INDEX bookings_id;
ALTER TABLE bookings DROP CONSTRAINT bookings_payment_intent_id_key;
ALTER TABLE bookings ADD CONSTRAINT bookings_payment_intent_id_key UNIQUE (payment_intent_id);
ALTER TABLE bookings DROP CONSTRAINT bookings_pkey;
ALTER TABLE bookings ADD PRIMARY KEY (id);
ALTER TABLE booking_transitions ADD CONSTRAINT booking_transitions_booking_id_fkey
    FOREIGN KEY (booking_id) REFERENCES bookings (id) ON DELETE CASCADE;
