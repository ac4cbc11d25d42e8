//! Refunding some tickets of a paid order (`POST /orders/{id}/refunds`),
//! exactly once per Idempotency-Key: in one transaction the tickets are locked
//! and checked (the buyer's, still valid), given back to stock (their own
//! stock row, or their seat), marked `refunded`, and a refund of exactly their
//! price is owed; Stripe makes it (a partial refund of the intent) at once or
//! through the refund job. A ticket is never refunded twice: it is `refunded`
//! in the transaction that owes its money, under its row lock.

use super::TicketView;
use crate::AppState;
use crate::custody::{self, Action, CustodyError, TicketStatus};
use crate::idempotency::{Answer, Caller, IdempotencyKey, IdempotentRequest};
use crate::payments::Payable;
use crate::payments::first_phase::{Immediate, TxError};
use crate::payments::refunds::{Owed, owe};
use chrono::{DateTime, Utc};
use poem_openapi::Object;
use slotwise_db::listings::{ACTIVE, Listing, WITHDRAWN};
use slotwise_db::orders::tickets::Ticket;
use slotwise_db::orders::tickets::{find_ticket, lock_tickets};
use slotwise_db::orders::{Order, OrderKey};
use slotwise_db::refunds::{Refund, RefundKey};
use slotwise_db::status::Status;
use slotwise_db::{AsyncPgConnection, DbError};
use slotwise_web::ApiError;
use uuid::Uuid;

const PATH: &str = "/orders/{id}/refunds";

/// A refund of some tickets of an order.
#[derive(Debug, Clone, Object)]
pub struct TicketRefundView {
    pub id: Uuid,
    pub order_id: Uuid,
    pub ticket_ids: Vec<Uuid>,
    pub amount_cents: i64,
    /// `pending` until Stripe has made it, then `refunded`.
    pub status: String,
    #[oai(skip_serializing_if_is_none)]
    pub refund_id: Option<String>,
    pub requested_at: DateTime<Utc>,
}

impl From<Refund> for TicketRefundView {
    fn from(r: Refund) -> Self {
        Self {
            id: r.id,
            order_id: r.payable_id,
            ticket_ids: r.ticket_ids,
            amount_cents: r.amount_cents,
            status: if r.refund_id.is_some() {
                "refunded"
            } else {
                "pending"
            }
            .to_owned(),
            refund_id: r.refund_id,
            requested_at: r.requested_at,
        }
    }
}

/// Why some tickets of an order are not refunded (`api/` says each as a problem).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RefundError {
    /// Not the caller's order (nobody learns whose it is).
    #[error("no such order")]
    NotYours,
    #[error("a {0} order has nothing to refund ticket by ticket")]
    OrderNotRefundable(Status),
    #[error("not tickets of this order: {}", ids(.0))]
    Unknown(Vec<Uuid>),
    #[error("these tickets were given to someone else: {}", ids(.0))]
    Transferred(Vec<Uuid>),
    #[error("these tickets are no longer valid: {}", ended(.0))]
    Ended(Vec<(Uuid, TicketStatus)>),
    #[error("withdraw the ticket's listing first")]
    Listed,
    #[error("these tickets were checked in at the door: {}", ids(.0))]
    CheckedIn(Vec<Uuid>),
    #[error("these tickets were free: there is no money to refund")]
    NothingToRefund,
    #[error("give 1 to 100 ticket ids")]
    BadTicketIds,
}

