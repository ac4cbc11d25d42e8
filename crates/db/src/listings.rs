//! Resale listings and the payouts their sales owe.

use crate::schema::{listings, payouts};
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

pub const ACTIVE: &str = "active";
pub const SOLD: &str = "sold";
pub const WITHDRAWN: &str = "withdrawn";

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = listings)]
pub struct Listing {
    pub id: Uuid,
    pub event_id: Uuid,
    pub ticket_id: Uuid,
    pub seller_id: Uuid,
    pub price_cents: i64,
    pub currency: String,
    pub status: String,
    pub version: i64,
    pub locked_by: Option<Uuid>,
    pub locked_until: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// The most it may ask, fixed when listed; the database refuses more.
    pub max_price_cents: i64,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = payouts)]
pub struct Payout {
    pub id: Uuid,
    pub event_id: Uuid,
    pub listing_id: Uuid,
    pub order_id: Uuid,
    pub seller_id: Uuid,
    pub amount_cents: i64,
    pub fee_cents: i64,
    pub currency: String,
    pub status: String,
    pub created_at: DateTime<Utc>,
}

impl Listing {
    pub async fn insert(conn: &mut AsyncPgConnection, listing: &Listing) -> QueryResult<()> {
        diesel::insert_into(listings::table)
            .values(listing)
            .execute(conn)
            .await
            .map(drop)
    }

    pub async fn find(conn: &mut AsyncPgConnection, id: Uuid) -> QueryResult<Option<Listing>> {
        listings::table
            .filter(listings::id.eq(id))
            .select(Listing::as_select())
            .first(conn)
            .await
            .optional()
    }

    /// Locked until the end of the caller's transaction.
    pub async fn lock(
        conn: &mut AsyncPgConnection,
        event_id: Uuid,
        id: Uuid,
    ) -> QueryResult<Option<Listing>> {
        listings::table
            .filter(listings::event_id.eq(event_id))
            .filter(listings::id.eq(id))
            .select(Listing::as_select())
            .for_update()
            .first(conn)
            .await
            .optional()
    }

    /// The ticket's active listing, if it has one.
    pub async fn active_for_ticket(
        conn: &mut AsyncPgConnection,
        event_id: Uuid,
        ticket_id: Uuid,
    ) -> QueryResult<Option<Listing>> {
        listings::table
            .filter(listings::event_id.eq(event_id))
            .filter(listings::ticket_id.eq(ticket_id))
            .filter(listings::status.eq(ACTIVE))
            .select(Listing::as_select())
            .first(conn)
            .await
            .optional()
    }

    /// Every sale of the ticket on resale, oldest first (each one's order is `locked_by`).
    pub async fn sold_for_ticket(
        conn: &mut AsyncPgConnection,
        event_id: Uuid,
        ticket_id: Uuid,
    ) -> QueryResult<Vec<Listing>> {
        listings::table
            .filter(listings::event_id.eq(event_id))
            .filter(listings::ticket_id.eq(ticket_id))
            .filter(listings::status.eq(SOLD))
            .order((listings::updated_at, listings::id))
            .select(Listing::as_select())
            .load(conn)
            .await
    }

    /// Withdraws every active listing of the event (it was cancelled).
    pub async fn withdraw_for_event(
        conn: &mut AsyncPgConnection,
        event_id: Uuid,
    ) -> QueryResult<usize> {
        diesel::update(listings::table)
            .filter(listings::event_id.eq(event_id))
            .filter(listings::status.eq(ACTIVE))
            .set((
                listings::status.eq(WITHDRAWN),
                listings::locked_by.eq(None::<Uuid>),
                listings::locked_until.eq(None::<DateTime<Utc>>),
                listings::version.eq(listings::version + 1),
                listings::updated_at.eq(diesel::dsl::now),
            ))
            .execute(conn)
            .await
    }

    /// The event's active listings, cheapest first.
    pub async fn of_event(
        conn: &mut AsyncPgConnection,
        event_id: Uuid,
        limit: i64,
    ) -> QueryResult<Vec<Listing>> {
        listings::table
            .filter(listings::event_id.eq(event_id))
            .filter(listings::status.eq(ACTIVE))
            .order((listings::price_cents, listings::id))
            .limit(limit)
            .select(Listing::as_select())
            .load(conn)
            .await
    }

    /// Sets the price when `version` is current and no buyer holds it;
    /// `None` otherwise (the caller tells which).
    pub async fn reprice(
        conn: &mut AsyncPgConnection,
        event_id: Uuid,
        id: Uuid,
        version: i64,
        price_cents: i64,
    ) -> QueryResult<Option<Listing>> {
        diesel::update(listings::table)
            .filter(listings::event_id.eq(event_id))
            .filter(listings::id.eq(id))
            .filter(listings::version.eq(version))
            .filter(listings::status.eq(ACTIVE))
            .filter(listings::locked_by.is_null())
            .set((
                listings::price_cents.eq(price_cents),
                listings::version.eq(listings::version + 1),
                listings::updated_at.eq(diesel::dsl::now),
            ))
            .returning(Listing::as_returning())
            .get_result(conn)
            .await
            .optional()
    }

    /// Sets status, lock and holder of the lock in one statement.
    pub async fn set_state(
        conn: &mut AsyncPgConnection,
        event_id: Uuid,
        id: Uuid,
        status: &str,
        locked_by: Option<Uuid>,
        locked_until: Option<DateTime<Utc>>,
    ) -> QueryResult<Listing> {
        diesel::update(listings::table)
            .filter(listings::event_id.eq(event_id))
            .filter(listings::id.eq(id))
            .set((
                listings::status.eq(status),
                listings::locked_by.eq(locked_by),
                listings::locked_until.eq(locked_until),
                listings::version.eq(listings::version + 1),
                listings::updated_at.eq(diesel::dsl::now),
            ))
            .returning(Listing::as_returning())
            .get_result(conn)
            .await
    }
}

impl Payout {
    pub async fn insert(conn: &mut AsyncPgConnection, payout: &Payout) -> QueryResult<()> {
        diesel::insert_into(payouts::table)
            .values(payout)
            .on_conflict_do_nothing()
            .execute(conn)
            .await
            .map(drop)
    }

    /// The event's owed payouts, no longer owed (the event was cancelled).
    /// The payout a listing's sale owes, cancelled while still owed (the sale
    /// was undone); true when it was.
    pub async fn cancel_for_listing(
        conn: &mut AsyncPgConnection,
        event_id: Uuid,
        listing_id: Uuid,
    ) -> QueryResult<bool> {
        diesel::update(payouts::table)
            .filter(payouts::event_id.eq(event_id))
            .filter(payouts::listing_id.eq(listing_id))
            .filter(payouts::status.eq("owed"))
            .set(payouts::status.eq("cancelled"))
            .execute(conn)
            .await
            .map(|n| n > 0)
    }

    pub async fn cancel_for_event(
        conn: &mut AsyncPgConnection,
        event_id: Uuid,
    ) -> QueryResult<usize> {
        diesel::update(payouts::table)
            .filter(payouts::event_id.eq(event_id))
            .filter(payouts::status.eq("owed"))
            .set(payouts::status.eq("cancelled"))
            .execute(conn)
            .await
    }
}
