-- A cancelled event's resales are refunded to their buyers, so their sellers'
-- payouts are no longer owed (each seller is refunded their own order instead).
ALTER TABLE payouts DROP CONSTRAINT payouts_status_check;
ALTER TABLE payouts ADD CONSTRAINT payouts_status_check CHECK (status IN ('owed', 'paid', 'cancelled'));
