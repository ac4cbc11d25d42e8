//! What an event's input must be: the body of `POST /events` and `PATCH
//! /events/{id}`, checked field by field (422 with every field's message).

use super::{ResaleRules, Venue};
use crate::api::professional_input::{check_location, check_text};
use crate::invalid::Invalid;
use chrono::{DateTime, FixedOffset, Utc};
use poem_openapi::Object;
use slotwise_web::FieldError;
use slotwise_web::Text;
use slotwise_web::views::Location;
use std::collections::HashSet;

pub const MAX_TIERS: usize = 20;
pub const MAX_SEATS: usize = 10_000;
pub const MAX_PRICE_CENTS: i64 = 100_000_000;
const MAX_CAPACITY: i64 = 1_000_000;

#[derive(Debug, Clone, Object)]
pub struct NewTier {
    /// 1..=64 characters, unique within the event (e.g. VIP, Gold, Silver).
    pub name: Text,
    /// 0 makes the tier free (orders of it are confirmed at once).
    pub price_cents: i64,
    /// 1..=1000000 tickets.
    pub capacity: i64,
    /// On sale from then (RFC 3339 with offset); none: at once. Before it an
    /// order answers 409 `not_on_sale` with `opens_at`.
    pub sales_start: Option<DateTime<FixedOffset>>,
    /// On sale until then, after `sales_start`; none: until the event starts.
    pub sales_end: Option<DateTime<FixedOffset>>,
    /// Sold only with a promo code that names the tier, and listed only to
    /// the organizer; default false.
    pub hidden: Option<bool>,
}

#[derive(Debug, Clone, Object)]
pub struct NewSeat {
    /// 1..=16 characters, unique within the event (e.g. A1).
    pub label: Text,
    pub section: Option<Text>,
    pub row: Option<Text>,
    pub price_cents: i64,
}

/// A row of numbered seats, `{row}{first}` to `{row}{last}` (e.g. A1..A50): a
/// seat map of thousands of seats in a few lines.
#[derive(Debug, Clone, Object)]
pub struct SeatRowRange {
    /// 1..=8 characters, e.g. `A` or `AA`.
    pub row: Text,
    pub section: Option<Text>,
    /// First seat number, at least 1.
    pub first: i32,
    /// Last seat number, at most `first + 999`.
    pub last: i32,
    pub price_cents: i64,
}

/// `POST /events`: general admission (`tiers`) or named seats (`seats`
/// and/or `seat_rows`), not both.
#[derive(Debug, Clone, Object)]
pub struct NewEventRequest {
    /// 2..=64 of `a-z`, `0-9`, `-`; made from the title when absent.
    pub slug: Option<Text>,
    pub title: Text,
    pub description: Option<Text>,
    pub category: Text,
    pub venue: Venue,
    /// RFC 3339 with offset; in the future.
    pub starts_at: DateTime<FixedOffset>,
    pub ends_at: Option<DateTime<FixedOffset>>,
    /// ISO currency, lower case; defaults to `usd`.
    pub currency: Option<Text>,
    /// Tickets (or seats) one order may take: 1..=100, default 10.
    pub max_per_order: Option<i32>,
    pub resale: Option<ResaleRules>,
    /// Holders may leave and come back in (a check-out scan at the door, then
    /// a check-in); default false: one admission per ticket.
    pub reentry: Option<bool>,
    pub tiers: Option<Vec<NewTier>>,
    pub seats: Option<Vec<NewSeat>>,
    /// Rows of numbered seats, added to `seats`.
    pub seat_rows: Option<Vec<SeatRowRange>>,
}

/// `PATCH /events/{id}`: what may change after publishing.
#[derive(Debug, Clone, Object)]
pub struct EventPatch {
    pub title: Option<Text>,
    pub description: Option<Text>,
    pub venue: Option<Venue>,
    /// Re-entry at the door (check-out, then check-in again).
    pub reentry: Option<bool>,
}

