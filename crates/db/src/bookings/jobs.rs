//! What the background jobs claim of bookings, each `FOR UPDATE SKIP LOCKED`
//! (or leased) so that many instances never work on the same one.

use crate::bookings::{Booking, BookingKey, one};
use crate::schema::bookings;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

impl Booking {
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
        bookings::table
            .filter(crate::predicates::booking_is_unsettled())
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
