//! Bookings: a client's claim on a professional's time. Every query of a
//! booking lives in this module: finding and listing here, its money and
//! what the jobs claim stamped on by `payable_rows!`.

use crate::availability::booking_is_active;
use crate::schema::{bookings, professionals, tstzrange};
use chrono::{DateTime, Utc};
use diesel::PgRangeExpressionMethods;
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

pub use crate::status::Status;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = bookings)]
pub struct Booking {
    pub id: Uuid,
    pub professional_id: Uuid,
    pub client_id: Option<Uuid>,
    pub start_time: DateTime<Utc>,
    pub end_time: DateTime<Utc>,
    pub duration_minutes: i32,
    pub price_cents: i64,
    pub currency: String,
    pub status: Status,
    pub expires_at: Option<DateTime<Utc>>,
    pub cancelled_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub payment_intent_id: Option<String>,
    pub payment_client_secret: Option<String>,
    pub payment_status: Option<String>,
    pub payment_error: Option<String>,
    /// The address the booking was made from (unpaid holds are capped per IP).
    pub client_ip: Option<String>,
}

/// A booking as it is first stored: what the request decided; the payment
/// columns start empty. A `None` is stored as NULL (no column here
/// has another default), so the INSERT's text never changes and diesel keeps
/// it as a prepared statement instead of parsing and planning it every time.
#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = bookings, treat_none_as_default_value = false)]
pub struct NewBooking {
    pub id: Uuid,
    pub professional_id: Uuid,
    pub client_id: Option<Uuid>,
    pub start_time: DateTime<Utc>,
    pub end_time: DateTime<Utc>,
    pub duration_minutes: i32,
    pub price_cents: i64,
    pub currency: String,
    pub status: Status,
    pub expires_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub client_ip: Option<String>,
    /// The end of the booking plus its professional's buffer (`None`: no buffer).
    pub blocked_until: Option<DateTime<Utc>>,
}

/// How a known booking is addressed: its professional and its id. Every
/// statement on a booking names `professional_id`, the column bookings would be
/// distributed by on Citus (docs/SCALING.md), so it stays on one shard there.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct BookingKey {
    pub professional_id: Uuid,
    pub id: Uuid,
}

crate::payable_rows::payable_rows!(
    Booking,
    BookingKey,
    bookings,
    professional_id,
    booking_transitions,
    booking_id,
    crate::predicates::booking_is_pending,
    crate::predicates::booking_is_unsettled
);

/// A booking together with the slug of its professional, as the API shows it.
#[derive(Debug, Clone, Queryable, Selectable)]
pub struct BookingWithSlug {
    #[diesel(embed)]
    pub booking: Booking,
    #[diesel(select_expression = professionals::slug)]
    #[diesel(select_expression_type = professionals::slug)]
    pub professional_slug: String,
}

/// Whose bookings a list shows.
#[derive(Debug, Clone, Copy)]
pub enum BookingOwner {
    /// Bookings the user made.
    Client(Uuid),
    /// Bookings of the professionals the user owns.
    ProfessionalOwner(Uuid),
}

/// Whose unpaid holds to count.
#[derive(Debug, Clone, Copy)]
pub enum HoldOwner<'a> {
    Client(Uuid),
    Ip(&'a str),
}

/// Keyset position for paging newest-first.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BookingCursor {
    pub created_at: DateTime<Utc>,
    pub id: Uuid,
}

impl Booking {
    pub fn key(&self) -> BookingKey {
        BookingKey {
            professional_id: self.professional_id,
            id: self.id,
        }
    }

    /// Stores a new booking and answers it as stored.
    pub async fn insert(conn: &mut AsyncPgConnection, new: &NewBooking) -> QueryResult<Booking> {
        diesel::insert_into(bookings::table)
            .values(new)
            .returning(Booking::as_returning())
            .get_result(conn)
            .await
    }

    /// Unpaid bookings still holding their slot, of one client or one address.
    pub async fn count_unpaid_holds(
        mut conn: &AsyncPgConnection,
        owner: HoldOwner<'_>,
    ) -> QueryResult<i64> {
        let query = bookings::table
            .filter(crate::predicates::booking_is_pending())
            .filter(bookings::expires_at.gt(diesel::dsl::now))
            .count()
            .into_boxed();
        let query = match owner {
            HoldOwner::Client(id) => query.filter(bookings::client_id.eq(id)),
            HoldOwner::Ip(ip) => query.filter(bookings::client_ip.eq(ip)),
        };
        query.get_result(&mut conn).await
    }

    /// Whether an active booking of the professional overlaps `[start, end)`.
    /// The end of the booking's buffer, when its professional keeps one.
    pub async fn blocked_until(
        conn: &mut AsyncPgConnection,
        key: BookingKey,
    ) -> QueryResult<Option<DateTime<Utc>>> {
        bookings::table
            .filter(bookings::professional_id.eq(key.professional_id))
            .filter(bookings::id.eq(key.id))
            .select(bookings::blocked_until)
            .first(conn)
            .await
    }

    /// Whether an active booking's blocked period (booked time and buffer)
    /// meets `[start, blocked_end)`: a new booking's own blocked period.
    pub async fn slot_taken(
        conn: &mut AsyncPgConnection,
        professional_id: Uuid,
        start: DateTime<Utc>,
        blocked_end: DateTime<Utc>,
    ) -> QueryResult<bool> {
        bookings::table
            .filter(bookings::professional_id.eq(professional_id))
            .filter(bookings::blocked.overlaps_with(tstzrange(start, blocked_end)))
            .filter(booking_is_active())
            .select(bookings::id)
            .first::<Uuid>(conn)
            .await
            .optional()
            .map(|found| found.is_some())
    }

    pub async fn find(
        conn: &mut AsyncPgConnection,
        id: Uuid,
    ) -> QueryResult<Option<BookingWithSlug>> {
        bookings::table
            .inner_join(professionals::table)
            .filter(bookings::id.eq(id))
            .select(BookingWithSlug::as_select())
            .first(conn)
            .await
            .optional()
    }

    /// One page, newest first, after `cursor`.
    pub async fn list(
        conn: &mut AsyncPgConnection,
        owner: BookingOwner,
        cursor: Option<BookingCursor>,
        limit: i64,
    ) -> QueryResult<Vec<BookingWithSlug>> {
        let mut query = bookings::table
            .inner_join(professionals::table)
            .select(BookingWithSlug::as_select())
            .order((bookings::created_at.desc(), bookings::id.desc()))
            .limit(limit)
            .into_boxed();
        query = match owner {
            BookingOwner::Client(user) => query.filter(bookings::client_id.eq(user)),
            BookingOwner::ProfessionalOwner(user) => query.filter(professionals::owner_id.eq(user)),
        };
        if let Some(c) = cursor {
            query = query.filter(
                bookings::created_at
                    .lt(c.created_at)
                    .or(bookings::created_at
                        .eq(c.created_at)
                        .and(bookings::id.lt(c.id))),
            );
        }
        query.load(conn).await
    }
}
