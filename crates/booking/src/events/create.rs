//! Publishing an event, exactly once per Idempotency-Key: the event, its
//! tiers (with their stock rows) or seats, and the key with its answer, in
//! one transaction (`answer_once`).

use super::EventError;
use super::EventView;
use super::input::NewEventRequest;
use crate::AppState;
use crate::failure::Failure;
use crate::idempotency::{Answer, Caller, IdempotencyKey, IdempotentRequest};
use crate::payments::first_phase::{Immediate, TxError};
use chrono::{SubsecRound, Utc};
use poem_openapi::types::ToJSON;
use rand::RngCore;
use slotwise_db::AsyncPgConnection;
use slotwise_db::events::{Event, PUBLISHED, Seat, Tier};
use slotwise_web::ApiError;
use slotwise_web::Plain;
use uuid::Uuid;

const PATH: &str = "/events";

/// `title` in lower-case ASCII words joined by `-`, with a random suffix.
fn slug_from(title: &str) -> String {
    let words: Vec<String> = title
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_ascii_lowercase)
        .collect();
    let mut base = words.join("-");
    base.truncate(48);
    let mut suffix = [0u8; 3];
    rand::rng().fill_bytes(&mut suffix);
    let base = base.trim_matches('-');
    if base.is_empty() {
        format!("event-{}", hex::encode(suffix))
    } else {
        format!("{base}-{}", hex::encode(suffix))
    }
}

/// The rows an accepted request stores.
fn rows(organizer: Uuid, req: &NewEventRequest) -> (Event, Vec<Tier>, Vec<Seat>) {
    let now = Utc::now().trunc_subsecs(6);
    let id = Uuid::now_v7();
    let tiers: Vec<Tier> = (req.tiers.iter().flatten().enumerate())
        .map(|(i, t)| Tier {
            id: Uuid::now_v7(),
            event_id: id,
            name: t.name.trim().to_owned(),
            price_cents: t.price_cents,
            capacity: i32::try_from(t.capacity).unwrap_or(i32::MAX),
            position: i32::try_from(i).unwrap_or(i32::MAX),
            sales_start: t.sales_start.map(|at| at.with_timezone(&Utc)),
            sales_end: t.sales_end.map(|at| at.with_timezone(&Utc)),
            hidden: t.hidden.unwrap_or(false),
        })
        .collect();
    let seats: Vec<Seat> = (req.all_seats().iter().enumerate())
        .map(|(i, s)| Seat {
            id: Uuid::now_v7(),
            event_id: id,
            label: s.label.trim().to_owned(),
            section: s.section.clone().plain(),
            row: s.row.clone().plain(),
            price_cents: s.price_cents,
            position: i32::try_from(i).unwrap_or(i32::MAX),
            order_id: None,
            sold: false,
        })
        .collect();
    // "From" the cheapest public ticket: a hidden tier's price is not told.
    let prices = (tiers.iter().filter(|t| !t.hidden))
        .map(|t| t.price_cents)
        .chain(seats.iter().map(|s| s.price_cents));
    let capacity: i64 =
        tiers.iter().map(|t| i64::from(t.capacity)).sum::<i64>() + seats.len() as i64;
    let resale = req.resale.as_ref();
    let event = Event {
        id,
        slug: req
            .slug
            .clone()
            .unwrap_or_else(|| slotwise_web::Text(slug_from(&req.title)))
            .plain(),
        organizer_id: organizer,
        title: req.title.trim().to_owned(),
        description: req.description.clone().unwrap_or_default().plain(),
        category: req.category.trim().to_owned(),
        venue_name: req.venue.name.trim().to_owned(),
        lat: req.venue.lat,
        long: req.venue.long,
        starts_at: req.starts_at.with_timezone(&Utc),
        ends_at: req.ends_at.map(|e| e.with_timezone(&Utc)),
        currency: req
            .currency
            .clone()
            .unwrap_or_else(|| slotwise_web::Text("usd".to_owned()))
            .plain(),
        max_per_order: req.max_per_order.unwrap_or(10),
        resale_allowed: resale.is_none_or(|r| r.allowed),
        resale_max_percent_of_face: resale.and_then(|r| r.max_percent_of_face),
        seated: !seats.is_empty(),
        min_price_cents: prices.min().unwrap_or(0),
        capacity: i32::try_from(capacity).unwrap_or(i32::MAX),
        status: PUBLISHED.to_owned(),
        version: 1,
        created_at: now,
        updated_at: now,
        reentry: req.reentry.unwrap_or(false),
        waitlist: true,
    };
    (event, tiers, seats)
}

/// Publishing as phase 1 runs it.
struct Publish<'a> {
    event: &'a Event,
    tiers: &'a [Tier],
    seats: &'a [Seat],
}

impl Immediate for Publish<'_> {
    type View = EventView;
    type Refusal = EventError;

    async fn decide(
        &self,
        conn: &mut AsyncPgConnection,
        _source: &str,
    ) -> Result<Result<EventView, EventError>, TxError> {
        if Event::slug_taken(conn, &self.event.slug).await? {
            return Ok(Err(EventError::SlugTaken));
        }
        Event::insert(conn, self.event, self.tiers, self.seats).await?;
        Ok(Ok(EventView::load(conn, self.event.clone()).await?))
    }
}

/// `POST /events`, exactly once per (caller, key).
pub async fn create_event(
    state: &AppState,
    caller: &Caller,
    key: &IdempotencyKey,
    req: NewEventRequest,
) -> Result<Answer<EventView>, ApiError> {
    let organizer =
        (caller.user_id).ok_or(Failure::Broken("an event needs a signed-in organizer"))?;
    let body = req.to_json().unwrap_or_default();
    let idempotent = IdempotentRequest::new(caller, key, "POST", PATH, body);
    req.validate(Utc::now()).map_err(EventError::from)?;
    let (event, tiers, seats) = rows(organizer, &req);
    let publish = Publish {
        event: &event,
        tiers: &tiers,
        seats: &seats,
    };
    crate::payments::first_phase::answer_once(state, &idempotent, &publish).await
}