fn check_venue(venue: &Venue, errors: &mut Vec<FieldError>) {
    check_text("venue.name", &venue.name, 200, errors);
    let at = Location {
        lat: venue.lat,
        long: venue.long,
    };
    check_location("venue", &at, errors);
}

fn check_price(field: &str, price: i64, errors: &mut Vec<FieldError>) {
    if !(0..=MAX_PRICE_CENTS).contains(&price) {
        errors.push(FieldError::new(
            field,
            &format!("must be between 0 and {MAX_PRICE_CENTS} cents"),
        ));
    }
}

fn check_tiers(tiers: &[NewTier], errors: &mut Vec<FieldError>) {
    if tiers.len() > MAX_TIERS {
        errors.push(FieldError::new(
            "tiers",
            &format!("at most {MAX_TIERS} tiers"),
        ));
    }
    let mut names = HashSet::new();
    for (i, t) in tiers.iter().enumerate() {
        check_text(&format!("tiers[{i}].name"), &t.name, 64, errors);
        if !names.insert(t.name.trim().to_lowercase()) {
            errors.push(FieldError::new(
                &format!("tiers[{i}].name"),
                "is used twice",
            ));
        }
        check_price(&format!("tiers[{i}].price_cents"), t.price_cents, errors);
        if let (Some(start), Some(end)) = (t.sales_start, t.sales_end)
            && end <= start
        {
            errors.push(FieldError::new(
                &format!("tiers[{i}].sales_end"),
                "must be after sales_start",
            ));
        }
        if !(1..=MAX_CAPACITY).contains(&t.capacity) {
            errors.push(FieldError::new(
                &format!("tiers[{i}].capacity"),
                &format!("must be between 1 and {MAX_CAPACITY}"),
            ));
        }
    }
}

fn check_ranges(ranges: &[SeatRowRange], errors: &mut Vec<FieldError>) {
    for (i, r) in ranges.iter().enumerate() {
        check_text(&format!("seat_rows[{i}].row"), &r.row, 8, errors);
        if r.first < 1 || r.last < r.first || r.last - r.first >= 1000 {
            errors.push(FieldError::new(
                &format!("seat_rows[{i}].last"),
                "seats run from first (at least 1) to last, at most 1000 in a row",
            ));
        }
    }
}

fn check_seats(seats: &[NewSeat], errors: &mut Vec<FieldError>) {
    if seats.len() > MAX_SEATS {
        errors.push(FieldError::new(
            "seats",
            &format!("at most {MAX_SEATS} seats"),
        ));
    }
    let mut labels = HashSet::new();
    for (i, s) in seats.iter().enumerate() {
        check_text(&format!("seats[{i}].label"), &s.label, 16, errors);
        if !labels.insert(s.label.trim()) {
            errors.push(FieldError::new(
                &format!("seats[{i}].label"),
                "is used twice",
            ));
        }
        check_price(&format!("seats[{i}].price_cents"), s.price_cents, errors);
    }
}

pub fn slug_ok(slug: &str) -> bool {
    (2..=64).contains(&slug.len())
        && slug
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && uuid::Uuid::parse_str(slug).is_err()
}

fn result(errors: Vec<FieldError>) -> Result<(), Invalid> {
    Invalid::check(errors)
}

impl NewEventRequest {
    /// `seats` and the seats `seat_rows` name, in order.
    pub fn all_seats(&self) -> Vec<NewSeat> {
        let mut seats = self.seats.clone().unwrap_or_default();
        for r in self.seat_rows.iter().flatten() {
            if r.first < 1 || r.last < r.first || r.last - r.first >= 1000 {
                continue;
            }
            seats.extend((r.first..=r.last).map(|n| NewSeat {
                label: format!("{}{n}", r.row.trim()).into(),
                section: r.section.clone(),
                row: Some(slotwise_web::Text(r.row.trim().to_owned())),
                price_cents: r.price_cents,
            }));
        }
        seats
    }

