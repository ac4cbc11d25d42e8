//! Events: what an organizer sells admission to, as general-admission tiers
//! or named seats. Their stock (what is held and sold) is in `stock`.

pub mod stock;

use crate::schema::{event_slugs, events, seats, ticket_tiers, tier_stock};
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = events)]
pub struct Event {
    pub id: Uuid,
    pub slug: String,
    pub organizer_id: Uuid,
    pub title: String,
    pub description: String,
    pub category: String,
    pub venue_name: String,
    pub lat: f64,
    pub long: f64,
    pub starts_at: DateTime<Utc>,
    pub ends_at: Option<DateTime<Utc>>,
    pub currency: String,
    pub max_per_order: i32,
    pub resale_allowed: bool,
    pub resale_max_percent_of_face: Option<i32>,
    pub seated: bool,
    pub min_price_cents: i64,
    pub capacity: i32,
    pub status: String,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Holders may leave and come back in (a check-out scan, then a check-in).
    pub reentry: bool,
    /// Sold-out tiers take a waiting list (the organizer may switch it off).
    pub waitlist: bool,
}

pub const PUBLISHED: &str = "published";
pub const CANCELLED: &str = "cancelled";

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = ticket_tiers)]
pub struct Tier {
    pub id: Uuid,
    pub event_id: Uuid,
    pub name: String,
    pub price_cents: i64,
    pub capacity: i32,
    pub position: i32,
    /// Sold from then on (none: at once).
    pub sales_start: Option<DateTime<Utc>>,
    /// Sold until then (none: until the event starts).
    pub sales_end: Option<DateTime<Utc>>,
    /// Sold only with a voucher that names it, and shown only to its organizer.
    pub hidden: bool,
}

impl Event {
    /// Whether the event takes people on its waiting lists and makes offers:
    /// switched on, published, not started.
    pub fn takes_waitlist(&self, now: DateTime<Utc>) -> bool {
        self.waitlist && self.status == PUBLISHED && self.starts_at > now
    }
}

impl Tier {
    /// Why the tier is not on sale at `now`, if it is not.
    pub fn off_sale(&self, now: DateTime<Utc>) -> Option<OffSale> {
        match (self.sales_start, self.sales_end) {
            (Some(start), _) if now < start => Some(OffSale::Opens(start)),
            (_, Some(end)) if now >= end => Some(OffSale::Closed(end)),
            _ => None,
        }
    }
}

/// A tier outside its on-sale window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OffSale {
    /// Not yet: on sale at.
    Opens(DateTime<Utc>),
    /// No more: sales ended at.
    Closed(DateTime<Utc>),
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = seats)]
pub struct Seat {
    pub id: Uuid,
    pub event_id: Uuid,
    pub label: String,
    pub section: Option<String>,
    pub row: Option<String>,
    pub price_cents: i64,
    pub position: i32,
    pub order_id: Option<Uuid>,
    pub sold: bool,
}

/// A tier with what its stock says now.
#[derive(Debug, Clone)]
pub struct TierStock {
    pub tier: Tier,
    pub held: i64,
    pub sold: i64,
}

/// What the organizer may change after publishing; `None` leaves a field.
#[derive(Debug, Default, AsChangeset)]
#[diesel(table_name = events)]
pub struct EventChanges {
    pub title: Option<String>,
    pub description: Option<String>,
    pub venue_name: Option<String>,
    pub lat: Option<f64>,
    pub long: Option<f64>,
    pub reentry: Option<bool>,
}

/// How a caller names an event: its UUID or its slug.
#[derive(Debug, Clone)]
pub enum EventRef {
    Id(Uuid),
    Slug(String),
}

impl EventRef {
    pub fn parse(s: &str) -> Self {
        match Uuid::parse_str(s) {
            Ok(id) => EventRef::Id(id),
            Err(_) => EventRef::Slug(s.to_owned()),
        }
    }
}

/// Counter rows a tier's capacity is split over, at most.
pub const BUCKETS: i32 = 8;

/// The least a counter row holds: enough that an order (at most 100 units)
/// rarely finds every row too short and must take from several.
pub const BUCKET_MIN: i32 = 100;

/// `capacity` split over at most [`BUCKETS`] rows of at least [`BUCKET_MIN`]
/// (one row for a small tier), as evenly as it goes.
pub fn split_capacity(capacity: i32) -> Vec<i32> {
    let n = (capacity / BUCKET_MIN).clamp(1, BUCKETS);
    (0..n)
        .map(|b| capacity / n + i32::from(b < capacity % n))
        .collect()
}

