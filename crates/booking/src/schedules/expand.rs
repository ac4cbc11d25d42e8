//! A weekly schedule in a professional's own time zone, turned into the UTC
//! spans it opens: the clock on the wall decides, so 09:00 in Berlin is 08:00Z
//! in winter and 07:00Z in summer, and the night the clocks change has one
//! hour less (or more) in it.

use chrono::{
    DateTime, Datelike, Duration, LocalResult, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Utc,
    Weekday,
};
use chrono_tz::Tz;

/// The days of the week as the API names them, Monday first.
pub const DAYS: [(&str, Weekday); 7] = [
    ("mon", Weekday::Mon),
    ("tue", Weekday::Tue),
    ("wed", Weekday::Wed),
    ("thu", Weekday::Thu),
    ("fri", Weekday::Fri),
    ("sat", Weekday::Sat),
    ("sun", Weekday::Sun),
];

/// Opening hours on one local day: `[start, end)`, `end` after `start`
/// (`24:00` is written as `end_of_day`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Hours {
    pub start: NaiveTime,
    /// `None` is midnight at the end of the day.
    pub end: Option<NaiveTime>,
}

/// A date that differs from the week: closed, or open other hours.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Exception {
    pub date: NaiveDate,
    /// Empty: closed all day.
    pub hours: Vec<Hours>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WeeklyHours {
    pub day: Weekday,
    pub hours: Hours,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Week {
    pub timezone: Tz,
    pub weekly: Vec<WeeklyHours>,
    pub exceptions: Vec<Exception>,
}

impl Week {
    /// The hours open on local `date`: its exception's, else the weekday's.
    pub fn hours_on(&self, date: NaiveDate) -> Vec<Hours> {
        if let Some(e) = self.exceptions.iter().find(|e| e.date == date) {
            return e.hours.clone();
        }
        self.weekly
            .iter()
            .filter(|w| w.day == date.weekday())
            .map(|w| w.hours)
            .collect()
    }

    /// Every span open on the local dates `from..=to`, in UTC, in order;
    /// spans of one day that touch are joined. Days stay apart, so a one-off
    /// window overlapping one day leaves the other days' windows whole.
    pub fn spans(&self, from: NaiveDate, to: NaiveDate) -> Vec<(DateTime<Utc>, DateTime<Utc>)> {
        let mut out: Vec<(DateTime<Utc>, DateTime<Utc>)> = Vec::new();
        let mut date = from;
        while date <= to {
            let mut hours = self.hours_on(date);
            hours.sort_by_key(|h| h.start);
            let first_of_day = out.len();
            for h in hours {
                let start = self.instant(date.and_time(h.start), Edge::Start);
                let end = match h.end {
                    Some(t) => self.instant(date.and_time(t), Edge::End),
                    None => self.instant(
                        date.succ_opt().unwrap_or(date).and_time(NaiveTime::MIN),
                        Edge::End,
                    ),
                };
                if end <= start {
                    continue; // wholly inside a skipped hour
                }
                let same_day = out.len() > first_of_day;
                match out.last_mut() {
                    Some(last) if same_day && last.1 >= start => last.1 = last.1.max(end),
                    _ => out.push((start, end)),
                }
            }
            date = match date.succ_opt() {
                Some(d) => d,
                None => break,
            };
        }
        out
    }

    /// The instant a wall-clock time names. A time the clocks skip (spring
    /// forward) means the first instant after the gap; a time that happens
    /// twice (fall back) means its first occurrence for a start and its
    /// second for an end, so the span keeps all the hours on the wall.
    fn instant(&self, local: NaiveDateTime, edge: Edge) -> DateTime<Utc> {
        match self.timezone.from_local_datetime(&local) {
            LocalResult::Single(t) => t.with_timezone(&Utc),
            LocalResult::Ambiguous(first, second) => match edge {
                Edge::Start => first.with_timezone(&Utc),
                Edge::End => second.with_timezone(&Utc),
            },
            LocalResult::None => {
                // Gaps are at most a few hours: walk to the first minute that exists.
                let mut probe = local;
                for _ in 0..(24 * 60) {
                    probe += Duration::minutes(1);
                    if let Some(t) = self.timezone.from_local_datetime(&probe).earliest() {
                        return t.with_timezone(&Utc);
                    }
                }
                Utc.from_utc_datetime(&local)
            }
        }
    }
}

#[derive(Clone, Copy)]
enum Edge {
    Start,
    End,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(h: u32, m: u32) -> NaiveTime {
        NaiveTime::from_hms_opt(h, m, 0).unwrap()
    }
    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }
    fn week(tz: Tz, start: NaiveTime, end: Option<NaiveTime>) -> Week {
        Week {
            timezone: tz,
            weekly: DAYS
                .iter()
                .map(|&(_, day)| WeeklyHours {
                    day,
                    hours: Hours { start, end },
                })
                .collect(),
            exceptions: Vec::new(),
        }
    }
    fn utc(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }
    fn hours(spans: &[(DateTime<Utc>, DateTime<Utc>)]) -> i64 {
        spans
            .iter()
            .map(|(a, b)| (*b - *a).num_minutes())
            .sum::<i64>()
            / 60
    }

    #[test]
    fn berlin_nine_to_five_is_eight_zulu_in_winter_and_seven_in_summer() {
        let berlin = week(chrono_tz::Europe::Berlin, t(9, 0), Some(t(17, 0)));
        assert_eq!(
            berlin.spans(d(2027, 1, 11), d(2027, 1, 11)),
            [(utc("2027-01-11T08:00:00Z"), utc("2027-01-11T16:00:00Z"))]
        );
        assert_eq!(
            berlin.spans(d(2027, 7, 12), d(2027, 7, 12)),
            [(utc("2027-07-12T07:00:00Z"), utc("2027-07-12T15:00:00Z"))]
        );
    }

    #[test]
    fn the_nights_the_clocks_change_have_one_hour_less_or_more() {
        // Open midnight to 06:00 local: the change happens inside the span.
        for (tz, spring, autumn) in [
            (chrono_tz::Europe::Berlin, d(2026, 3, 29), d(2026, 10, 25)),
            (chrono_tz::Europe::Berlin, d(2027, 3, 28), d(2027, 10, 31)),
            (chrono_tz::America::New_York, d(2026, 3, 8), d(2026, 11, 1)),
            (chrono_tz::America::New_York, d(2027, 3, 14), d(2027, 11, 7)),
        ] {
            let night = week(tz, t(0, 0), Some(t(6, 0)));
            assert_eq!(hours(&night.spans(spring, spring)), 5, "{tz} {spring}");
            assert_eq!(hours(&night.spans(autumn, autumn)), 7, "{tz} {autumn}");
            let before = spring.pred_opt().unwrap();
            assert_eq!(hours(&night.spans(before, before)), 6, "{tz} {before}");
            // Day hours are whole on those days too: 8 hours, 16 half-hour slots.
            let day = week(tz, t(9, 0), Some(t(17, 0)));
            assert_eq!(hours(&day.spans(spring, spring)), 8);
            assert_eq!(hours(&day.spans(autumn, autumn)), 8);
        }
    }

    #[test]
    fn a_start_in_the_skipped_hour_opens_when_the_clocks_jump() {
        let berlin = week(chrono_tz::Europe::Berlin, t(2, 30), Some(t(4, 0)));
        // 02:30 does not exist on 2026-03-29; 03:00 CEST is 01:00Z.
        assert_eq!(
            berlin.spans(d(2026, 3, 29), d(2026, 3, 29)),
            [(utc("2026-03-29T01:00:00Z"), utc("2026-03-29T02:00:00Z"))]
        );
    }

    #[test]
    fn a_zone_without_daylight_saving_keeps_the_same_hours_all_year() {
        let accra = week(chrono_tz::Africa::Accra, t(9, 0), Some(t(17, 0)));
        for date in [
            d(2026, 3, 29),
            d(2026, 10, 25),
            d(2027, 3, 28),
            d(2027, 10, 31),
            d(2027, 7, 1),
        ] {
            let day = date.format("%Y-%m-%d");
            assert_eq!(
                accra.spans(date, date),
                [(
                    utc(&format!("{day}T09:00:00Z")),
                    utc(&format!("{day}T17:00:00Z"))
                )]
            );
        }
    }

    #[test]
    fn exceptions_close_a_day_or_change_its_hours_and_midnight_ends_join() {
        let mut w = week(chrono_tz::Europe::Berlin, t(9, 0), Some(t(17, 0)));
        w.weekly
            .retain(|h| h.day != Weekday::Sat && h.day != Weekday::Sun);
        w.exceptions = vec![
            Exception {
                date: d(2026, 12, 24),
                hours: vec![],
            },
            Exception {
                date: d(2026, 12, 23),
                hours: vec![Hours {
                    start: t(10, 0),
                    end: Some(t(12, 0)),
                }],
            },
        ];
        let spans = w.spans(d(2026, 12, 21), d(2026, 12, 27));
        let days: Vec<_> = spans.iter().map(|(a, _)| a.date_naive().day()).collect();
        assert_eq!(days, [21, 22, 23, 25], "closed on the 24th and the weekend");
        assert_eq!(
            spans[2],
            (utc("2026-12-23T09:00:00Z"), utc("2026-12-23T11:00:00Z"))
        );

        let all_day = week(chrono_tz::Africa::Accra, t(0, 0), None);
        assert_eq!(
            all_day.spans(d(2027, 1, 1), d(2027, 1, 2)),
            [
                (utc("2027-01-01T00:00:00Z"), utc("2027-01-02T00:00:00Z")),
                (utc("2027-01-02T00:00:00Z"), utc("2027-01-03T00:00:00Z")),
            ],
            "one window a day"
        );
        let mut split = week(chrono_tz::Africa::Accra, t(9, 0), Some(t(12, 0)));
        split.weekly.push(WeeklyHours {
            day: Weekday::Fri,
            hours: Hours {
                start: t(12, 0),
                end: Some(t(17, 0)),
            },
        });
        assert_eq!(
            split.spans(d(2027, 1, 1), d(2027, 1, 1)),
            [(utc("2027-01-01T09:00:00Z"), utc("2027-01-01T17:00:00Z"))],
            "touching hours of a day join"
        );
    }
}
