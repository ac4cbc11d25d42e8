DROP INDEX sessions_user_ip;
ALTER TABLE sessions DROP COLUMN client_ip;
DROP INDEX bookings_unpaid_by_ip;
DROP INDEX bookings_unpaid_by_client;
ALTER TABLE bookings DROP COLUMN client_ip;