impl Event {
    /// Stores an event with its tiers (and their stock rows) or its seats.
    pub async fn insert(
        conn: &mut AsyncPgConnection,
        event: &Event,
        tiers: &[Tier],
        seat_rows: &[Seat],
    ) -> QueryResult<()> {
        // The slug's own row refuses a taken slug (`events` is distributed
        // by id on Citus, so its slug cannot be unique there).
        diesel::insert_into(event_slugs::table)
            .values((
                event_slugs::slug.eq(&event.slug),
                event_slugs::event_id.eq(event.id),
            ))
            .execute(conn)
            .await?;
        diesel::insert_into(events::table)
            .values(event)
            .execute(conn)
            .await?;
        if !tiers.is_empty() {
            diesel::insert_into(ticket_tiers::table)
                .values(tiers)
                .execute(conn)
                .await?;
            let stock: Vec<_> = tiers
                .iter()
                .flat_map(|t| {
                    split_capacity(t.capacity)
                        .into_iter()
                        .enumerate()
                        .map(move |(b, cap)| {
                            (
                                tier_stock::event_id.eq(t.event_id),
                                tier_stock::tier_id.eq(t.id),
                                tier_stock::bucket.eq(i16::try_from(b).unwrap_or(0)),
                                tier_stock::capacity.eq(cap),
                            )
                        })
                })
                .collect();
            diesel::insert_into(tier_stock::table)
                .values(stock)
                .execute(conn)
                .await?;
        }
        for chunk in seat_rows.chunks(1000) {
            diesel::insert_into(seats::table)
                .values(chunk)
                .execute(conn)
                .await?;
        }
        Ok(())
    }

    /// Whether another event has this slug (read where it is unique).
    pub async fn slug_taken(conn: &mut AsyncPgConnection, slug: &str) -> QueryResult<bool> {
        diesel::select(diesel::dsl::exists(
            event_slugs::table.filter(event_slugs::slug.eq(slug)),
        ))
        .get_result(conn)
        .await
    }

    /// By id, or by slug through the slug's own row: two reads of one
    /// shard each on Citus, where `events` by slug would ask every shard.
    pub async fn find(conn: &mut AsyncPgConnection, by: &EventRef) -> QueryResult<Option<Event>> {
        let id = match by {
            EventRef::Id(id) => *id,
            EventRef::Slug(slug) => {
                let found = event_slugs::table
                    .filter(event_slugs::slug.eq(slug))
                    .select(event_slugs::event_id)
                    .first::<Uuid>(conn)
                    .await
                    .optional()?;
                match found {
                    Some(id) => id,
                    None => return Ok(None),
                }
            }
        };
        events::table
            .filter(events::id.eq(id))
            .select(Event::as_select())
            .first(conn)
            .await
            .optional()
    }

    /// The events `organizer_id` organizes, the next first (then the latest
    /// past ones), at most `limit`.
    pub async fn of_organizer(
        conn: &mut AsyncPgConnection,
        organizer_id: Uuid,
        limit: i64,
    ) -> QueryResult<Vec<Event>> {
        events::table
            .filter(events::organizer_id.eq(organizer_id))
            .select(Event::as_select())
            .order((
                diesel::dsl::sql::<diesel::sql_types::Bool>("starts_at < now()"),
                events::starts_at.asc(),
                events::id.asc(),
            ))
            .limit(limit)
            .load(conn)
            .await
    }

    /// The event, its key share-locked until the end of the caller's
    /// transaction (as an order's foreign key would): its cancellation, which
    /// locks it for update, waits for orders in progress, and an order waits
    /// for a cancellation in progress and then sees it.
    pub async fn key_share(mut conn: &AsyncPgConnection, id: Uuid) -> QueryResult<Option<Event>> {
        events::table
            .filter(events::id.eq(id))
            .select(Event::as_select())
            .for_key_share()
            .first(&mut conn)
            .await
            .optional()
    }

    /// The event, locked until the end of the caller's transaction.
    pub async fn lock(conn: &mut AsyncPgConnection, id: Uuid) -> QueryResult<Option<Event>> {
        events::table
            .filter(events::id.eq(id))
            .select(Event::as_select())
            .for_update()
            .first(conn)
            .await
            .optional()
    }

