//! Free, bookable slots: availability minus active bookings.

use crate::availability::{AvailabilityWindow, booking_is_active};
use crate::schema::{bookings, tstzrange};
use chrono::{DateTime, Duration, Utc};
use diesel::PgRangeExpressionMethods;
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

/// Slots start every this many minutes from the start of their window.
pub const SLOT_STEP_MINUTES: i64 = 15;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Slot {
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
}

/// Busy `[start, end)` spans of a professional's active bookings overlapping
/// `[from, to)`, each with the buffer kept free after it.
pub async fn busy_spans(
    conn: &mut AsyncPgConnection,
    professional_id: Uuid,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> QueryResult<Vec<(DateTime<Utc>, DateTime<Utc>)>> {
    bookings::table
        .filter(bookings::professional_id.eq(professional_id))
        .filter(bookings::blocked.overlaps_with(tstzrange(from, to)))
        .filter(booking_is_active())
        .select((
            bookings::start_time,
            bookings::end_time,
            bookings::blocked_until,
        ))
        .order(bookings::start_time)
        .load::<(DateTime<Utc>, DateTime<Utc>, Option<DateTime<Utc>>)>(conn)
        .await
        .map(|rows| {
            rows.into_iter()
                .map(|(s, e, b)| (s, b.unwrap_or(e)))
                .collect()
        })
}

/// Free slots of `duration` inside `windows`, within `[from, to)`, not before
/// `not_before`, clear of every busy span; at most `limit` of them.
pub fn free_slots(
    windows: &[AvailabilityWindow],
    busy: &[(DateTime<Utc>, DateTime<Utc>)],
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    not_before: DateTime<Utc>,
    duration: Duration,
    limit: usize,
) -> Vec<Slot> {
    let step = Duration::minutes(SLOT_STEP_MINUTES);
    let mut slots = Vec::new();
    for window in windows {
        let mut start = window.start_time;
        while start + duration <= window.end_time && slots.len() < limit {
            let end = start + duration;
            let inside = start >= from && end <= to && start >= not_before;
            let clear = busy
                .iter()
                .all(|(b_start, b_end)| end <= *b_start || start >= *b_end);
            if inside && clear {
                slots.push(Slot { start, end });
            }
            start += step;
        }
    }
    slots
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(h: u32, m: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2030, 1, 1, h, m, 0)
            .single()
            .expect("valid time")
    }

    fn window(start: DateTime<Utc>, end: DateTime<Utc>) -> AvailabilityWindow {
        AvailabilityWindow {
            id: Uuid::nil(),
            professional_id: Uuid::nil(),
            start_time: start,
            end_time: end,
            created_at: start,
        }
    }

    #[test]
    fn slots_skip_busy_time_and_stay_inside_the_window() {
        let windows = [window(at(10, 0), at(12, 0))];
        let busy = [(at(10, 30), at(11, 0))];
        let slots = free_slots(
            &windows,
            &busy,
            at(0, 0),
            at(23, 0),
            at(0, 0),
            Duration::minutes(30),
            100,
        );
        let starts: Vec<_> = slots.iter().map(|s| s.start).collect();
        assert_eq!(starts, vec![at(10, 0), at(11, 0), at(11, 15), at(11, 30)]);
    }

    #[test]
    fn slots_respect_not_before_and_limit() {
        let windows = [window(at(10, 0), at(12, 0))];
        let slots = free_slots(
            &windows,
            &[],
            at(0, 0),
            at(23, 0),
            at(10, 20),
            Duration::minutes(30),
            2,
        );
        assert_eq!(
            slots,
            vec![
                Slot {
                    start: at(10, 30),
                    end: at(11, 0)
                },
                Slot {
                    start: at(10, 45),
                    end: at(11, 15)
                }
            ]
        );
    }
}
