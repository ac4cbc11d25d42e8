//! What an order does to its event's stock and tickets: holding what it asks
//! for, and for each status change, selling (and issuing tickets), or giving
//! back what it held or bought. Everything runs in the transaction that
//! changes the order, so stock and order never disagree.

use super::error::OrderError;
use crate::custody::{self, MoveKind, TicketStatus};
use rand::RngCore;
use slotwise_db::events::stock::{self, Taken, Units};
use slotwise_db::events::{Seat, Tier};
use slotwise_db::orders::tickets::Ticket;
use slotwise_db::orders::{Order, OrderItem, OrderKey, OrderKind};
use slotwise_db::status::Status;
use slotwise_db::{AsyncPgConnection, QueryResult};
use uuid::Uuid;

/// What an order asks for, resolved against the event.
#[derive(Debug, Clone)]
pub enum Wanted {
    /// Units of tiers, each tier once, sorted by tier id (the lock order).
    Units(Vec<(Tier, i32)>),
    /// Named seats.
    Seats(Vec<Seat>),
}

impl Wanted {
    pub fn total_cents(&self) -> Option<i64> {
        match self {
            Wanted::Units(units) => units.iter().try_fold(0i64, |sum, (t, q)| {
                sum.checked_add(t.price_cents.checked_mul(i64::from(*q))?)
            }),
            Wanted::Seats(seats) => seats
                .iter()
                .try_fold(0i64, |sum, s| sum.checked_add(s.price_cents)),
        }
    }

    /// Seat labels by seat id (none for tiers).
    pub fn seat_labels(&self) -> std::collections::BTreeMap<Uuid, String> {
        match self {
            Wanted::Units(_) => std::collections::BTreeMap::new(),
            Wanted::Seats(seats) => seats.iter().map(|s| (s.id, s.label.clone())).collect(),
        }
    }

    /// What an order already holds (or held), to take it again, at the
    /// prices it was held at (a promo code's, not the seat map's).
    fn of_items(items: &[OrderItem], seats: Vec<Seat>) -> Wanted {
        if items.iter().any(|i| i.seat_id.is_some()) {
            let held: Vec<Seat> = seats
                .into_iter()
                .filter_map(|mut s| {
                    let item = items.iter().find(|i| i.seat_id == Some(s.id))?;
                    s.price_cents = item.unit_price_cents;
                    Some(s)
                })
                .collect();
            return Wanted::Seats(held);
        }
        let mut units: Vec<(Tier, i32)> = Vec::new();
        for item in items {
            let Some(tier_id) = item.tier_id else {
                continue;
            };
            match units.iter_mut().find(|(t, _)| t.id == tier_id) {
                Some((_, q)) => *q += item.quantity,
                None => units.push((
                    Tier {
                        id: tier_id,
                        event_id: item.event_id,
                        name: String::new(),
                        price_cents: item.unit_price_cents,
                        capacity: 0,
                        position: 0,
                        sales_start: None,
                        sales_end: None,
                        hidden: false,
                    },
                    item.quantity,
                )),
            }
        }
        units.sort_by_key(|(t, _)| t.id);
        Wanted::Units(units)
    }
}

