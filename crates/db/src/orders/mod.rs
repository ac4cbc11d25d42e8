//! Orders: a buyer's claim on an event's tickets or seats, paid through one
//! PaymentIntent. Finding and listing here; the money columns and what the
//! jobs claim are the bookings' (`payable_rows!`); tickets in `tickets`.

pub mod moves;
pub mod tickets;

use crate::schema::{order_items, orders};
use crate::status::Status;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

crate::text_enum! {
    /// What an order buys: tickets from the organizer, or one ticket on resale.
    pub enum OrderKind {
        Tickets = "tickets",
        Resale = "resale",
    }
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = orders)]
pub struct Order {
    pub id: Uuid,
    pub event_id: Uuid,
    pub kind: OrderKind,
    pub buyer_id: Uuid,
    pub total_cents: i64,
    pub currency: String,
    pub status: Status,
    pub expires_at: Option<DateTime<Utc>>,
    pub cancelled_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub payment_intent_id: Option<String>,
    pub payment_client_secret: Option<String>,
    pub payment_status: Option<String>,
    pub payment_error: Option<String>,
    /// A resale's listing.
    pub listing_id: Option<Uuid>,
    /// What a resale's seller is owed once paid.
    pub payout_cents: Option<i64>,
    /// The voucher the order holds (one use of it).
    pub voucher_id: Option<Uuid>,
    /// What the voucher took off the tickets' prices.
    pub discount_cents: i64,
    /// Whether it still holds one use of the voucher.
    pub voucher_held: bool,
}

/// An order as first stored; the payment columns start empty.
#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = orders)]
pub struct NewOrder {
    pub id: Uuid,
    pub event_id: Uuid,
    pub buyer_id: Uuid,
    pub total_cents: i64,
    pub currency: String,
    pub status: Status,
    pub expires_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub client_ip: Option<String>,
    pub kind: OrderKind,
    pub listing_id: Option<Uuid>,
    pub payout_cents: Option<i64>,
    pub voucher_id: Option<Uuid>,
    pub discount_cents: i64,
    pub voucher_held: bool,
}

/// What an order holds: units of a tier from one stock row, or one seat.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = order_items)]
#[diesel(check_for_backend(diesel::pg::Pg))]
pub struct OrderItem {
    #[diesel(skip_insertion)]
    pub id: i64,
    pub order_id: Uuid,
    pub event_id: Uuid,
    pub tier_id: Option<Uuid>,
    pub bucket: Option<i16>,
    pub seat_id: Option<Uuid>,
    pub quantity: i32,
    pub unit_price_cents: i64,
}

/// How a known order is addressed: its event (the column orders would be
/// distributed by on Citus, docs/SCALING.md) and its id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct OrderKey {
    pub event_id: Uuid,
    pub id: Uuid,
}

/// Keyset position for paging newest-first.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct OrderCursor {
    pub created_at: DateTime<Utc>,
    pub id: Uuid,
}

crate::payable_rows::payable_rows!(
    Order,
    OrderKey,
    orders,
    event_id,
    order_transitions,
    order_id,
    crate::predicates::order_is_pending,
    crate::predicates::order_is_unsettled
);

impl Order {
    pub fn key(&self) -> OrderKey {
        OrderKey {
            event_id: self.event_id,
            id: self.id,
        }
    }

    /// Stores a new order with what it holds.
    pub async fn insert(
        conn: &mut AsyncPgConnection,
        new: &NewOrder,
        items: &[OrderItem],
    ) -> QueryResult<Order> {
        let order = diesel::insert_into(orders::table)
            .values(new)
            .returning(Order::as_returning())
            .get_result(conn)
            .await?;
        diesel::insert_into(order_items::table)
            .values(items)
            .execute(conn)
            .await?;
        Ok(order)
    }

    /// Stores what the order holds now in place of what it held (a late
    /// payment may take other stock rows than the expired hold had).
    pub async fn replace_items(
        conn: &mut AsyncPgConnection,
        key: OrderKey,
        items: &[OrderItem],
    ) -> QueryResult<()> {
        diesel::delete(order_items::table)
            .filter(order_items::event_id.eq(key.event_id))
            .filter(order_items::order_id.eq(key.id))
            .execute(conn)
            .await?;
        diesel::insert_into(order_items::table)
            .values(items)
            .execute(conn)
            .await
            .map(drop)
    }

    pub async fn items(conn: &mut AsyncPgConnection, key: OrderKey) -> QueryResult<Vec<OrderItem>> {
        order_items::table
            .filter(order_items::event_id.eq(key.event_id))
            .filter(order_items::order_id.eq(key.id))
            .order(order_items::id)
            .select(OrderItem::as_select())
            .load(conn)
            .await
    }

    /// The buyer's order with this id; `None` for anyone else's.
    pub async fn find_for(
        conn: &mut AsyncPgConnection,
        buyer: Uuid,
        id: Uuid,
    ) -> QueryResult<Option<Order>> {
        orders::table
            .filter(orders::id.eq(id))
            .filter(orders::buyer_id.eq(buyer))
            .select(Order::as_select())
            .first(conn)
            .await
            .optional()
    }

    /// The buyer's orders, newest first.
    pub async fn list(
        conn: &mut AsyncPgConnection,
        buyer: Uuid,
        cursor: Option<OrderCursor>,
        limit: i64,
    ) -> QueryResult<Vec<Order>> {
        let mut query = orders::table
            .filter(orders::buyer_id.eq(buyer))
            .select(Order::as_select())
            .order((orders::created_at.desc(), orders::id.desc()))
            .limit(limit)
            .into_boxed();
        if let Some(c) = cursor {
            query = query.filter(
                orders::created_at
                    .lt(c.created_at)
                    .or(orders::created_at.eq(c.created_at).and(orders::id.lt(c.id))),
            );
        }
        query.load(conn).await
    }

    /// The event's pending and confirmed orders, locked (its cancellation).
    pub async fn active_of_event(
        conn: &mut AsyncPgConnection,
        event_id: Uuid,
    ) -> QueryResult<Vec<Order>> {
        orders::table
            .filter(orders::event_id.eq(event_id))
            .filter(orders::status.eq_any([Status::Pending, Status::Confirmed]))
            .order(orders::id)
            .select(Order::as_select())
            .for_update()
            .load(conn)
            .await
    }

    /// Orders of the buyer still waiting for payment.
    pub async fn count_unpaid(mut conn: &AsyncPgConnection, buyer: Uuid) -> QueryResult<i64> {
        orders::table
            .filter(orders::buyer_id.eq(buyer))
            .filter(crate::predicates::order_is_pending())
            .count()
            .get_result(&mut conn)
            .await
    }
}
