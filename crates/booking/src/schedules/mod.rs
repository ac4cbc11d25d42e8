//! Weekly schedules: a professional's hours in their own IANA time zone,
//! with date exceptions. They open availability windows for a rolling
//! horizon (`max_advance_days`): written at once when the schedule is saved,
//! extended day by day by a job, so slots, booking validation and search keep
//! reading one kind of window, indexed as before.

pub mod expand;

use chrono::{DateTime, Duration, NaiveDate, NaiveTime, Utc, Weekday};
use chrono_tz::Tz;
use expand::{DAYS, Exception, Hours, Week, WeeklyHours};
use poem_openapi::Object;
use serde::{Deserialize, Serialize};
use slotwise_db::schedules::{self, Schedule};
use slotwise_db::{AsyncPgConnection, DbError, DbPool, read_committed};
use slotwise_web::FieldError;
use slotwise_web::Plain;
use slotwise_web::Text;
use uuid::Uuid;

/// Opening hours on a weekday, in the schedule's time zone.
#[derive(Debug, Clone, Object, Serialize, Deserialize, PartialEq, Eq)]
pub struct WeeklyInterval {
    /// `mon`, `tue`, `wed`, `thu`, `fri`, `sat` or `sun`.
    pub day: Text,
    /// `HH:MM`, local time.
    pub start: Text,
    /// `HH:MM` after `start`; `24:00` is midnight at the end of the day.
    pub end: Text,
}

/// A date that differs from the week: `closed`, or open `start`..`end` instead.
#[derive(Debug, Clone, Object, Serialize, Deserialize, PartialEq, Eq)]
pub struct DateException {
    /// The local date (`YYYY-MM-DD`).
    pub date: NaiveDate,
    #[oai(default)]
    #[serde(default)]
    pub closed: bool,
    #[oai(skip_serializing_if_is_none)]
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub start: Option<Text>,
    #[oai(skip_serializing_if_is_none)]
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub end: Option<Text>,
}

/// `PUT /professionals/{id}/schedule`.
#[derive(Debug, Clone, Object)]
pub struct ScheduleRequest {
    /// An IANA time zone, e.g. `Europe/Berlin` or `Africa/Accra`.
    pub timezone: Text,
    /// At most 50 intervals.
    pub weekly: Vec<WeeklyInterval>,
    /// At most 400 dates.
    #[oai(default)]
    pub exceptions: Vec<DateException>,
    /// Minutes kept free before and after each booking: 0..=240, default 0.
    #[oai(default)]
    pub buffer_minutes: i32,
    /// How long before its start a slot can still be booked: 0..=43200 minutes, default 0.
    #[oai(default)]
    pub min_notice_minutes: i32,
    /// How far ahead slots open: 1..=366 days, default 60.
    #[oai(default = "default_advance")]
    pub max_advance_days: i32,
}

fn default_advance() -> i32 {
    60
}

/// A professional's schedule as stored; `version` goes back in `If-Match`.
#[derive(Debug, Clone, Object)]
pub struct ScheduleView {
    pub professional_id: Uuid,
    pub timezone: String,
    pub weekly: Vec<WeeklyInterval>,
    pub exceptions: Vec<DateException>,
    pub buffer_minutes: i32,
    pub min_notice_minutes: i32,
    pub max_advance_days: i32,
    /// The last local date whose windows are open now (a job keeps it `max_advance_days` ahead).
    pub open_until: NaiveDate,
    pub version: i64,
    pub updated_at: DateTime<Utc>,
}

impl ScheduleView {
    /// A professional without a weekly schedule: an empty week, version 0
    /// (only one-off windows, if any, are open).
    pub fn empty(professional_id: Uuid, timezone: &str, since: DateTime<Utc>) -> Self {
        Self {
            professional_id,
            timezone: timezone.to_owned(),
            weekly: Vec::new(),
            exceptions: Vec::new(),
            buffer_minutes: 0,
            min_notice_minutes: 0,
            max_advance_days: default_advance(),
            open_until: since.date_naive(),
            version: 0,
            updated_at: since,
        }
    }
}