    pub fn validate(&self, now: DateTime<Utc>) -> Result<(), Invalid> {
        let mut errors = Vec::new();
        if self.slug.as_deref().is_some_and(|s| !slug_ok(s)) {
            errors.push(FieldError::new("slug", "must be 2 to 64 of a-z, 0-9 and -"));
        }
        check_text("title", &self.title, 200, &mut errors);
        if self
            .description
            .as_ref()
            .is_some_and(|d| d.chars().count() > 5000)
        {
            errors.push(FieldError::new(
                "description",
                "must be at most 5000 characters",
            ));
        }
        check_text("category", &self.category, 100, &mut errors);
        check_venue(&self.venue, &mut errors);
        if self.starts_at.with_timezone(&Utc) <= now {
            errors.push(FieldError::new("starts_at", "must be in the future"));
        }
        if self.ends_at.is_some_and(|end| end <= self.starts_at) {
            errors.push(FieldError::new("ends_at", "must be after starts_at"));
        }
        if self
            .currency
            .as_deref()
            .is_some_and(|c| !crate::stripe::is_supported_currency(c))
        {
            errors.push(FieldError::new(
                "currency",
                "must be a lower-case ISO 4217 code that Stripe supports, e.g. usd",
            ));
        }
        if self.max_per_order.is_some_and(|m| !(1..=100).contains(&m)) {
            errors.push(FieldError::new(
                "max_per_order",
                "must be between 1 and 100",
            ));
        }
        if let Some(p) = self.resale.as_ref().and_then(|r| r.max_percent_of_face)
            && !(1..=1000).contains(&p)
        {
            errors.push(FieldError::new(
                "resale.max_percent_of_face",
                "must be between 1 and 1000",
            ));
        }
        let tiers = self.tiers.as_deref().unwrap_or_default();
        let ranges = self.seat_rows.as_deref().unwrap_or_default();
        check_ranges(ranges, &mut errors);
        let seats = &self.all_seats();
        match (tiers.is_empty(), seats.is_empty()) {
            (false, false) => errors.push(FieldError::new(
                "seats",
                "an event has tiers (general admission) or seats, not both",
            )),
            (true, true) => errors.push(FieldError::new(
                "tiers",
                "give tiers (general admission) or seats (named seats)",
            )),
            _ => {}
        }
        check_tiers(tiers, &mut errors);
        check_seats(seats, &mut errors);
        result(errors)
    }
}

impl EventPatch {
    pub fn validate(&self) -> Result<(), Invalid> {
        let mut errors = Vec::new();
        if let Some(title) = &self.title {
            check_text("title", title, 200, &mut errors);
        }
        if self
            .description
            .as_ref()
            .is_some_and(|d| d.chars().count() > 5000)
        {
            errors.push(FieldError::new(
                "description",
                "must be at most 5000 characters",
            ));
        }
        if let Some(venue) = &self.venue {
            check_venue(venue, &mut errors);
        }
        result(errors)
    }
}

#[cfg(test)]
mod tests {
    use super::NewEventRequest;
    use poem_openapi::types::ParseFromJSON;

    #[test]
    fn seat_rows_expand_to_numbered_seats() {
        let body = serde_json::json!({
            "title": "T", "category": "Concert", "venue": { "name": "B", "lat": 5.6, "long": -0.19 },
            "starts_at": "2099-01-01T20:00:00Z",
            "seat_rows": [{ "row": "AA", "first": 1, "last": 50, "price_cents": 0 }],
        });
        let req = NewEventRequest::parse_from_json(Some(body)).expect("parses");
        let seats = req.all_seats();
        assert_eq!(seats.len(), 50);
        assert_eq!(
            (seats[0].label.as_str(), seats[49].label.as_str()),
            ("AA1", "AA50")
        );
        assert!(req.validate(chrono::Utc::now()).is_ok());
    }
}
