-- Each line of a booking's history names the booking's professional, the column
-- bookings are distributed by on Citus (docs/SCALING.md): the history is then
-- written on the booking's own shard, in the booking's transaction.
ALTER TABLE booking_transitions ADD COLUMN professional_id uuid;
UPDATE booking_transitions t SET professional_id = b.professional_id
  FROM bookings b WHERE b.id = t.booking_id;
ALTER TABLE booking_transitions ALTER COLUMN professional_id SET NOT NULL;
