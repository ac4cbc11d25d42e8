DELETE FROM availability_windows WHERE from_schedule;
ALTER TABLE availability_windows DROP COLUMN from_schedule;
DROP TABLE professional_schedules;
