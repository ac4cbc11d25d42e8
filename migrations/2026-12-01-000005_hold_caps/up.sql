-- Who holds unpaid bookings, so a per-user and per-IP cap can count them.
ALTER TABLE bookings ADD COLUMN client_ip text;
CREATE INDEX bookings_unpaid_by_client ON bookings (client_id) WHERE status = 'pending';
CREATE INDEX bookings_unpaid_by_ip ON bookings (client_ip) WHERE status = 'pending';

-- Where a user signed in from: a correct password from a known address passes
-- the per-email sign-in slow-down.
ALTER TABLE sessions ADD COLUMN client_ip text;
CREATE INDEX sessions_user_ip ON sessions (user_id, client_ip);