fn ids(ids: &[Uuid]) -> String {
    ids.iter()
        .map(Uuid::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

fn ended(tickets: &[(Uuid, TicketStatus)]) -> String {
    (tickets.iter())
        .map(|(id, status)| format!("{id} ({status})"))
        .collect::<Vec<_>>()
        .join(", ")
}

struct RefundTickets<'a> {
    buyer: Uuid,
    order: OrderKey,
    tickets: &'a [Uuid],
}

impl Immediate for RefundTickets<'_> {
    type View = TicketRefundView;
    type Refusal = RefundError;

    async fn decide(
        &self,
        conn: &mut AsyncPgConnection,
        source: &str,
    ) -> Result<Result<TicketRefundView, RefundError>, TxError> {
        let order = Order::lock(conn, self.order)
            .await?
            .ok_or(DbError::NotFound)?;
        if order.buyer_id != self.buyer {
            return Ok(Err(RefundError::NotYours));
        }
        let paid = order.payment_status.as_deref() == Some("succeeded");
        if order.status != Status::Confirmed || order.total_cents == 0 || !paid {
            return Ok(Err(RefundError::OrderNotRefundable(order.status)));
        }
        let (event_id, order_id) = (order.event_id, order.id);
        let found = lock_tickets(conn, event_id, order_id, self.tickets).await?;
        let unknown: Vec<Uuid> = (self.tickets.iter().copied())
            .filter(|id| !found.iter().any(|t| t.id == *id))
            .collect();
        if !unknown.is_empty() {
            return Ok(Err(RefundError::Unknown(unknown)));
        }
        // Custody decides for each ticket; the refusals are said for all at once.
        let (mut moved, mut gone, mut used, mut listed) =
            (Vec::new(), Vec::new(), Vec::new(), false);
        for t in &found {
            match custody::may(conn, t.clone(), Some(self.buyer), Action::Refund).await? {
                Ok(_) => {}
                Err(CustodyError::NotYours) => moved.push(t.id),
                Err(CustodyError::NotValid { status, .. }) => gone.push((t.id, status)),
                Err(CustodyError::Listed) => listed = true,
                Err(CustodyError::CheckedIn) => used.push(t.id),
            }
        }
        if !moved.is_empty() {
            return Ok(Err(RefundError::Transferred(moved)));
        }
        if !gone.is_empty() {
            return Ok(Err(RefundError::Ended(gone)));
        }
        if !used.is_empty() {
            return Ok(Err(RefundError::CheckedIn(used)));
        }
        if listed {
            return Ok(Err(RefundError::Listed));
        }
        if found.iter().all(|t| t.price_cents == 0) {
            return Ok(Err(RefundError::NothingToRefund));
        }
        custody::end(conn, event_id, &found, TicketStatus::Refunded, source).await?;
        let reason = "requested_by_customer";
        let refund = owe_refund(conn, &order, &found, reason, source).await?;
        // Some ticket was paid for (checked above), so a refund is owed.
        Ok(Ok(refund.ok_or(DbError::NotFound)?.into()))
    }
}

/// A refund of exactly these tickets' price owed on `order`, on record.
async fn owe_refund(
    conn: &mut AsyncPgConnection,
    order: &Order,
    tickets: &[Ticket],
    reason: &str,
    source: &str,
) -> Result<Option<Refund>, DbError> {
    let intent = order
        .payment_intent_id
        .as_deref()
        .ok_or(DbError::NotFound)?;
    let ids: Vec<Uuid> = tickets.iter().map(|t| t.id).collect();
    let amount = tickets.iter().map(|t| t.price_cents).sum();
    let owed = Owed::Tickets(&ids);
    let refund = owe::<Order>(conn, order.key(), intent, amount, reason, source, owed).await?;
    let why = format!("{} tickets refunded ({reason})", tickets.len());
    let confirmed = Some(Status::Confirmed);
    Order::record_transition(
        conn,
        order.key(),
        confirmed,
        Status::Confirmed,
        &why,
        source,
    )
    .await?;
    Ok(refund)
}

