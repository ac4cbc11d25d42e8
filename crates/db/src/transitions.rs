//! The record of every status change: from, to, why, and on whose word.

use crate::bookings::BookingKey;
use crate::schema::booking_transitions;
use crate::status::Status;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

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
