//! Ordering tickets or seats: the request resolved against the event, what
//! it asks for held (stock rows and seats, locked, under a short
//! `lock_timeout`), and the order stored with its key in the payment core's
//! phase 1 (READ COMMITTED: the row locks and the stock CHECK decide). A paid
//! order then goes through phases 2 and 3; a free one is confirmed at once.

use super::error::OrderError;
use super::stock::{Wanted, hold, release, sell};
use super::voucher;
use super::{OrderView, TicketView};
use crate::AppState;
use crate::failure::Failure;
use crate::idempotency::{Answer, Caller, IdempotencyKey, IdempotentRequest};
use crate::notify::News;
use crate::payments::Payable;
use crate::payments::first_phase::{Decided, Decision, Outcome, TxError};
use chrono::{Duration, SubsecRound, Utc};
use slotwise_db::events::{CANCELLED, Event};
use slotwise_db::orders::{NewOrder, Order, OrderKey};
use slotwise_db::status::Status;
use slotwise_db::{AsyncPgConnection, DbError};
use slotwise_web::ApiError;
use std::collections::BTreeMap;
use uuid::Uuid;

pub const PATH: &str = "/events/{id}/orders";

/// What a buyer asked for, as given.
#[derive(Debug, Clone)]
pub struct OrderRequest {
    pub event_id: Uuid,
    /// (tier, quantity) for general admission.
    pub items: Vec<(Uuid, i64)>,
    pub seats: Vec<String>,
    pub payment_method: Option<String>,
    /// A promo code, as typed.
    pub voucher: Option<String>,
}

impl OrderRequest {
    /// The request's meaning, whatever its spelling (the key's fingerprint).
    pub fn canonical(&self) -> serde_json::Value {
        let mut items: BTreeMap<Uuid, i64> = BTreeMap::new();
        for (tier, quantity) in &self.items {
            *items.entry(*tier).or_default() += quantity;
        }
        let mut seats = self.seats.clone();
        seats.sort();
        let mut canonical = serde_json::json!({
            "event_id": self.event_id,
            "items": items.iter().map(|(t, q)| serde_json::json!([t, q])).collect::<Vec<_>>(),
            "seats": seats,
            "payment_method": self.payment_method,
        });
        // Only when given: keys stored before vouchers keep their fingerprint.
        if let Some(code) = &self.voucher {
            canonical["voucher"] = super::voucher::normalize(code).into();
        }
        canonical
    }
}

/// An order request as phase 1 of the payment core runs it.
struct OrderDecision<'a> {
    buyer: Uuid,
    ip: &'a str,
    request: &'a OrderRequest,
    hold: Duration,
    max_unpaid: i64,
}

/// The buyer's unpaid orders when at the cap (paid orders are refused then).
struct OverCap(Option<i64>);