    /// Its tiers in order.
    pub async fn tier_rows(mut conn: &AsyncPgConnection, event_id: Uuid) -> QueryResult<Vec<Tier>> {
        ticket_tiers::table
            .filter(ticket_tiers::event_id.eq(event_id))
            .order(ticket_tiers::position)
            .select(Tier::as_select())
            .load(&mut conn)
            .await
    }

    /// Its tiers in order, each with the sum of its stock rows.
    pub async fn tiers(
        conn: &mut AsyncPgConnection,
        event_id: Uuid,
    ) -> QueryResult<Vec<TierStock>> {
        let tiers = Self::tier_rows(conn, event_id).await?;
        let counts: Vec<(Uuid, i32, i32)> = tier_stock::table
            .filter(tier_stock::event_id.eq(event_id))
            .select((tier_stock::tier_id, tier_stock::held, tier_stock::sold))
            .load(conn)
            .await?;
        Ok(tiers
            .into_iter()
            .map(|tier| {
                let (mut held, mut sold) = (0i64, 0i64);
                for (_, h, s) in counts.iter().filter(|(t, _, _)| *t == tier.id) {
                    held += i64::from(*h);
                    sold += i64::from(*s);
                }
                TierStock { tier, held, sold }
            })
            .collect())
    }

    /// Its seats in map order.
    pub async fn seats(conn: &mut AsyncPgConnection, event_id: Uuid) -> QueryResult<Vec<Seat>> {
        seats::table
            .filter(seats::event_id.eq(event_id))
            .order(seats::position)
            .select(Seat::as_select())
            .load(conn)
            .await
    }

    /// The seats with these ids.
    pub async fn seats_by_id(
        conn: &mut AsyncPgConnection,
        event_id: Uuid,
        ids: &[Uuid],
    ) -> QueryResult<Vec<Seat>> {
        seats::table
            .filter(seats::event_id.eq(event_id))
            .filter(seats::id.eq_any(ids))
            .select(Seat::as_select())
            .load(conn)
            .await
    }

    /// The seats with these labels (those that exist).
    pub async fn seats_named(
        conn: &mut AsyncPgConnection,
        event_id: Uuid,
        labels: &[String],
    ) -> QueryResult<Vec<Seat>> {
        seats::table
            .filter(seats::event_id.eq(event_id))
            .filter(seats::label.eq_any(labels))
            .order(seats::label)
            .select(Seat::as_select())
            .load(conn)
            .await
    }

    /// Applies the organizer's changes when `version` is current; `None` when stale.
    pub async fn update(
        conn: &mut AsyncPgConnection,
        id: Uuid,
        version: i64,
        changes: &EventChanges,
    ) -> QueryResult<Option<Event>> {
        let query = diesel::update(events::table)
            .filter(events::id.eq(id))
            .filter(events::version.eq(version));
        let bump = (
            events::version.eq(events::version + 1),
            events::updated_at.eq(diesel::dsl::now),
        );
        let nothing = changes.title.is_none()
            && changes.description.is_none()
            && changes.venue_name.is_none()
            && changes.lat.is_none()
            && changes.long.is_none()
            && changes.reentry.is_none();
        if nothing {
            query
                .set(bump)
                .returning(Event::as_returning())
                .get_result(conn)
                .await
        } else {
            query
                .set((changes, bump))
                .returning(Event::as_returning())
                .get_result(conn)
                .await
        }
        .optional()
    }

    /// Marks it cancelled; false when it already was.
    pub async fn cancel(conn: &mut AsyncPgConnection, id: Uuid) -> QueryResult<bool> {
        diesel::update(events::table)
            .filter(events::id.eq(id))
            .filter(events::status.eq(PUBLISHED))
            .set((
                events::status.eq(CANCELLED),
                events::version.eq(events::version + 1),
                events::updated_at.eq(diesel::dsl::now),
            ))
            .execute(conn)
            .await
            .map(|n| n == 1)
    }
}

#[cfg(test)]
mod tests {
    use super::split_capacity;

    #[test]
    fn capacity_splits_evenly_over_at_most_eight_rows_of_a_hundred_or_more() {
        assert_eq!(split_capacity(3), vec![3]);
        assert_eq!(split_capacity(250), vec![125, 125]);
        assert_eq!(split_capacity(1000), vec![125; 8]);
        assert_eq!(split_capacity(1001).iter().sum::<i32>(), 1001);
    }
}