/// A ticket revoked by its event's organizer, and the refund it is owed.
#[derive(Debug, Clone, Object)]
pub struct RevokedView {
    pub ticket: TicketView,
    /// Present when the ticket was bought: its price goes back to the buyer.
    #[oai(skip_serializing_if_is_none)]
    pub refund: Option<TicketRefundView>,
    /// Every resale order that bought it, each refunded whole (its seller's
    /// payout cancelled): a revoked ticket's sales are undone down to the first.
    pub resale_orders_refunded: Vec<Uuid>,
    /// The resale orders' refunds, made once the revoke has committed.
    #[oai(skip)]
    pub refunds: Vec<RefundKey>,
}

struct Revoke {
    event_id: Uuid,
    ticket: Uuid,
}

/// An order of the event, locked.
async fn lock_order(
    conn: &mut AsyncPgConnection,
    event_id: Uuid,
    id: Option<Uuid>,
) -> Result<Option<Order>, DbError> {
    match id {
        Some(id) => Ok(Order::lock(conn, OrderKey { event_id, id }).await?),
        None => Ok(None),
    }
}

impl Immediate for Revoke {
    type View = RevokedView;
    type Refusal = CustodyError;

    /// Every order and listing the ticket is part of is locked before the
    /// ticket (a resale's payment locks its order, listing, then ticket);
    /// then the ticket is void, back on sale, its listing withdrawn (a buyer
    /// paying for it has the order cancelled: a payment arriving later is
    /// refunded), and everyone who paid for it refunded: the buyer of its
    /// first sale its face value, each buyer of a resale that resale's price
    /// (each seller's payout cancelled).
    async fn decide(
        &self,
        conn: &mut AsyncPgConnection,
        source: &str,
    ) -> Result<Result<RevokedView, CustodyError>, TxError> {
        let event_id = self.event_id;
        let first_order = find_ticket(conn, self.ticket)
            .await?
            .and_then(|t| t.order_id);
        let order = lock_order(conn, event_id, first_order).await?;
        let listed = Listing::active_for_ticket(conn, event_id, self.ticket).await?;
        let paying = lock_order(conn, event_id, listed.as_ref().and_then(|l| l.locked_by)).await?;
        let listing = match listed {
            Some(l) => Listing::lock(conn, event_id, l.id).await?,
            None => None,
        };
        let mut resales = Vec::new();
        for sold in Listing::sold_for_ticket(conn, event_id, self.ticket).await? {
            resales.extend(lock_order(conn, event_id, sold.locked_by).await?);
        }
        let ticket =
            match custody::lock_for(conn, event_id, self.ticket, None, Action::Revoke).await? {
                Ok(ticket) => ticket,
                Err(refused) => return Ok(Err(refused)),
            };
        // Read again under the ticket's lock: a listing made meanwhile is seen
        // (none can be made now). A buyer paying for one we did not lock first
        // is refunded when the payment lands (`lost_while_pending`).
        let listing = match Listing::active_for_ticket(conn, event_id, self.ticket).await? {
            Some(now) if listing.as_ref().is_some_and(|l| l.id == now.id) => listing,
            Some(now) => Listing::lock(conn, event_id, now.id).await?,
            None => None,
        };
        if let Some(listing) = listing.filter(|l| l.status == ACTIVE) {
            if let Some(p) =
                paying.filter(|p| listing.locked_by == Some(p.id) && p.status == Status::Pending)
            {
                let why = "its ticket was revoked by the organizer";
                let pending = [Status::Pending];
                <Order as Payable>::transition(
                    conn,
                    p.key(),
                    &pending,
                    Status::Cancelled,
                    why,
                    source,
                )
                .await?;
            }
            Listing::set_state(conn, event_id, listing.id, WITHDRAWN, None, None).await?;
        }
        let tickets = [ticket];
        custody::end(conn, event_id, &tickets, TicketStatus::Void, source).await?;
        let [mut ticket] = tickets;
        ticket.status = TicketStatus::Void;
        let paid = |o: &Order| {
            o.status == Status::Confirmed && o.payment_status.as_deref() == Some("succeeded")
        };
        let reason = "revoked_by_organizer";
        let bought = order.as_ref().filter(|o| paid(o) && ticket.price_cents > 0);
        let refund = match bought {
            Some(order) => {
                owe_refund(conn, order, std::slice::from_ref(&ticket), reason, source).await?
            }
            None => None,
        };
        // Every sale of it on resale is undone: each buyer refunded whole, each
        // seller's payout cancelled (the sellers' own purchases are refunded
        // here too, down to the first buyer's face value above).
        let (mut resale_orders_refunded, mut refunds) = (Vec::new(), Vec::new());
        for r in resales.into_iter().filter(paid) {
            let (key, confirmed) = (r.key(), [Status::Confirmed]);
            let why = "its ticket was revoked by the organizer";
            <Order as Payable>::transition(conn, key, &confirmed, Status::Refunded, why, source)
                .await?;
            let intent = r.payment_intent_id.as_deref().ok_or(DbError::NotFound)?;
            let total = r.total_cents;
            let owed =
                owe::<Order>(conn, key, intent, total, reason, source, Owed::Closing).await?;
            resale_orders_refunded.push(r.id);
            refunds.extend(owed.map(|o| o.key()));
        }
        Ok(Ok(RevokedView {
            ticket: TicketView::new(ticket, None),
            refund: refund.map(Into::into),
            resale_orders_refunded,
            refunds,
        }))
    }
}

