//! Ticket orders: the payment core's second [`Payable`](crate::payments::Payable).
//! Ordering (`create`), what holding, selling and releasing does to the
//! event's stock and tickets (`stock`), and what the core needs of an order
//! (`payable`).

pub mod create;
pub mod error;
pub mod payable;
pub mod refund;
pub mod resale;
pub mod stock;
pub mod transfer;
pub mod voucher;

use crate::payments::views::{PaymentView, RefundView};
use chrono::{DateTime, Utc};
use poem_openapi::Object;
use slotwise_db::AsyncPgConnection;
use slotwise_db::QueryResult;
use slotwise_db::events::Event;
use slotwise_db::orders::tickets::{Ticket, TicketStatus, TicketWithSeat};
use slotwise_db::orders::{Order, OrderItem, OrderKey};
use slotwise_db::refunds::Refund;
use std::collections::BTreeMap;
use uuid::Uuid;

/// One line of an order: units of a tier, or one seat.
#[derive(Debug, Clone, Object)]
pub struct OrderItemView {
    #[oai(nullable)]
    pub tier_id: Option<Uuid>,
    /// The seat's label, for a seated event.
    #[oai(nullable)]
    pub seat: Option<String>,
    pub quantity: i64,
    pub unit_price_cents: i64,
}

#[derive(Debug, Clone, Object)]
pub struct TicketView {
    pub id: Uuid,
    pub event_id: Uuid,
    #[oai(nullable)]
    pub order_id: Option<Uuid>,
    #[oai(nullable)]
    pub tier_id: Option<Uuid>,
    #[oai(nullable)]
    pub seat: Option<String>,
    /// Absent while the ticket waits for its recipient to sign up.
    #[oai(skip_serializing_if_is_none)]
    pub holder_id: Option<Uuid>,
    pub price_cents: i64,
    /// `valid`, `refunded` or `void`.
    pub status: String,
    /// What admits the holder: unguessable, shown only to its current holder
    /// and only while the ticket is `valid` (absent otherwise, e.g. in the
    /// order of someone who gave or sold it on).
    #[oai(skip_serializing_if_is_none)]
    pub code: Option<String>,
    pub created_at: DateTime<Utc>,
    /// Its resale listing, while it has an active one (`GET /tickets/{id}`).
    #[oai(skip_serializing_if_is_none)]
    pub listing: Option<resale::ListingView>,
    /// Every move, oldest first (`GET /tickets/{id}`).
    #[oai(skip_serializing_if_is_none)]
    pub history: Option<Vec<TicketMoveView>>,
}

/// One move of a ticket: `issued`, `comp`, `gift`, `gift_pending`,
/// `gift_taken_back`, `claimed`, `resale`, `refunded` or `void` (revoked).
#[derive(Debug, Clone, Object)]
pub struct TicketMoveView {
    pub kind: String,
    #[oai(nullable)]
    pub from_holder: Option<Uuid>,
    #[oai(nullable)]
    pub to_holder: Option<Uuid>,
    pub at: DateTime<Utc>,
}

impl From<TicketWithSeat> for TicketView {
    fn from(t: TicketWithSeat) -> Self {
        Self::new(t.ticket, t.seat)
    }
}

impl TicketView {
    /// The ticket as `viewer` sees it: its code only when it is theirs and valid.
    pub fn seen_by(ticket: TicketWithSeat, viewer: Uuid) -> Self {
        let mut view = Self::from(ticket);
        if view.holder_id != Some(viewer) {
            view.code = None;
        }
        view
    }

    /// The ticket as its holder sees it (no code unless it is valid).
    pub fn new(ticket: Ticket, seat: Option<String>) -> Self {
        let Ticket {
            id,
            event_id,
            order_id,
            tier_id,
            holder_id,
            price_cents,
            status,
            code,
            created_at,
            ..
        } = ticket;
        Self {
            id,
            event_id,
            order_id,
            tier_id,
            seat,
            holder_id,
            price_cents,
            code: (status == TicketStatus::Valid).then_some(code),
            status: status.as_str().to_owned(),
            created_at,
            listing: None,
            history: None,
        }
    }
}

