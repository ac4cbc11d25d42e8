//! A booking's money: its PaymentIntent, what Stripe last said, refunds owed
//! and made, and every status change with its reason.

use crate::bookings::{Booking, BookingKey, one};
use crate::schema::bookings;
use crate::status::Status;
use crate::transitions::Transition;

use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};

impl Booking {
    /// Moves the booking from one of `from` to `to` and records why, in the
    /// caller's transaction; `None` when it was not in any of `from`.
    pub async fn transition(
        conn: &mut AsyncPgConnection,
        key: BookingKey,
        from: &[Status],
        to: Status,
        reason: &str,
        source: &str,
    ) -> QueryResult<Option<Booking>> {
        let before: Option<Status> = one!(key)
            .select(bookings::status)
            .for_update()
            .first(conn)
            .await
            .optional()?;
        let Some(before) = before.filter(|s| from.contains(s)) else {
            return Ok(None);
        };
        let mut updated: Booking = diesel::update(one!(key))
            .set((
                bookings::status.eq(to),
                bookings::updated_at.eq(diesel::dsl::now),
            ))
            .returning(Booking::as_returning())
            .get_result(conn)
            .await?;
        if to == Status::Cancelled {
            updated = diesel::update(one!(key))
                .set(bookings::cancelled_at.eq(diesel::dsl::now))
                .returning(Booking::as_returning())
                .get_result(conn)
                .await?;
        }
        Transition::record(conn, key, Some(before), to, reason, source).await?;
        Ok(Some(updated))
    }

    pub async fn find_by_intent(
        conn: &mut AsyncPgConnection,
        intent: &str,
    ) -> QueryResult<Option<Booking>> {
        bookings::table
            .filter(bookings::payment_intent_id.eq(intent))
            .select(Booking::as_select())
            .first(conn)
            .await
            .optional()
    }

    pub async fn get(
        conn: &mut AsyncPgConnection,
        key: BookingKey,
    ) -> QueryResult<Option<Booking>> {
        one!(key)
            .select(Booking::as_select())
            .first(conn)
            .await
            .optional()
    }

    /// Stores the booking's PaymentIntent, unless another one is attached
    /// already; `None` then (the caller must not leave the other payable).
    pub async fn attach_intent(
        conn: &mut AsyncPgConnection,
        key: BookingKey,
        intent: &str,
        client_secret: &str,
        status: &str,
    ) -> QueryResult<Option<Booking>> {
        diesel::update(one!(key))
            .filter(
                bookings::payment_intent_id
                    .is_null()
                    .or(bookings::payment_intent_id.eq(intent)),
            )
            .set((
                bookings::payment_intent_id.eq(intent),
                bookings::payment_client_secret.eq(client_secret),
                bookings::payment_status.eq(status),
                bookings::updated_at.eq(diesel::dsl::now),
            ))
            .returning(Booking::as_returning())
            .get_result(conn)
            .await
            .optional()
    }

    /// The booking, locked until the end of the caller's transaction.
    pub async fn lock(
        conn: &mut AsyncPgConnection,
        key: BookingKey,
    ) -> QueryResult<Option<Booking>> {
        one!(key)
            .select(Booking::as_select())
            .for_update()
            .first(conn)
            .await
            .optional()
    }

    /// Remembers what Stripe last said about the payment.
    pub async fn record_payment(
        conn: &mut AsyncPgConnection,
        key: BookingKey,
        status: &str,
        error: Option<&str>,
    ) -> QueryResult<()> {
        diesel::update(one!(key))
            .set((
                bookings::payment_status.eq(status),
                bookings::payment_error.eq(error),
                bookings::updated_at.eq(diesel::dsl::now),
            ))
            .execute(conn)
            .await
            .map(drop)
    }

    /// Marks a refund as owed (once); the refund completer makes it at Stripe.
    pub async fn request_refund(
        conn: &mut AsyncPgConnection,
        key: BookingKey,
        amount_cents: i64,
        reason: &str,
    ) -> QueryResult<()> {
        diesel::update(one!(key))
            .filter(bookings::refund_requested_at.is_null())
            .set((
                bookings::refund_requested_at.eq(diesel::dsl::now),
                bookings::refund_amount_cents.eq(amount_cents),
                bookings::refund_reason.eq(reason),
            ))
            .execute(conn)
            .await
            .map(drop)
    }

    /// Records the refund Stripe made; true when this call recorded it.
    pub async fn record_refund(
        conn: &mut AsyncPgConnection,
        key: BookingKey,
        refund_id: &str,
        amount_cents: i64,
        reason: &str,
    ) -> QueryResult<bool> {
        diesel::sql_query(
            "UPDATE bookings SET refund_id = $2, refund_amount_cents = $3,
                 refund_reason = COALESCE(refund_reason, $4),
                 refund_requested_at = COALESCE(refund_requested_at, now()), updated_at = now()
             WHERE professional_id = $5 AND id = $1 AND refund_id IS NULL",
        )
        .bind::<diesel::sql_types::Uuid, _>(key.id)
        .bind::<diesel::sql_types::Text, _>(refund_id)
        .bind::<diesel::sql_types::BigInt, _>(amount_cents)
        .bind::<diesel::sql_types::Text, _>(reason)
        .bind::<diesel::sql_types::Uuid, _>(key.professional_id)
        .execute(conn)
        .await
        .map(|n| n == 1)
    }
}