/// Holds what `wanted` names for order `order`: its items, or why not (then
/// nothing stays held).
pub async fn hold(
    conn: &mut AsyncPgConnection,
    event_id: Uuid,
    order: Uuid,
    wanted: &Wanted,
) -> QueryResult<Result<Vec<OrderItem>, OrderError>> {
    let item = |tier_id, bucket, seat_id, quantity, unit_price_cents| OrderItem {
        id: 0,
        order_id: order,
        event_id,
        tier_id,
        bucket,
        seat_id,
        quantity,
        unit_price_cents,
    };
    match wanted {
        Wanted::Units(units) => {
            let start = i16::from(rand::rng().next_u32() as u8 % 8);
            let mut items = Vec::new();
            let mut taken: Vec<Taken> = Vec::new();
            for (tier, quantity) in units {
                match stock::hold_units(conn, event_id, tier.id, *quantity, start).await? {
                    Ok(got) => {
                        for t in &got {
                            items.push(item(
                                Some(t.tier_id),
                                Some(t.bucket),
                                None,
                                t.quantity,
                                tier.price_cents,
                            ));
                        }
                        taken.extend(got);
                    }
                    Err(available) => {
                        stock::move_units(conn, event_id, &taken, Units::ReleaseHeld).await?;
                        return Ok(Err(OrderError::SoldOut {
                            tier_id: tier.id,
                            available,
                        }));
                    }
                }
            }
            Ok(Ok(items))
        }
        Wanted::Seats(seats) => {
            let labels: Vec<String> = seats.iter().map(|s| s.label.clone()).collect();
            let got = stock::claim_seats(conn, event_id, order, &labels).await?;
            if got.len() < labels.len() {
                stock::release_seats(conn, event_id, order).await?;
                let mut missing: Vec<String> =
                    labels.into_iter().filter(|l| !got.contains(l)).collect();
                missing.sort();
                return Ok(Err(OrderError::SeatUnavailable(missing)));
            }
            Ok(Ok(seats
                .iter()
                .map(|s| item(None, None, Some(s.id), 1, s.price_cents))
                .collect()))
        }
    }
}

/// The items of order `order` for stock rows already held for it (an offer
/// from the waiting list), at `wanted`'s prices.
pub fn items_of(event_id: Uuid, order: Uuid, taken: &[Taken], wanted: &Wanted) -> Vec<OrderItem> {
    let price = |tier: Uuid| match wanted {
        Wanted::Units(units) => units
            .iter()
            .find(|(t, _)| t.id == tier)
            .map_or(0, |(t, _)| t.price_cents),
        Wanted::Seats(_) => 0,
    };
    (taken.iter())
        .map(|t| OrderItem {
            id: 0,
            order_id: order,
            event_id,
            tier_id: Some(t.tier_id),
            bucket: Some(t.bucket),
            seat_id: None,
            quantity: t.quantity,
            unit_price_cents: price(t.tier_id),
        })
        .collect()
}

/// Gives back what `hold` held for order `order` (refused after all).
pub async fn release(
    conn: &mut AsyncPgConnection,
    event_id: Uuid,
    order: Uuid,
    items: &[OrderItem],
) -> QueryResult<()> {
    let units = taken(items);
    stock::move_units(conn, event_id, &units, Units::ReleaseHeld).await?;
    stock::release_seats(conn, event_id, order).await?;
    let tiers: Vec<Uuid> = units.iter().map(|t| t.tier_id).collect();
    crate::waitlist::refill(conn, event_id, &tiers).await
}

fn taken(items: &[OrderItem]) -> Vec<Taken> {
    items
        .iter()
        .filter_map(|i| {
            Some(Taken {
                tier_id: i.tier_id?,
                bucket: i.bucket?,
                quantity: i.quantity,
            })
        })
        .collect()
}

/// What a confirmed order holds: its stock sold, one ticket per unit issued
/// to its buyer (answered, as stored).
pub async fn sell(
    conn: &mut AsyncPgConnection,
    order: &Order,
    items: &[OrderItem],
    source: &str,
) -> QueryResult<Vec<Ticket>> {
    let units = taken(items);
    stock::move_units(conn, order.event_id, &units, Units::Sell).await?;
    if items.iter().any(|i| i.seat_id.is_some()) {
        stock::sell_seats(conn, order.event_id, order.id).await?;
    }
    issue_tickets(conn, order, items, source).await
}