impl From<Schedule> for ScheduleView {
    fn from(s: Schedule) -> Self {
        Self {
            professional_id: s.professional_id,
            timezone: s.timezone,
            weekly: serde_json::from_value(s.weekly).unwrap_or_default(),
            exceptions: serde_json::from_value(s.exceptions).unwrap_or_default(),
            buffer_minutes: s.buffer_minutes,
            min_notice_minutes: s.min_notice_minutes,
            max_advance_days: s.max_advance_days,
            open_until: s.materialized_until,
            version: s.version,
            updated_at: s.updated_at,
        }
    }
}

fn day(s: &str) -> Option<Weekday> {
    DAYS.iter()
        .find(|(name, _)| *name == s)
        .map(|&(_, day)| day)
}
/// `HH:MM` as hours `start`..`end`; `24:00` only as an end.
fn hours(start: &str, end: &str) -> Result<Hours, &'static str> {
    let parse = |s: &str| NaiveTime::parse_from_str(s, "%H:%M").ok();
    let start = parse(start).ok_or("start must be HH:MM")?;
    let end = if end == "24:00" {
        None
    } else {
        Some(parse(end).ok_or("end must be HH:MM (or 24:00)")?)
    };
    if end.is_some_and(|e| e <= start) {
        return Err("end must be after start (a day's hours do not cross midnight)");
    }
    Ok(Hours { start, end })
}

/// The schedule `req` describes, or what is wrong with it, field by field.
pub fn parse(req: &ScheduleRequest) -> Result<Week, Vec<FieldError>> {
    let mut errors = Vec::new();
    let timezone: Option<Tz> = req.timezone.parse().ok();
    if timezone.is_none() {
        errors.push(FieldError::new(
            "timezone",
            "must be an IANA time zone, e.g. Europe/Berlin",
        ));
    }
    if req.weekly.len() > 50 {
        errors.push(FieldError::new("weekly", "at most 50 intervals"));
    }
    if req.exceptions.len() > 400 {
        errors.push(FieldError::new("exceptions", "at most 400 dates"));
    }
    let mut weekly = Vec::new();
    for (i, w) in req.weekly.iter().enumerate() {
        match (day(&w.day), hours(&w.start, &w.end)) {
            (Some(day), Ok(hours)) => weekly.push(WeeklyHours { day, hours }),
            (None, _) => errors.push(FieldError::new(
                &format!("weekly[{i}].day"),
                "must be mon, tue, wed, thu, fri, sat or sun",
            )),
            (_, Err(m)) => errors.push(FieldError::new(&format!("weekly[{i}]"), m)),
        }
    }
    for (_, day) in DAYS {
        let mut on: Vec<&Hours> = weekly
            .iter()
            .filter(|w| w.day == day)
            .map(|w| &w.hours)
            .collect();
        on.sort_by_key(|h| h.start);
        if on
            .windows(2)
            .any(|p| p[0].end.is_none_or(|e| e > p[1].start))
        {
            errors.push(FieldError::new(
                "weekly",
                "intervals of one day must not overlap",
            ));
            break;
        }
    }
    let mut exceptions: Vec<Exception> = Vec::new();
    for (i, e) in req.exceptions.iter().enumerate() {
        let field = format!("exceptions[{i}]");
        if exceptions.iter().any(|x| x.date == e.date) {
            errors.push(FieldError::new(&field, "each date at most once"));
            continue;
        }
        match (e.closed, e.start.as_deref(), e.end.as_deref()) {
            (true, None, None) => exceptions.push(Exception {
                date: e.date,
                hours: vec![],
            }),
            (false, Some(s), Some(t)) => match hours(s, t) {
                Ok(h) => exceptions.push(Exception {
                    date: e.date,
                    hours: vec![h],
                }),
                Err(m) => errors.push(FieldError::new(&field, m)),
            },
            _ => errors.push(FieldError::new(
                &field,
                "give either closed: true, or start and end",
            )),
        }
    }
    for (name, value, range) in [
        ("buffer_minutes", req.buffer_minutes, 0..=240),
        ("min_notice_minutes", req.min_notice_minutes, 0..=43_200),
        ("max_advance_days", req.max_advance_days, 1..=366),
    ] {
        if !range.contains(&value) {
            errors.push(FieldError::new(
                name,
                &format!("must be within {}..={}", range.start(), range.end()),
            ));
        }
    }
    match timezone {
        Some(timezone) if errors.is_empty() => Ok(Week {
            timezone,
            weekly,
            exceptions,
        }),
        _ => Err(errors),
    }
}

