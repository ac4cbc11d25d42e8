ALTER TABLE booking_transitions DROP COLUMN professional_id;
