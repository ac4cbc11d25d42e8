DROP TABLE IF EXISTS idempotency_keys;
DROP TABLE IF EXISTS bookings;
DROP TABLE IF EXISTS availability_windows;
DROP TABLE IF EXISTS professionals;
DROP TABLE IF EXISTS sessions;
DROP TABLE IF EXISTS users;