/// An order as its buyer sees it.
#[derive(Debug, Clone, Object)]
pub struct OrderView {
    pub id: Uuid,
    /// `tickets` (bought from the organizer).
    pub kind: String,
    pub event_id: Uuid,
    /// `pending`, `confirmed`, `expired`, `cancelled`, `failed` or `refunded`.
    pub status: String,
    pub items: Vec<OrderItemView>,
    pub total_cents: i64,
    pub currency: String,
    /// What its promo code took off (0 without one); `total_cents` is after it.
    pub discount_cents: i64,
    /// The promo code it holds (one use of it).
    #[oai(skip_serializing_if_is_none)]
    pub voucher_id: Option<Uuid>,
    /// Until when an unpaid order holds its tickets or seats.
    #[oai(skip_serializing_if_is_none)]
    pub expires_at: Option<DateTime<Utc>>,
    #[oai(skip_serializing_if_is_none)]
    pub cancelled_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    /// The Stripe PaymentIntent of a paid order; pay it with `client_secret`.
    #[oai(skip_serializing_if_is_none)]
    pub payment: Option<PaymentView>,
    #[oai(skip_serializing_if_is_none)]
    pub refund: Option<RefundView>,
    /// Issued once the order is confirmed, one per unit; for a resale, the
    /// ticket it bought, once it has moved to the buyer.
    pub tickets: Vec<TicketView>,
    /// Refunds of some of its tickets (`POST /orders/{id}/refunds`).
    pub ticket_refunds: Vec<refund::TicketRefundView>,
}

/// Items of one tier (held from several stock rows) shown as one line.
fn item_views(items: Vec<OrderItem>, seats: &BTreeMap<Uuid, String>) -> Vec<OrderItemView> {
    let mut views: Vec<OrderItemView> = Vec::new();
    for item in items {
        if let Some(tier) = item.tier_id
            && let Some(same) = views.iter_mut().find(|v| v.tier_id == Some(tier))
        {
            same.quantity += i64::from(item.quantity);
            continue;
        }
        views.push(OrderItemView {
            tier_id: item.tier_id,
            seat: item.seat_id.and_then(|s| seats.get(&s).cloned()),
            quantity: i64::from(item.quantity),
            unit_price_cents: item.unit_price_cents,
        });
    }
    views
}

impl OrderView {
    pub fn key(&self) -> OrderKey {
        OrderKey {
            event_id: self.event_id,
            id: self.id,
        }
    }

    /// The order with its items and tickets as stored now.
    pub async fn load(conn: &mut AsyncPgConnection, order: Order) -> QueryResult<Self> {
        let items = Order::items(conn, order.key()).await?;
        let seat_ids: Vec<Uuid> = items.iter().filter_map(|i| i.seat_id).collect();
        let seats: BTreeMap<Uuid, String> = if seat_ids.is_empty() {
            BTreeMap::new()
        } else {
            Event::seats_by_id(conn, order.event_id, &seat_ids)
                .await?
                .into_iter()
                .map(|s| (s.id, s.label))
                .collect()
        };
        let tickets = match order.listing_id {
            Some(listing) => {
                Ticket::bought_through(conn, order.event_id, listing, order.buyer_id).await?
            }
            None => Ticket::of_order(conn, order.event_id, order.id).await?,
        };
        let refunds = Refund::of_payable(conn, order.event_id, order.id).await?;
        // The code of a ticket given or sold on is its new holder's alone.
        let buyer = order.buyer_id;
        let tickets = (tickets.into_iter())
            .map(|t| TicketView::seen_by(t, buyer))
            .collect();
        let mut view = Self::from_parts(order, items, &seats, tickets);
        let (closing, tickets): (Vec<_>, Vec<_>) = refunds.into_iter().partition(|r| r.closing);
        view.refund = closing.into_iter().next().map(Into::into);
        view.ticket_refunds = tickets.into_iter().map(Into::into).collect();
        Ok(view)
    }

    /// The order from what the caller has in hand (`seats`: label by seat id).
    pub fn from_parts(
        order: Order,
        items: Vec<OrderItem>,
        seats: &BTreeMap<Uuid, String>,
        tickets: Vec<TicketView>,
    ) -> Self {
        Self {
            id: order.id,
            kind: order.kind.as_str().to_owned(),
            event_id: order.event_id,
            status: order.status.as_str().to_owned(),
            items: item_views(items, seats),
            total_cents: order.total_cents,
            currency: order.currency,
            discount_cents: order.discount_cents,
            voucher_id: order.voucher_id,
            expires_at: order.expires_at,
            cancelled_at: order.cancelled_at,
            created_at: order.created_at,
            payment: PaymentView::of(
                order.payment_intent_id,
                order.payment_client_secret,
                order.payment_status,
                order.payment_error,
            ),
            refund: None,
            tickets,
            ticket_refunds: Vec::new(),
        }
    }
}
