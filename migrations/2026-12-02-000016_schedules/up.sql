-- A professional's weekly hours in their own time zone. The windows they open
-- are materialized into availability_windows (from_schedule) for a rolling
-- horizon, so slots, booking validation and search read one kind of window.
CREATE TABLE professional_schedules (
    professional_id uuid PRIMARY KEY REFERENCES professionals (id) ON DELETE CASCADE,
    timezone text NOT NULL,
    weekly jsonb NOT NULL,
    exceptions jsonb NOT NULL DEFAULT '[]',
    buffer_minutes integer NOT NULL DEFAULT 0 CHECK (buffer_minutes BETWEEN 0 AND 240),
    min_notice_minutes integer NOT NULL DEFAULT 0 CHECK (min_notice_minutes BETWEEN 0 AND 43200),
    max_advance_days integer NOT NULL DEFAULT 60 CHECK (max_advance_days BETWEEN 1 AND 366),
    -- The last local date whose windows exist, and the day the job must open more.
    materialized_until date NOT NULL,
    extend_on date NOT NULL,
    version bigint NOT NULL DEFAULT 1,
    updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX professional_schedules_extend_on ON professional_schedules (extend_on);

ALTER TABLE availability_windows ADD COLUMN from_schedule boolean NOT NULL DEFAULT false;