impl Decision for OrderDecision<'_> {
    type Payable = Order;
    type Refusal = OrderError;
    type Before = OverCap;
    const SERIALIZABLE: bool = false;

    async fn before(&self, conn: &AsyncPgConnection) -> Result<OverCap, TxError<OrderError>> {
        let held = Order::count_unpaid(conn, self.buyer).await?;
        Ok(OverCap((held >= self.max_unpaid).then_some(held)))
    }

    async fn decide(
        &self,
        conn: &mut AsyncPgConnection,
        over_cap: &OverCap,
        source: &str,
    ) -> Result<Decided<OrderView, OrderError>, TxError<OrderError>> {
        let refused = |e: OrderError| Decided {
            result: Err(e),
            payable_id: None,
            awaits_payment: false,
        };
        let (mut wanted, currency) = match resolve(conn, self.request).await? {
            Ok(resolved) => resolved,
            Err(e) => return Ok(refused(e)),
        };
        let (event_id, id) = (self.request.event_id, Uuid::now_v7());
        // Its discount is written into `wanted`'s prices; its use is taken
        // once the stock is held.
        let code = self.request.voucher.as_deref();
        let now = Utc::now();
        let applied = match voucher::apply(conn, event_id, code, &mut wanted, now).await? {
            Ok(applied) => applied,
            Err(e) => return Ok(refused(e)),
        };
        // After the code: a hidden tier is unknown without it, whatever its window.
        if let Some(e) = off_sale(&wanted, now) {
            return Ok(refused(e));
        }
        let Some(total) = wanted.total_cents() else {
            return Ok(refused(OrderError::Empty));
        };
        let paid = total > 0;
        if paid && let Some(held) = over_cap.0 {
            let cap = self.max_unpaid;
            return Err(TxError::Refused(OrderError::TooManyUnpaidHolds {
                held,
                cap,
            }));
        }
        // An offer from the waiting list is this order's hold; else hold.
        let offer = crate::waitlist::offer_for(conn, event_id, self.buyer, &wanted).await?;
        let items = match &offer {
            Some(offer) => {
                let taken = crate::waitlist::taken_of(offer);
                super::stock::items_of(event_id, id, &taken, &wanted)
            }
            None => match hold(conn, event_id, id, &wanted).await? {
                Ok(items) => items,
                Err(e) => return Ok(refused(e)),
            },
        };
        if let Some(a) = &applied
            && !voucher::take(conn, event_id, a).await?
        {
            // An offer's units stay held for its person, as offered.
            if offer.is_none() {
                release(conn, event_id, id, &items).await?;
            }
            return Ok(refused(voucher::VoucherError::UsedUp.into()));
        }
        if let Some(offer) = &offer {
            crate::waitlist::claim(conn, offer, id).await?;
        }
        // Microseconds, as PostgreSQL stores them, so the stored answer and a later read agree.
        let now = Utc::now().trunc_subsecs(6);
        // A free order is confirmed at once: its stock sold, its tickets issued.
        let status = if paid {
            Status::Pending
        } else {
            Status::Confirmed
        };
        let new = NewOrder {
            id,
            event_id,
            buyer_id: self.buyer,
            total_cents: total,
            currency,
            status,
            expires_at: paid.then(|| now + self.hold),
            created_at: now,
            updated_at: now,
            client_ip: Some(self.ip.to_owned()),
            kind: slotwise_db::orders::OrderKind::Tickets,
            listing_id: None,
            payout_cents: None,
            voucher_id: applied.map(|a| a.voucher_id),
            discount_cents: applied.map_or(0, |a| a.discount_cents),
            voucher_held: applied.is_some(),
        };
        let order = Order::insert(conn, &new, &items).await?;
        let why = if paid { "ordered" } else { "free order" };
        Order::record_transition(conn, order.key(), None, status, why, source).await?;
        let labels = wanted.seat_labels();
        let tickets = if paid {
            Vec::new()
        } else {
            let issued = sell(conn, &order, &items, source).await?;
            <Order as Payable>::announce(conn, order.key(), News::Confirmed, None).await?;
            issued
                .into_iter()
                .map(|t| {
                    let seat = t.seat_id.and_then(|s| labels.get(&s).cloned());
                    TicketView::new(t, seat)
                })
                .collect()
        };
        Ok(Decided {
            result: Ok(OrderView::from_parts(order, items, &labels, tickets)),
            payable_id: Some(id),
            awaits_payment: paid,
        })
    }

    fn key_of(view: &OrderView) -> OrderKey {
        view.key()
    }

    fn payment_method(&self) -> Option<&str> {
        self.request.payment_method.as_deref()
    }

    fn outcome(result: &Result<OrderView, OrderError>) -> Option<Outcome> {
        match result {
            Ok(_) => Some(Outcome("created")),
            Err(OrderError::SoldOut { .. }) => Some(Outcome("sold_out")),
            Err(OrderError::SeatUnavailable(_)) => Some(Outcome("seat_unavailable")),
            Err(_) => None,
        }
    }

    fn count(Outcome(outcome): Outcome) {
        static OUTCOMES: slotwise_web::metrics::Metric = slotwise_web::metrics::Metric::new(
            "order_outcomes_total",
            "Ticket order outcomes: created, sold_out, seat_unavailable.",
        );
        OUTCOMES.inc(&[("outcome", outcome)]);
    }
}

/// A tier asked for outside its on-sale window, if one is.
fn off_sale(wanted: &Wanted, now: chrono::DateTime<Utc>) -> Option<OrderError> {
    let Wanted::Units(units) = wanted else {
        return None;
    };
    units.iter().find_map(|(tier, _)| {
        let off_sale = tier.off_sale(now)?;
        Some(OrderError::NotOnSale {
            tier_id: tier.id,
            off_sale,
        })
    })
}

