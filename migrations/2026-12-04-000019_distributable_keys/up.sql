-- Keys that Citus can distribute (docs/SCALING.md): every primary, unique and
-- exclusion key of a table sharded by professional_id contains it, and no
-- distributed table has an identity column. On one PostgreSQL the same rows
-- are accepted and refused as before: ids are random UUIDs, and an intent is
-- attached to one booking by the code that makes it.

-- bookings: (professional_id, id); an intent is unique per professional.
ALTER TABLE booking_transitions DROP CONSTRAINT booking_transitions_booking_id_fkey;
ALTER TABLE bookings DROP CONSTRAINT bookings_pkey;
ALTER TABLE bookings ADD PRIMARY KEY (professional_id, id);
ALTER TABLE bookings DROP CONSTRAINT bookings_payment_intent_id_key;
ALTER TABLE bookings ADD CONSTRAINT bookings_payment_intent_id_key
    UNIQUE (professional_id, payment_intent_id);
-- Lookups that know only the booking id (GET /bookings/{id}) or the intent
-- (a charge.refunded webhook) keep an index of their own.
CREATE INDEX bookings_id ON bookings (id);
CREATE INDEX bookings_payment_intent_id ON bookings (payment_intent_id)
    WHERE payment_intent_id IS NOT NULL;

-- booking_transitions: a sequence instead of an identity column, and keys
-- that name the professional.
ALTER TABLE booking_transitions ALTER COLUMN id DROP IDENTITY;
CREATE SEQUENCE booking_transitions_id_seq OWNED BY booking_transitions.id;
SELECT setval('booking_transitions_id_seq', COALESCE((SELECT max(id) FROM booking_transitions), 0) + 1, false);
ALTER TABLE booking_transitions ALTER COLUMN id SET DEFAULT nextval('booking_transitions_id_seq');
ALTER TABLE booking_transitions DROP CONSTRAINT booking_transitions_pkey;
ALTER TABLE booking_transitions ADD PRIMARY KEY (professional_id, id);
ALTER TABLE booking_transitions ADD CONSTRAINT booking_transitions_booking_fkey
    FOREIGN KEY (professional_id, booking_id) REFERENCES bookings (professional_id, id) ON DELETE CASCADE;

-- availability_windows: (professional_id, id).
ALTER TABLE availability_windows DROP CONSTRAINT availability_windows_pkey;
ALTER TABLE availability_windows ADD PRIMARY KEY (professional_id, id);