/// `POST /tickets/{id}/revoke` by its event's organizer (checked by the
/// caller): the ticket void, back on sale, its price refunded when bought.
pub async fn revoke_ticket(
    state: &AppState,
    caller: &Caller,
    key: &IdempotencyKey,
    event_id: Uuid,
    ticket: Uuid,
) -> Result<Answer<RevokedView>, ApiError> {
    let body = serde_json::json!({ "ticket_id": ticket });
    let idempotent = IdempotentRequest::new(caller, key, "POST", "/tickets/{id}/revoke", body);
    let mut answer =
        crate::payments::first_phase::answer_once(state, &idempotent, &Revoke { event_id, ticket })
            .await?;
    if let Ok(revoked) = &mut answer.result {
        // Best effort now; the refund job makes them otherwise.
        for refund in &revoked.refunds {
            let _ = crate::payments::refunds::settle_refund(state, *refund).await;
        }
        if let Some(view) = &mut revoked.refund
            && view.refund_id.is_none()
            && let Ok(Some(done)) = crate::payments::refunds::settle_refund(
                state,
                RefundKey {
                    scope_id: event_id,
                    id: view.id,
                },
            )
            .await
        {
            *view = done.into();
        }
    }
    Ok(answer)
}

/// `POST /orders/{id}/refunds`, exactly once per (caller, key); the refund is
/// made at Stripe at once when it can be, else by the refund job.
pub async fn refund_tickets(
    state: &AppState,
    caller: &Caller,
    key: &IdempotencyKey,
    order: Order,
    mut tickets: Vec<Uuid>,
) -> Result<Answer<TicketRefundView>, ApiError> {
    tickets.sort();
    tickets.dedup();
    if tickets.is_empty() || tickets.len() > 100 {
        return Err(RefundError::BadTicketIds.into());
    }
    let body = serde_json::json!({ "order_id": order.id, "ticket_ids": tickets });
    let idempotent = IdempotentRequest::new(caller, key, "POST", PATH, body);
    let decision = RefundTickets {
        buyer: order.buyer_id,
        order: order.key(),
        tickets: &tickets,
    };
    let answer = crate::payments::first_phase::answer_once(state, &idempotent, &decision).await?;
    if let Ok(view) = &answer.result
        && view.refund_id.is_none()
        && let Ok(Some(done)) = crate::payments::refunds::settle_refund(
            state,
            RefundKey {
                scope_id: order.event_id,
                id: view.id,
            },
        )
        .await
    {
        return Ok(Answer {
            result: Ok(done.into()),
            replayed: answer.replayed,
        });
    }
    Ok(answer)
}
