//! Calendar invites (`.ics`, RFC 5545, written with the `icalendar` crate):
//! a confirmed booking or ticket order adds an event to the recipient's
//! calendar (`METHOD:REQUEST`), a cancelled one removes it (`METHOD:CANCEL`,
//! the same UID, a higher SEQUENCE).

use super::letters::parse_time;
use chrono::{DateTime, Duration, Utc};
use icalendar::{Calendar, Component, EventLike, EventStatus};
use serde_json::Value;

/// The invite a mail about `topic` carries, if any.
pub fn invite(
    topic: &str,
    payload: &Value,
    occurred_at: DateTime<Utc>,
    organizer: &str,
) -> Option<String> {
    let (cancel, what) = match topic {
        "booking.confirmed" => (false, Invite::booking(payload)?),
        "booking.cancelled" => (true, Invite::booking(payload)?),
        "order.confirmed" => (false, Invite::event(payload)?),
        "order.cancelled" => (true, Invite::event(payload)?),
        _ => return None,
    };
    let mut event = icalendar::Event::new();
    event
        .uid(&what.uid)
        .timestamp(occurred_at)
        .summary(&what.summary)
        .description(&what.description)
        .location(&what.location)
        .starts(what.start)
        .ends(what.end)
        .sequence(u32::from(cancel))
        .status(if cancel {
            EventStatus::Cancelled
        } else {
            EventStatus::Confirmed
        })
        .add_property("ORGANIZER", format!("mailto:{organizer}"));
    if let Some((lat, long)) = what.geo {
        event.add_property("GEO", format!("{lat};{long}"));
    }
    let mut calendar = Calendar::new();
    calendar
        .append_property(("METHOD", if cancel { "CANCEL" } else { "REQUEST" }))
        .push(event.done());
    Some(calendar.done().to_string())
}

/// What the invite says.
struct Invite {
    uid: String,
    summary: String,
    description: String,
    location: String,
    geo: Option<(f64, f64)>,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
}

impl Invite {
    fn booking(p: &Value) -> Option<Invite> {
        let pro = p.pointer("/professional/name")?.as_str()?;
        let category = p.pointer("/professional/category").and_then(Value::as_str);
        let lat = p.pointer("/professional/lat").and_then(Value::as_f64);
        let long = p.pointer("/professional/long").and_then(Value::as_f64);
        let geo = lat.zip(long);
        Some(Invite {
            uid: format!(
                "booking-{}@slotwise.dev",
                p.pointer("/booking/id")?.as_str()?
            ),
            summary: format!("{} with {pro}", category.unwrap_or("Appointment")),
            description: format!(
                "Booked on Slotwise with {pro}. Booking {}.",
                p.pointer("/booking/id")?.as_str()?
            ),
            location: geo
                .map(|(lat, long)| format!("{lat}, {long}"))
                .unwrap_or_default(),
            geo,
            start: parse_time(p, "/booking/start_time")?,
            end: parse_time(p, "/booking/end_time")?,
        })
    }

    fn event(p: &Value) -> Option<Invite> {
        let start = parse_time(p, "/event/starts_at")?;
        Some(Invite {
            uid: format!("order-{}@slotwise.dev", p.pointer("/order/id")?.as_str()?),
            summary: p.pointer("/event/title")?.as_str()?.to_owned(),
            description: format!(
                "Your tickets: order {} on Slotwise.",
                p.pointer("/order/id")?.as_str()?
            ),
            location: (p.pointer("/event/venue_name").and_then(Value::as_str))
                .unwrap_or_default()
                .to_owned(),
            geo: None,
            start,
            // An event without an end is put down for three hours.
            end: parse_time(p, "/event/ends_at").unwrap_or(start + Duration::hours(3)),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_booking_invite_parses_back_with_its_times_and_place() {
        let payload = json!({
            "booking": {"id": "b1", "start_time": "2027-01-02T09:00:00+00:00", "end_time": "2027-01-02T10:00:00+00:00"},
            "professional": {"name": "Ama", "category": "Plumber", "lat": 5.6, "long": -0.19}
        });
        let ics = invite(
            "booking.confirmed",
            &payload,
            Utc::now(),
            "no-reply@slotwise.dev",
        )
        .expect("an invite");
        let calendar: Calendar = ics.parse().expect("parses");
        assert_eq!(calendar.property_value("METHOD"), Some("REQUEST"));
        let event = calendar.events().next().expect("one event");
        assert_eq!(event.get_uid(), Some("booking-b1@slotwise.dev"));
        assert_eq!(event.get_summary(), Some("Plumber with Ama"));
        assert_eq!(event.property_value("DTSTART"), Some("20270102T090000Z"));
        assert_eq!(event.property_value("DTEND"), Some("20270102T100000Z"));
        assert_eq!(event.property_value("GEO"), Some("5.6;-0.19"));
        let cancel = invite("booking.cancelled", &payload, Utc::now(), "x@y.z").expect("cancel");
        assert!(cancel.contains("METHOD:CANCEL") && cancel.contains("STATUS:CANCELLED"));
        assert!(invite("booking.expired", &payload, Utc::now(), "x@y.z").is_none());
    }
}
