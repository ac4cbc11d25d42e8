//! Availability windows: `[start, end)` spans in which a professional takes bookings.

use crate::schema::{availability_windows, bookings, tstzrange};
use chrono::{DateTime, Utc};
use diesel::PgRangeExpressionMethods;
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = availability_windows)]
pub struct AvailabilityWindow {
    pub id: Uuid,
    pub professional_id: Uuid,
    pub start_time: DateTime<Utc>,
    pub end_time: DateTime<Utc>,
    pub created_at: DateTime<Utc>,
}

/// Why a window could not be removed.
#[derive(Debug, PartialEq, Eq)]
pub enum RemoveOutcome {
    Removed,
    NotFound,
    HasActiveBooking,
}

pub use crate::predicates::booking_is_active;

impl AvailabilityWindow {
    /// Inserts the window; an overlapping window of the same professional is
    /// `ExclusionViolation`, an unknown professional `NotFound`.
    pub async fn insert(
        conn: &mut AsyncPgConnection,
        window: &AvailabilityWindow,
    ) -> QueryResult<()> {
        match insert_rows(conn, std::slice::from_ref(window), Opened::ByHand).await? {
            0 => Err(diesel::result::Error::NotFound),
            _ => Ok(()),
        }
    }

    /// Windows of a professional that overlap `[from, to)`, in time order.
    pub async fn list_overlapping(
        conn: &mut AsyncPgConnection,
        professional_id: Uuid,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        limit: i64,
    ) -> QueryResult<Vec<AvailabilityWindow>> {
        availability_windows::table
            .filter(availability_windows::professional_id.eq(professional_id))
            .filter(availability_windows::period.overlaps_with(tstzrange(from, to)))
            .order(availability_windows::start_time)
            .limit(limit)
            .select(AvailabilityWindow::as_select())
            .load(conn)
            .await
    }

    /// The window that wholly contains `[start, end)`, if any, locked
    /// `FOR NO KEY UPDATE` until the transaction ends.
    ///
    /// Windows never overlap, so two overlapping bookings always lie in the same
    /// window: holding its row lock queues the bookers of one window one behind
    /// the other. Without it, concurrent inserts of overlapping bookings each
    /// wait on the other's exclusion-constraint entry, and PostgreSQL breaks
    /// those deadlocks one per `deadlock_timeout` (1 s): fifty racers for one
    /// slot then queue long enough to hit the statement timeout.
    pub async fn lock_containing(
        conn: &mut AsyncPgConnection,
        professional_id: Uuid,
        start: DateTime<Utc>,
        end: DateTime<Utc>,
    ) -> QueryResult<Option<Uuid>> {
        availability_windows::table
            .filter(availability_windows::professional_id.eq(professional_id))
            .filter(availability_windows::period.contains_range(tstzrange(start, end)))
            .select(availability_windows::id)
            .for_no_key_update()
            .first(conn)
            .await
            .optional()
    }

    /// Removes the window unless an active booking lies inside it.
    pub async fn remove(
        conn: &mut AsyncPgConnection,
        professional_id: Uuid,
        window_id: Uuid,
    ) -> QueryResult<RemoveOutcome> {
        // Locked first: a booking being made in it holds `FOR NO KEY UPDATE`
        // (`lock_containing`), so one waits for the other and the check below
        // sees a booking that committed meanwhile, at any isolation level.
        let window: Option<AvailabilityWindow> = availability_windows::table
            .filter(availability_windows::id.eq(window_id))
            .filter(availability_windows::professional_id.eq(professional_id))
            .select(AvailabilityWindow::as_select())
            .for_update()
            .first(conn)
            .await
            .optional()?;
        let Some(window) = window else {
            return Ok(RemoveOutcome::NotFound);
        };
        let booked: Option<Uuid> = bookings::table
            .filter(bookings::professional_id.eq(professional_id))
            .filter(bookings::period.overlaps_with(tstzrange(window.start_time, window.end_time)))
            .filter(booking_is_active())
            .select(bookings::id)
            .first(conn)
            .await
            .optional()?;
        if booked.is_some() {
            return Ok(RemoveOutcome::HasActiveBooking);
        }
        diesel::delete(
            availability_windows::table
                .filter(availability_windows::professional_id.eq(professional_id))
                .filter(availability_windows::id.eq(window_id)),
        )
        .execute(conn)
        .await?;
        Ok(RemoveOutcome::Removed)
    }
}

impl AvailabilityWindow {
    /// Inserts windows, skipping any that overlap an existing one; returns how many went in.
    pub async fn insert_missing(
        conn: &mut AsyncPgConnection,
        windows: &[AvailabilityWindow],
    ) -> QueryResult<usize> {
        insert_rows(conn, windows, Opened::ByHandUnlessOverlapping).await
    }
}

/// How windows are opened: by hand (an overlap is an error, or skipped) or
/// from a weekly schedule (overlaps skipped).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Opened {
    ByHand,
    ByHandUnlessOverlapping,
    FromSchedule,
}

/// The one INSERT of windows: each carries its professional's category and
/// place (the search's index reads them; a foreign key keeps them equal to
/// the professional's). A window of an unknown professional is left out.
pub async fn insert_rows(
    conn: &mut AsyncPgConnection,
    windows: &[AvailabilityWindow],
    opened: Opened,
) -> QueryResult<usize> {
    use diesel::sql_types::{Array, Bool, Timestamptz, Uuid as SqlUuid};
    if windows.is_empty() {
        return Ok(0);
    }
    let ids: Vec<Uuid> = windows.iter().map(|w| w.id).collect();
    let pros: Vec<Uuid> = windows.iter().map(|w| w.professional_id).collect();
    let starts: Vec<DateTime<Utc>> = windows.iter().map(|w| w.start_time).collect();
    let ends: Vec<DateTime<Utc>> = windows.iter().map(|w| w.end_time).collect();
    let created: Vec<DateTime<Utc>> = windows.iter().map(|w| w.created_at).collect();
    // ON CONFLICT DO NOTHING (no target) also covers the exclusion constraint.
    let on_conflict = match opened {
        Opened::ByHand => "",
        Opened::ByHandUnlessOverlapping | Opened::FromSchedule => " ON CONFLICT DO NOTHING",
    };
    diesel::sql_query(format!(
        "INSERT INTO availability_windows \
         (id, professional_id, start_time, end_time, created_at, from_schedule, category, geog) \
         SELECT t.id, p.id, t.s, t.e, t.c, $6, p.category, p.geog \
         FROM unnest($1, $2, $3, $4, $5) AS t(id, pro, s, e, c) \
         JOIN professionals p ON p.id = t.pro{on_conflict}"
    ))
    .bind::<Array<SqlUuid>, _>(ids)
    .bind::<Array<SqlUuid>, _>(pros)
    .bind::<Array<Timestamptz>, _>(starts)
    .bind::<Array<Timestamptz>, _>(ends)
    .bind::<Array<Timestamptz>, _>(created)
    .bind::<Bool, _>(opened == Opened::FromSchedule)
    .execute(conn)
    .await
}
