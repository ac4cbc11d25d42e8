//! Status predicates written out as literal SQL, so the planner matches the
//! partial indexes built on them (`WHERE status = 'pending'`) even in a generic
//! plan, where a bound parameter would match nothing. Each has a static query
//! id so diesel caches the prepared statement (a plain `sql()` literal would be
//! prepared again on every call).

macro_rules! literal_predicate {
    ($(#[$doc:meta])* $name:ident, $fn:ident, $sql:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, diesel::query_builder::QueryId, diesel::expression::ValidGrouping)]
        pub struct $name;

        impl diesel::Expression for $name {
            type SqlType = diesel::sql_types::Bool;
        }

        impl<QS> diesel::AppearsOnTable<QS> for $name where QS: diesel::query_source::QuerySource {}

        impl<QS> diesel::SelectableExpression<QS> for $name where
            QS: diesel::query_source::QuerySource
        {
        }

        impl diesel::query_builder::QueryFragment<diesel::pg::Pg> for $name {
            fn walk_ast<'b>(
                &'b self,
                mut out: diesel::query_builder::AstPass<'_, 'b, diesel::pg::Pg>,
            ) -> diesel::QueryResult<()> {
                out.push_sql($sql);
                Ok(())
            }
        }

        pub fn $fn() -> $name {
            $name
        }
    };
}

literal_predicate!(
    /// "This booking holds its slot": the partial exclusion index's predicate.
    BookingIsActive,
    booking_is_active,
    "bookings.status IN ('pending', 'confirmed')"
);

literal_predicate!(
    /// "This booking waits for payment": the unpaid-hold indexes' predicate.
    BookingIsPending,
    booking_is_pending,
    "bookings.status = 'pending'"
);

literal_predicate!(
    /// "Stripe should be asked about this booking's payment": pending ones whose
    /// webhook may be lost, released ones whose intent may still be payable (its
    /// cancellation failed) or was paid after all, and failed ones whose intent
    /// creation timed out (Stripe may have made one). The predicate of
    /// `bookings_unsettled_idx`.
    BookingIsUnsettled,
    booking_is_unsettled,
    "((bookings.payment_intent_id IS NOT NULL \
       AND (bookings.status = 'pending' OR bookings.payment_status IS NULL \
            OR bookings.payment_status NOT IN ('succeeded', 'canceled'))) \
      OR bookings.payment_status = 'unknown')"
);

literal_predicate!(
    /// "This order waits for payment": the unpaid-order indexes' predicate.
    OrderIsPending,
    order_is_pending,
    "orders.status = 'pending'"
);

literal_predicate!(
    /// [`BookingIsUnsettled`] for orders: the predicate of `orders_unsettled_idx`.
    OrderIsUnsettled,
    order_is_unsettled,
    "((orders.payment_intent_id IS NOT NULL \
       AND (orders.status = 'pending' OR orders.payment_status IS NULL \
            OR orders.payment_status NOT IN ('succeeded', 'canceled'))) \
      OR orders.payment_status = 'unknown')"
);