/// The request checked against the event: what it asks for, with prices,
/// and the event's currency. Sets the transaction's short lock timeout first.
async fn resolve(
    conn: &mut AsyncPgConnection,
    request: &OrderRequest,
) -> Result<Result<(Wanted, String), OrderError>, DbError> {
    // The lock timeout, the event (key-share locked) and its tiers in one
    // round trip (pipelined, in this order: the timeout covers the lock).
    let shared: &AsyncPgConnection = conn;
    let id = request.event_id;
    let (_, event, tiers) = futures::try_join!(
        slotwise_db::events::stock::short_lock_timeout(shared),
        Event::key_share(shared, id),
        Event::tier_rows(shared, id)
    )?;
    let Some(event) = event else {
        return Ok(Err(OrderError::EventNotFound));
    };
    if event.status == CANCELLED {
        return Ok(Err(OrderError::EventCancelled));
    }
    if event.starts_at <= Utc::now() {
        return Ok(Err(OrderError::EventOver));
    }
    let (items, seats) = (&request.items, &request.seats);
    if !items.is_empty() && !seats.is_empty() {
        return Ok(Err(OrderError::Mixed));
    }
    if (items.is_empty() && seats.is_empty()) || items.iter().any(|(_, q)| *q < 1) {
        return Ok(Err(OrderError::Empty));
    }
    let max = event.max_per_order;
    // Each quantity is checked before they are added, so the sum cannot overflow.
    let asked: i64 = match items.iter().find(|(_, q)| *q > i64::from(max)) {
        Some((_, q)) => *q,
        None => items.iter().map(|(_, q)| *q).sum::<i64>() + seats.len() as i64,
    };
    if asked > i64::from(max) {
        return Ok(Err(OrderError::MaxPerOrder { max, asked }));
    }
    if event.seated {
        if seats.is_empty() {
            return Ok(Err(OrderError::SeatedEvent));
        }
        let mut labels = seats.clone();
        labels.sort();
        labels.dedup();
        let found = Event::seats_named(conn, event.id, &labels).await?;
        let unknown: Vec<String> = labels
            .into_iter()
            .filter(|l| !found.iter().any(|s| &s.label == l))
            .collect();
        if !unknown.is_empty() {
            return Ok(Err(OrderError::UnknownSeats(unknown)));
        }
        return Ok(Ok((Wanted::Seats(found), event.currency)));
    }
    if items.is_empty() {
        return Ok(Err(OrderError::NotSeated));
    }
    let mut asked: BTreeMap<Uuid, i64> = BTreeMap::new();
    for (tier, quantity) in items {
        *asked.entry(*tier).or_default() += quantity;
    }
    let unknown: Vec<Uuid> = asked
        .keys()
        .filter(|id| !tiers.iter().any(|t| t.id == **id))
        .copied()
        .collect();
    if !unknown.is_empty() {
        return Ok(Err(OrderError::UnknownTier(unknown)));
    }
    // BTreeMap order: tiers are always locked in id order.
    let units = asked
        .into_iter()
        .filter_map(|(id, q)| {
            let tier = tiers.iter().find(|t| t.id == id)?.clone();
            Some((tier, i32::try_from(q).ok()?))
        })
        .collect();
    Ok(Ok((Wanted::Units(units), event.currency)))
}

/// `POST /events/{id}/orders`, exactly once per (caller, key).
pub async fn create_order(
    state: &AppState,
    caller: &Caller,
    key: &IdempotencyKey,
    request: OrderRequest,
) -> Result<Answer<OrderView>, ApiError> {
    let buyer = (caller.user_id).ok_or(Failure::Broken("an order needs a signed-in buyer"))?;
    let idempotent = IdempotentRequest::new(caller, key, "POST", PATH, request.canonical());
    let decision = OrderDecision {
        buyer,
        ip: &caller.ip,
        request: &request,
        hold: state.config.hold,
        max_unpaid: state.config.max_unpaid_holds_per_user,
    };
    crate::payments::first_phase::create_idempotent(state, &idempotent, &decision).await
}
