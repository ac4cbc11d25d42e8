//! The money side of a booking: its PaymentIntent, refunds, Stripe events
//! applied once, and the record of every status change.

use crate::bookings::{Booking, BookingKey, one};
use crate::schema::{booking_transitions, bookings, stripe_events};
use crate::status::Status;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

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

    /// Pending bookings whose hold has run out, locked for this worker only.
    pub async fn lock_expired_holds(
        conn: &mut AsyncPgConnection,
        limit: i64,
    ) -> QueryResult<Vec<Booking>> {
        bookings::table
            .filter(crate::predicates::booking_is_pending())
            .filter(bookings::expires_at.le(diesel::dsl::now))
            .order(bookings::expires_at)
            .limit(limit)
            .select(Booking::as_select())
            .for_update()
            .skip_locked()
            .load(conn)
            .await
    }

    /// Claims up to `limit` refunds owed but not yet made, requested before
    /// `before` and not tried since then: the claim is a lease (`refund_attempted_at`),
    /// so no other worker asks Stripe for them meanwhile.
    pub async fn claim_refunds_due(
        conn: &mut AsyncPgConnection,
        before: DateTime<Utc>,
        limit: i64,
    ) -> QueryResult<Vec<BookingKey>> {
        let due: Vec<(Uuid, Uuid)> = bookings::table
            .filter(bookings::refund_requested_at.le(before))
            .filter(bookings::refund_id.is_null())
            .filter(
                bookings::refund_attempted_at
                    .is_null()
                    .or(bookings::refund_attempted_at.le(before)),
            )
            .order(bookings::refund_attempted_at.asc().nulls_first())
            .limit(limit)
            .select((bookings::professional_id, bookings::id))
            .for_update()
            .skip_locked()
            .load(conn)
            .await?;
        let ids: Vec<Uuid> = due.iter().map(|(_, id)| *id).collect();
        diesel::update(bookings::table.filter(bookings::id.eq_any(&ids)))
            .set(bookings::refund_attempted_at.eq(diesel::dsl::now))
            .execute(conn)
            .await?;
        Ok(due
            .into_iter()
            .map(|(professional_id, id)| BookingKey {
                professional_id,
                id,
            })
            .collect())
    }

    /// Bookings whose payment Stripe should be asked about, untouched since
    /// `before`; locked for this worker only.
    pub async fn lock_unsettled(
        conn: &mut AsyncPgConnection,
        before: DateTime<Utc>,
        limit: i64,
    ) -> QueryResult<Vec<Booking>> {
        // Pending ones whose webhook may be lost, and released ones whose intent
        // may still be payable (its cancellation failed) or was paid after all.
        let not_final = bookings::payment_status
            .is_null()
            .or(bookings::payment_status.ne_all(["succeeded", "canceled"]));
        // And failed ones whose intent creation timed out: Stripe may have made one.
        let with_intent = bookings::payment_intent_id
            .is_not_null()
            .and(bookings::status.eq(Status::Pending).or(not_final));
        let outcome_unknown = bookings::payment_status.eq("unknown");
        bookings::table
            .filter(with_intent.or(outcome_unknown))
            .filter(bookings::updated_at.le(before))
            .order(bookings::updated_at)
            .limit(limit)
            .select(Booking::as_select())
            .for_update()
            .skip_locked()
            .load(conn)
            .await
    }

    /// Marks the booking as looked at, so a reconciler moves on to others.
    pub async fn touch(conn: &mut AsyncPgConnection, key: BookingKey) -> QueryResult<()> {
        diesel::update(one!(key))
            .set(bookings::updated_at.eq(diesel::dsl::now))
            .execute(conn)
            .await
            .map(drop)
    }
}

/// One line of a booking's history.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = booking_transitions)]
pub struct Transition {
    pub id: i64,
    pub booking_id: Uuid,
    pub professional_id: Uuid,
    pub from_status: Option<Status>,
    pub to_status: Status,
    pub reason: String,
    pub source: String,
    pub at: DateTime<Utc>,
}

impl Transition {
    pub async fn record(
        conn: &mut AsyncPgConnection,
        booking: BookingKey,
        from: Option<Status>,
        to: Status,
        reason: &str,
        source: &str,
    ) -> QueryResult<()> {
        diesel::insert_into(booking_transitions::table)
            .values((
                booking_transitions::booking_id.eq(booking.id),
                booking_transitions::professional_id.eq(booking.professional_id),
                booking_transitions::from_status.eq(from),
                booking_transitions::to_status.eq(to),
                booking_transitions::reason.eq(reason),
                booking_transitions::source.eq(source),
            ))
            .execute(conn)
            .await
            .map(drop)
    }

    pub async fn history(
        conn: &mut AsyncPgConnection,
        booking: BookingKey,
    ) -> QueryResult<Vec<Transition>> {
        booking_transitions::table
            .filter(booking_transitions::professional_id.eq(booking.professional_id))
            .filter(booking_transitions::booking_id.eq(booking.id))
            .order(booking_transitions::id)
            .select(Transition::as_select())
            .load(conn)
            .await
    }
}

/// A Stripe event, stored once by id in the transaction that applies it.
pub struct StripeEvent;

impl StripeEvent {
    /// Claims the event id; false when it was applied before (a replay).
    pub async fn claim(conn: &mut AsyncPgConnection, id: &str, kind: &str) -> QueryResult<bool> {
        diesel::insert_into(stripe_events::table)
            .values((
                stripe_events::id.eq(id),
                stripe_events::type_.eq(kind),
                stripe_events::outcome.eq("received"),
            ))
            .on_conflict_do_nothing()
            .execute(conn)
            .await
            .map(|n| n == 1)
    }

    pub async fn set_outcome(
        conn: &mut AsyncPgConnection,
        id: &str,
        booking_id: Option<Uuid>,
        outcome: &str,
    ) -> QueryResult<()> {
        diesel::update(stripe_events::table.find(id))
            .set((
                stripe_events::booking_id.eq(booking_id),
                stripe_events::outcome.eq(outcome),
            ))
            .execute(conn)
            .await
            .map(drop)
    }
}
