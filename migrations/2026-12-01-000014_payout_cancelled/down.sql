UPDATE payouts SET status = 'owed' WHERE status = 'cancelled';
ALTER TABLE payouts DROP CONSTRAINT payouts_status_check;
ALTER TABLE payouts ADD CONSTRAINT payouts_status_check CHECK (status IN ('owed', 'paid'));
