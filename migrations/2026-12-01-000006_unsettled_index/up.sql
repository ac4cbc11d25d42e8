-- What reconciliation scans: bookings whose payment Stripe should be asked
-- about. Without it the scan read the whole table every job round (found by
-- tests/statements.rs explaining the job statements). The predicate is the
-- one `predicates::booking_is_unsettled` writes, so the planner matches it.
CREATE INDEX bookings_unsettled_idx ON bookings (updated_at)
    WHERE (payment_intent_id IS NOT NULL
           AND (status = 'pending' OR payment_status IS NULL
                OR payment_status NOT IN ('succeeded', 'canceled')))
       OR payment_status = 'unknown';