/// One ticket per unit the order holds, to its buyer.
async fn issue_tickets(
    conn: &mut AsyncPgConnection,
    order: &Order,
    items: &[OrderItem],
    source: &str,
) -> QueryResult<Vec<Ticket>> {
    let now = chrono::Utc::now();
    let mut issued: Vec<Ticket> = items
        .iter()
        .flat_map(|i| (0..i.quantity).map(move |_| i))
        .map(|i| Ticket {
            id: Uuid::now_v7(),
            event_id: order.event_id,
            order_id: Some(order.id),
            tier_id: i.tier_id,
            seat_id: i.seat_id,
            holder_id: Some(order.buyer_id),
            price_cents: i.unit_price_cents,
            status: TicketStatus::Valid,
            // Signed when issued.
            code: String::new(),
            created_at: now,
            bucket: i.bucket,
            pending_email: None,
            moves: 0,
            changed_at: now,
            entries: 0,
            inside: false,
        })
        .collect();
    custody::issue(conn, &mut issued, MoveKind::Issued, source).await?;
    Ok(issued)
}

/// What a status change of `order` (from `from`) does to its stock and tickets.
pub async fn on_transition(
    conn: &mut AsyncPgConnection,
    order: &Order,
    from: Status,
    source: &str,
) -> QueryResult<()> {
    if order.kind == OrderKind::Resale {
        return super::resale::on_transition(conn, order, from, source).await;
    }
    let (event_id, to) = (order.event_id, order.status);
    let items = Order::items(conn, order.key()).await?;
    let units = taken(&items);
    let released = [Status::Expired, Status::Cancelled, Status::Failed];
    match (from, to) {
        (_, Status::Confirmed) => {
            sell(conn, order, &items, source).await?;
        }
        (Status::Pending, to) if released.contains(&to) => {
            // The code's row first, as an order takes it last: no lock cycle
            // with a buyer holding the stock and waiting for the code.
            super::voucher::give_back(conn, order).await?;
            stock::move_units(conn, event_id, &units, Units::ReleaseHeld).await?;
            stock::release_seats(conn, event_id, order.id).await?;
            // What came back goes to the waiting list first.
            let tiers: Vec<Uuid> = units.iter().map(|t| t.tier_id).collect();
            crate::waitlist::refill(conn, event_id, &tiers).await?;
        }
        (Status::Confirmed, to @ (Status::Refunded | Status::Cancelled)) => {
            // Only its live tickets: tickets refunded or revoked one by one
            // gave theirs back already. Refunded whole (Stripe's dashboard),
            // only those its buyer still holds: one given or sold on stays its
            // holder's. Cancelled with its event, all of them.
            let tickets: Vec<Ticket> = (Ticket::of_order(conn, event_id, order.id).await?)
                .into_iter()
                .map(|t| t.ticket)
                .filter(|t| to == Status::Cancelled || t.holder_id == Some(order.buyer_id))
                .collect();
            let ended = if order.total_cents > 0 {
                TicketStatus::Refunded
            } else {
                TicketStatus::Void
            };
            // Kept by nobody now: the promo code's use is free again.
            super::voucher::give_back(conn, order).await?;
            custody::end(conn, event_id, &tickets, ended, source).await?;
        }
        _ => {}
    }
    Ok(())
}

/// Takes again what an order held before its hold ran out (a late payment);
/// false when some of it is gone (nothing stays held then).
pub async fn hold_again(conn: &mut AsyncPgConnection, key: OrderKey) -> QueryResult<bool> {
    let items = Order::items(conn, key).await?;
    let seat_ids: Vec<Uuid> = items.iter().filter_map(|i| i.seat_id).collect();
    let seats = if seat_ids.is_empty() {
        Vec::new()
    } else {
        slotwise_db::events::Event::seats_by_id(conn, key.event_id, &seat_ids).await?
    };
    let wanted = Wanted::of_items(&items, seats);
    let Some(order) = Order::get(conn, key).await? else {
        return Ok(false);
    };
    let Ok(items) = hold(conn, key.event_id, key.id, &wanted).await? else {
        return Ok(false);
    };
    // Its promo code's use went back with the hold: taken again, last.
    if !super::voucher::take_again(conn, &order).await? {
        release(conn, key.event_id, key.id, &items).await?;
        return Ok(false);
    }
    Order::replace_items(conn, key, &items).await?;
    Ok(true)
}
