//! Events: what organizers sell admission to, as general-admission tiers or
//! named seats. Publishing and changing (`create`, `input`), cancelling
//! (`cancel`); the views here show what is left, read from the stock rows.

pub mod cancel;
pub mod comps;
pub mod create;
pub mod input;

use crate::AppState;
use chrono::{DateTime, Utc};
use poem_openapi::{Enum, Object};
use slotwise_db::AsyncPgConnection;
use slotwise_db::QueryResult;
use slotwise_db::events::{Event, EventRef, Seat, TierStock};
use slotwise_web::Text;
use uuid::Uuid;

#[derive(Debug, Clone, Object)]
pub struct Venue {
    /// 1..=200 characters.
    pub name: Text,
    /// Latitude in degrees, -90..=90.
    pub lat: f64,
    /// Longitude in degrees, -180..=180.
    pub long: f64,
}

#[derive(Debug, Clone, Object)]
pub struct ResaleRules {
    /// Whether holders may list their tickets for resale (default true).
    pub allowed: bool,
    /// A listing's price cap in percent of the ticket's face value (e.g. 110); none when absent.
    #[oai(skip_serializing_if_is_none)]
    pub max_percent_of_face: Option<i32>,
}

/// A general-admission tier and what is left of it.
#[derive(Debug, Clone, Object)]
pub struct TierView {
    pub id: Uuid,
    pub name: String,
    pub price_cents: i64,
    pub capacity: i64,
    /// Units paid for (or free and issued).
    pub sold: i64,
    /// Units in unpaid orders, back on sale if their hold runs out.
    pub held: i64,
    pub available: i64,
    pub sold_out: bool,
    /// On sale from then; absent: on sale at once.
    #[oai(skip_serializing_if_is_none)]
    pub sales_start: Option<DateTime<Utc>>,
    /// On sale until then; absent: until the event starts.
    #[oai(skip_serializing_if_is_none)]
    pub sales_end: Option<DateTime<Utc>>,
    /// Within its on-sale window now (sold out or not).
    pub on_sale: bool,
    /// Sold only with a promo code that names it; listed only to the organizer.
    pub hidden: bool,
}

