DROP INDEX bookings_unsettled_idx;