/// The week a stored schedule describes (stored ones were valid when saved).
fn week_of(s: &Schedule) -> Option<Week> {
    let req = ScheduleRequest {
        timezone: slotwise_web::Text(s.timezone.clone()),
        weekly: serde_json::from_value(s.weekly.clone()).ok()?,
        exceptions: serde_json::from_value(s.exceptions.clone()).ok()?,
        buffer_minutes: s.buffer_minutes,
        min_notice_minutes: s.min_notice_minutes,
        max_advance_days: s.max_advance_days,
    };
    parse(&req).ok()
}

/// The day the horizon ending `until` falls short of `max_advance_days`.
fn extend_on(until: NaiveDate, max_advance_days: i32) -> NaiveDate {
    until - Duration::days(i64::from(max_advance_days)) + Duration::days(1)
}

/// What saving a schedule came to.
pub enum Saved {
    Saved(Schedule),
    /// `If-Match` named another version than the stored one (`None`: there is none).
    Stale(Option<i64>),
}

/// Saves the schedule and reopens the professional's schedule windows from
/// now on, in one transaction; `expected` is the version `If-Match` named
/// (`None`: the first schedule).
pub async fn save(
    pool: &DbPool,
    professional_id: Uuid,
    req: &ScheduleRequest,
    week: &Week,
    expected: Option<i64>,
) -> Result<Saved, crate::failure::Failure> {
    let mut conn = pool.get().await?;
    let now = Utc::now();
    let today = now.with_timezone(&week.timezone).date_naive();
    let until = today + Duration::days(i64::from(req.max_advance_days));
    let spans = week.spans(today, until);
    let weekly = serde_json::to_value(&req.weekly).unwrap_or_default();
    let exceptions = serde_json::to_value(&req.exceptions).unwrap_or_default();
    let saved = read_committed!(conn, async |conn: &mut AsyncPgConnection| {
        let current = Schedule::lock(conn, professional_id).await?;
        let current_version = current.as_ref().map(|s| s.version);
        // No schedule yet is version 0 (what GET answers): `If-Match: "0"`
        // sets the first one, as no `If-Match` does.
        if current_version.unwrap_or(0) != expected.unwrap_or(0)
            || (expected.is_none() && current_version.is_some())
        {
            return Ok::<_, DbError>(Saved::Stale(current_version));
        }
        let schedule = Schedule {
            professional_id,
            timezone: req.timezone.clone().plain(),
            weekly: weekly.clone(),
            exceptions: exceptions.clone(),
            buffer_minutes: req.buffer_minutes,
            min_notice_minutes: req.min_notice_minutes,
            max_advance_days: req.max_advance_days,
            materialized_until: until,
            extend_on: extend_on(until, req.max_advance_days),
            version: current_version.unwrap_or(0) + 1,
            updated_at: now,
        };
        schedule.save(conn).await?;
        schedules::drop_windows_after(conn, professional_id, now).await?;
        schedules::open_windows(conn, professional_id, &spans).await?;
        Ok(Saved::Saved(schedule))
    })?;
    Ok(saved)
}

/// Opens the days that have come within `max_advance_days` of every due
/// schedule (at most `limit` of them); how many were extended.
pub async fn extend_due(pool: &DbPool, limit: i64) -> Result<usize, crate::failure::Failure> {
    let mut conn = pool.get().await?;
    let today = Utc::now().date_naive();
    let count = read_committed!(conn, async |conn: &mut AsyncPgConnection| {
        let due = Schedule::due(conn, today, limit).await?;
        for mut s in due.iter().cloned() {
            let Some(week) = week_of(&s) else { continue };
            let local_today = Utc::now().with_timezone(&week.timezone).date_naive();
            let until = local_today + Duration::days(i64::from(s.max_advance_days));
            if until <= s.materialized_until {
                // Due by the UTC date, not yet by the zone's: ask again tomorrow.
                s.extend_on = today + Duration::days(1);
                s.save(conn).await?;
                continue;
            }
            let from = s
                .materialized_until
                .succ_opt()
                .unwrap_or(s.materialized_until);
            schedules::open_windows(conn, s.professional_id, &week.spans(from, until)).await?;
            s.materialized_until = until;
            s.extend_on = extend_on(until, s.max_advance_days);
            s.save(conn).await?;
        }
        Ok::<_, DbError>(due.len())
    })?;
    Ok(count)
}