/// A seated event's map, counted.
#[derive(Debug, Clone, Object)]
pub struct SeatingView {
    pub total: i64,
    pub sold: i64,
    pub held: i64,
    pub available: i64,
    pub sold_out: bool,
    pub min_price_cents: i64,
    pub max_price_cents: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[oai(rename_all = "snake_case")]
pub enum SeatStatus {
    Available,
    Held,
    Sold,
}

#[derive(Debug, Clone, Object)]
pub struct SeatView {
    pub id: Uuid,
    pub label: String,
    #[oai(skip_serializing_if_is_none)]
    pub section: Option<String>,
    #[oai(skip_serializing_if_is_none)]
    pub row: Option<String>,
    pub price_cents: i64,
    pub status: SeatStatus,
}

impl From<Seat> for SeatView {
    fn from(s: Seat) -> Self {
        let status = match (s.order_id, s.sold) {
            (_, true) => SeatStatus::Sold,
            (Some(_), false) => SeatStatus::Held,
            (None, false) => SeatStatus::Available,
        };
        Self {
            id: s.id,
            label: s.label,
            section: s.section,
            row: s.row,
            price_cents: s.price_cents,
            status,
        }
    }
}

/// An event as anyone sees it.
#[derive(Debug, Clone, Object)]
pub struct EventView {
    pub id: Uuid,
    pub slug: String,
    pub organizer_id: Uuid,
    pub title: String,
    pub description: String,
    pub category: String,
    pub venue: Venue,
    pub starts_at: DateTime<Utc>,
    #[oai(skip_serializing_if_is_none)]
    pub ends_at: Option<DateTime<Utc>>,
    pub currency: String,
    pub max_per_order: i32,
    pub resale: ResaleRules,
    /// `published` or `cancelled`.
    pub status: String,
    /// True for named seats (`GET /events/{id}/seats`), false for tiers.
    pub seated: bool,
    /// General-admission tiers; empty for a seated event.
    pub tiers: Vec<TierView>,
    /// A seated event's counts; absent for general admission.
    #[oai(skip_serializing_if_is_none)]
    pub seating: Option<SeatingView>,
    /// Holders may check out at the door and come back in.
    pub reentry: bool,
    /// A signed-in person may join a sold-out tier's waiting list
    /// (`POST /events/{id}/waitlist`); the organizer may switch it off.
    pub waitlist: bool,
    /// Send it back in `If-Match` to change the event.
    pub version: i64,
    pub created_at: DateTime<Utc>,
}

impl TierView {
    fn new(t: TierStock) -> Self {
        let capacity = i64::from(t.tier.capacity);
        let available = (capacity - t.held - t.sold).max(0);
        let on_sale = t.tier.off_sale(Utc::now()).is_none();
        Self {
            id: t.tier.id,
            name: t.tier.name,
            price_cents: t.tier.price_cents,
            capacity,
            sold: t.sold,
            held: t.held,
            available,
            sold_out: available == 0,
            on_sale,
            hidden: t.tier.hidden,
            sales_start: t.tier.sales_start,
            sales_end: t.tier.sales_end,
        }
    }
}

fn seating(seats: &[Seat]) -> SeatingView {
    let count = |f: &dyn Fn(&Seat) -> bool| seats.iter().filter(|s| f(s)).count() as i64;
    let available = count(&|s| s.order_id.is_none());
    let prices = seats.iter().map(|s| s.price_cents);
    SeatingView {
        total: seats.len() as i64,
        sold: count(&|s| s.sold),
        held: count(&|s| s.order_id.is_some() && !s.sold),
        available,
        sold_out: available == 0,
        min_price_cents: prices.clone().min().unwrap_or(0),
        max_price_cents: prices.max().unwrap_or(0),
    }
}

impl EventView {
    /// The event with what is left of it now.
    pub async fn load(conn: &mut AsyncPgConnection, event: Event) -> QueryResult<Self> {
        let (tiers, seating) = if event.seated {
            let seats = Event::seats(conn, event.id).await?;
            (Vec::new(), Some(seating(&seats)))
        } else {
            let tiers = Event::tiers(conn, event.id).await?;
            (tiers.into_iter().map(TierView::new).collect(), None)
        };
        Ok(Self {
            id: event.id,
            slug: event.slug,
            organizer_id: event.organizer_id,
            title: event.title,
            description: event.description,
            category: event.category,
            venue: Venue {
                name: slotwise_web::Text(event.venue_name),
                lat: event.lat,
                long: event.long,
            },
            starts_at: event.starts_at,
            ends_at: event.ends_at,
            currency: event.currency,
            max_per_order: event.max_per_order,
            resale: ResaleRules {
                allowed: event.resale_allowed,
                max_percent_of_face: event.resale_max_percent_of_face,
            },
            status: event.status,
            seated: event.seated,
            tiers,
            seating,
            reentry: event.reentry,
            waitlist: event.waitlist,
            version: event.version,
            created_at: event.created_at,
        })
    }
}

/// The event by id or slug, or 404.
pub async fn event(state: &AppState, reference: &str) -> Result<Event, EventError> {
    let mut conn = state.pool.get().await?;
    Event::find(&mut conn, &EventRef::parse(reference))
        .await?
        .ok_or(EventError::NotFound)
}

/// The event, if `user` organizes it (else 403).
pub async fn organized_event(
    state: &AppState,
    reference: &str,
    user: Uuid,
) -> Result<Event, EventError> {
    let event = event(state, reference).await?;
    if event.organizer_id != user {
        return Err(EventError::NotOrganizer);
    }
    Ok(event)
}

/// Why an event is not shown, published or changed, in the domain's terms;
/// `api::events` answers each.
#[derive(Debug, thiserror::Error)]
pub enum EventError {
    #[error("event not found")]
    NotFound,
    #[error("only the event's organizer may change or cancel it")]
    NotOrganizer,
    #[error("another event has this slug; choose another")]
    SlugTaken,
    #[error(transparent)]
    Invalid(#[from] crate::invalid::Invalid),
    #[error(transparent)]
    Failure(#[from] crate::failure::Failure),
}

crate::failure_sources!(EventError);
