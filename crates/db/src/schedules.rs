//! Professionals' weekly schedules, and the availability windows they open
//! (materialized rows of `availability_windows` with `from_schedule`).

use crate::availability::{AvailabilityWindow, Opened, insert_rows};
use crate::professionals::{Professional, ProfessionalRef};
use crate::schema::{professional_schedules, professionals};
use chrono::{DateTime, NaiveDate, Utc};
use diesel::prelude::*;
use diesel::sql_types::{Timestamptz, Uuid as SqlUuid};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

#[derive(Debug, Clone, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = professional_schedules)]
// The key stays out of the update's SET: Citus refuses to "change" a row's
// distribution column, even to itself.
#[diesel(primary_key(professional_id))]
pub struct Schedule {
    pub professional_id: Uuid,
    pub timezone: String,
    /// `[{ "day": "mon", "start": "09:00", "end": "17:00" }]`
    pub weekly: serde_json::Value,
    /// `[{ "date": "2026-12-24", "closed": true }]` or with `start`/`end`.
    pub exceptions: serde_json::Value,
    pub buffer_minutes: i32,
    pub min_notice_minutes: i32,
    pub max_advance_days: i32,
    pub materialized_until: NaiveDate,
    /// The (UTC) day from which `materialized_until` is less than
    /// `max_advance_days` ahead: the job opens more days then.
    pub extend_on: NaiveDate,
    pub version: i64,
    pub updated_at: DateTime<Utc>,
}

impl Schedule {
    pub async fn find(
        conn: &mut AsyncPgConnection,
        professional_id: Uuid,
    ) -> QueryResult<Option<Schedule>> {
        professional_schedules::table
            .find(professional_id)
            .select(Schedule::as_select())
            .first(conn)
            .await
            .optional()
    }

    /// The schedule locked until the transaction ends (its replacement and
    /// the job extending it take turns).
    pub async fn lock(
        conn: &mut AsyncPgConnection,
        professional_id: Uuid,
    ) -> QueryResult<Option<Schedule>> {
        professional_schedules::table
            .find(professional_id)
            .select(Schedule::as_select())
            .for_update()
            .first(conn)
            .await
            .optional()
    }

    /// Writes `self` (a new schedule, or the next version of one).
    pub async fn save(&self, conn: &mut AsyncPgConnection) -> QueryResult<()> {
        diesel::insert_into(professional_schedules::table)
            .values(self)
            .on_conflict(professional_schedules::professional_id)
            .do_update()
            .set(self)
            .execute(conn)
            .await
            .map(drop)
    }

    /// Schedules due to open more days by `today`, locked, skipping those
    /// another instance holds.
    pub async fn due(
        conn: &mut AsyncPgConnection,
        today: NaiveDate,
        limit: i64,
    ) -> QueryResult<Vec<Schedule>> {
        // Candidates unlocked, then each locked by its key (Citus locks one shard at a time).
        let due =
            || professional_schedules::table.filter(professional_schedules::extend_on.le(today));
        let ids: Vec<Uuid> = due()
            .select(professional_schedules::professional_id)
            .order(professional_schedules::extend_on)
            .limit(limit)
            .load(conn)
            .await?;
        let mut locked = Vec::with_capacity(ids.len());
        for id in ids {
            let schedule = due()
                .filter(professional_schedules::professional_id.eq(id))
                .select(Schedule::as_select())
                .for_update()
                .skip_locked()
                .first(conn)
                .await
                .optional()?;
            locked.extend(schedule);
        }
        Ok(locked)
    }
}

/// What a professional's schedule asks of a new booking: minutes of buffer
/// kept free after it, and minutes of notice before it (0 and 0 without one).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct BookingRules {
    pub buffer_minutes: i32,
    pub min_notice_minutes: i32,
}

/// The professional and their booking rules, in one statement (a booking reads
/// both; a second round trip was a tenth of its statements).
pub async fn find_with_rules(
    conn: &mut AsyncPgConnection,
    reference: &ProfessionalRef,
) -> QueryResult<Option<(Professional, BookingRules)>> {
    let rules = (
        professional_schedules::buffer_minutes,
        professional_schedules::min_notice_minutes,
    )
        .nullable();
    let joined = professionals::table.left_join(professional_schedules::table);
    // Two static queries rather than one boxed: each keeps a cached prepared statement.
    let found: Option<(Professional, Option<(i32, i32)>)> = match reference {
        ProfessionalRef::Id(id) => {
            joined
                .filter(professionals::id.eq(*id))
                .select((Professional::as_select(), rules))
                .first(conn)
                .await
        }
        ProfessionalRef::Slug(slug) => {
            joined
                .filter(professionals::slug.eq(slug))
                .select((Professional::as_select(), rules))
                .first(conn)
                .await
        }
    }
    .optional()?;
    Ok(found.map(|(pro, rules)| {
        let (buffer_minutes, min_notice_minutes) = rules.unwrap_or((0, 0));
        (
            pro,
            BookingRules {
                buffer_minutes,
                min_notice_minutes,
            },
        )
    }))
}

/// Drops the professional's schedule windows that end after `from` and hold
/// no active booking (a booked window stays, so its booking stays valid).
pub async fn drop_windows_after(
    conn: &mut AsyncPgConnection,
    professional_id: Uuid,
    from: DateTime<Utc>,
) -> QueryResult<usize> {
    diesel::sql_query(
        "DELETE FROM availability_windows w WHERE w.professional_id = $1 AND w.from_schedule \
         AND w.end_time > $2 AND NOT EXISTS (SELECT 1 FROM bookings \
         WHERE bookings.professional_id = w.professional_id AND bookings.blocked && w.period \
         AND bookings.status IN ('pending', 'confirmed'))",
    )
    .bind::<SqlUuid, _>(professional_id)
    .bind::<Timestamptz, _>(from)
    .execute(conn)
    .await
}

/// Opens `spans` as schedule windows; a span overlapping a window already
/// there (a one-off window, or a booked one kept) is left out.
pub async fn open_windows(
    conn: &mut AsyncPgConnection,
    professional_id: Uuid,
    spans: &[(DateTime<Utc>, DateTime<Utc>)],
) -> QueryResult<usize> {
    let now = Utc::now();
    let windows: Vec<AvailabilityWindow> = (spans.iter())
        .map(|&(start_time, end_time)| AvailabilityWindow {
            id: Uuid::now_v7(),
            professional_id,
            start_time,
            end_time,
            created_at: now,
        })
        .collect();
    insert_rows(conn, &windows, Opened::FromSchedule).await
}
