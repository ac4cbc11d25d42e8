//! A voucher applied to an order at its hold: checked against the event,
//! the tiers asked for and the time, and the discounted prices written into
//! what the order asks for, so the order's items, its total, its
//! PaymentIntent and each ticket's refundable price are the discounted ones.
//! Once the stock is held, one of its uses is taken ([`take`]: the voucher's
//! row lock, last, so racing buyers wait on it only for the end of their
//! transaction and never pass `max_uses`). The order's `voucher_held` says
//! it holds that use: it goes back exactly once when the order stops
//! holding it (expired, failed, cancelled, refunded whole, or every ticket
//! refunded or revoked): [`give_back`], [`give_back_if_ended`].

use super::error::OrderError;
use super::stock::Wanted;
use chrono::{DateTime, Utc};
use slotwise_db::orders::Order;
use slotwise_db::vouchers::Voucher;
use slotwise_db::{AsyncPgConnection, QueryResult};
use uuid::Uuid;

/// Why a code does not apply; none says whether other codes exist.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VoucherError {
    #[error("this code is not valid for this event")]
    Unknown,
    #[error("this code is not valid yet: from {0}")]
    NotYet(DateTime<Utc>),
    #[error("this code expired at {0}")]
    Expired(DateTime<Utc>),
    #[error("this code has been used as often as it may be")]
    UsedUp,
    #[error("this code is not valid for the tickets asked for")]
    NotApplicable,
    #[error("this code applies to at most {0} tickets per order")]
    OrderLimit(i32),
}

/// What applying a voucher changed: the one it is, and what it took off.
#[derive(Debug, Clone, Copy)]
pub struct Applied {
    pub voucher_id: Uuid,
    pub discount_cents: i64,
}

/// A code as typed: spaces around dropped, upper case.
pub fn normalize(code: &str) -> String {
    code.trim().to_uppercase()
}

/// One unit's price with the voucher: a percentage (rounded to the cent,
/// half up) or an amount off, never below zero.
pub fn discounted(price: i64, voucher: &Voucher) -> i64 {
    let off = match (voucher.percent_off, voucher.amount_off_cents) {
        (Some(percent), _) => (price * i64::from(percent) + 50) / 100,
        (None, Some(amount)) => amount,
        (None, None) => 0,
    };
    (price - off.min(price)).max(0)
}

/// Checks `code` for `wanted` at `now` and discounts `wanted`'s prices in
/// place (the use is taken by [`take`], once the stock is held). A hidden tier asked for without a code that
/// names it is refused as unknown (its existence is not told).
pub async fn apply(
    conn: &mut AsyncPgConnection,
    event_id: Uuid,
    code: Option<&str>,
    wanted: &mut Wanted,
    now: DateTime<Utc>,
) -> QueryResult<Result<Option<Applied>, OrderError>> {
    let voucher = match code {
        None => None,
        Some(code) => match Voucher::by_code(conn, event_id, &normalize(code)).await? {
            Some(v) if v.disabled_at.is_none() => Some(v),
            _ => return Ok(Err(VoucherError::Unknown.into())),
        },
    };
    let names = |tier: Uuid| voucher.as_ref().is_some_and(|v| v.tier_ids.contains(&tier));
    if let Wanted::Units(units) = &*wanted {
        let hidden: Vec<Uuid> = (units.iter().filter(|(t, _)| t.hidden && !names(t.id)))
            .map(|(t, _)| t.id)
            .collect();
        if !hidden.is_empty() {
            return Ok(Err(OrderError::UnknownTier(hidden)));
        }
    }
    let Some(voucher) = voucher else {
        return Ok(Ok(None));
    };
    if let Some(from) = voucher.valid_from.filter(|from| now < *from) {
        return Ok(Err(VoucherError::NotYet(from).into()));
    }
    if let Some(until) = voucher.valid_until.filter(|until| now >= *until) {
        return Ok(Err(VoucherError::Expired(until).into()));
    }
    let applies = |tier: Option<Uuid>| {
        voucher.tier_ids.is_empty() || tier.is_some_and(|t| voucher.tier_ids.contains(&t))
    };
    let tickets: i64 = match &*wanted {
        Wanted::Units(units) => {
            if units.iter().any(|(t, _)| !applies(Some(t.id))) {
                return Ok(Err(VoucherError::NotApplicable.into()));
            }
            units.iter().map(|(_, q)| i64::from(*q)).sum()
        }
        Wanted::Seats(seats) => {
            // Seats belong to no tier: only a code for every tier applies.
            if !voucher.tier_ids.is_empty() {
                return Ok(Err(VoucherError::NotApplicable.into()));
            }
            seats.len() as i64
        }
    };
    if let Some(max) = voucher
        .max_per_order
        .filter(|max| tickets > i64::from(*max))
    {
        return Ok(Err(VoucherError::OrderLimit(max).into()));
    }
    let mut discount_cents = 0;
    match wanted {
        Wanted::Units(units) => {
            for (tier, quantity) in units.iter_mut() {
                let price = discounted(tier.price_cents, &voucher);
                discount_cents += (tier.price_cents - price) * i64::from(*quantity);
                tier.price_cents = price;
            }
        }
        Wanted::Seats(seats) => {
            for seat in seats.iter_mut() {
                let price = discounted(seat.price_cents, &voucher);
                discount_cents += seat.price_cents - price;
                seat.price_cents = price;
            }
        }
    }
    Ok(Ok(Some(Applied {
        voucher_id: voucher.id,
        discount_cents,
    })))
}

/// Takes the use of a voucher [`apply`] accepted, once what the order asks
/// for is held: false when none is left (or it was switched off meanwhile).
pub async fn take(
    conn: &mut AsyncPgConnection,
    event_id: Uuid,
    applied: &Applied,
) -> QueryResult<bool> {
    Voucher::take_use(conn, event_id, applied.voucher_id, true).await
}

/// Gives back the use an order holds, when it stops holding it (once).
pub async fn give_back(conn: &mut AsyncPgConnection, order: &Order) -> QueryResult<()> {
    if order.voucher_id.is_none() {
        return Ok(());
    }
    Voucher::give_back_of_orders(conn, order.event_id, &[order.id], false).await
}

/// Gives back the uses of those of `orders` with no live ticket left (every
/// ticket refunded or revoked one by one).
pub async fn give_back_if_ended(
    conn: &mut AsyncPgConnection,
    event_id: Uuid,
    orders: &[Uuid],
) -> QueryResult<()> {
    if orders.is_empty() {
        return Ok(());
    }
    Voucher::give_back_of_orders(conn, event_id, orders, true).await
}

/// Takes again the use of an order paid after its hold ran out: false when
/// none is left (the order is not kept then). A code switched off since
/// stays the order's: it held it before.
pub async fn take_again(conn: &mut AsyncPgConnection, order: &Order) -> QueryResult<bool> {
    let Some(id) = order.voucher_id else {
        return Ok(true);
    };
    if !Voucher::take_use(conn, order.event_id, id, false).await? {
        return Ok(false);
    }
    Voucher::hold_again(conn, order.event_id, order.id).await?;
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn voucher(percent: Option<i32>, amount: Option<i64>) -> Voucher {
        Voucher {
            event_id: Uuid::nil(),
            id: Uuid::nil(),
            code: "X".into(),
            percent_off: percent,
            amount_off_cents: amount,
            tier_ids: Vec::new(),
            valid_from: None,
            valid_until: None,
            max_uses: 1,
            uses: 0,
            max_per_order: None,
            created_at: Utc::now(),
            disabled_at: None,
        }
    }

    #[test]
    fn a_discount_rounds_to_the_cent_and_never_goes_below_zero() {
        assert_eq!(discounted(1999, &voucher(Some(10), None)), 1799);
        assert_eq!(discounted(1500, &voucher(Some(100), None)), 0);
        assert_eq!(discounted(1500, &voucher(None, Some(2000))), 0);
        assert_eq!(discounted(1500, &voucher(None, Some(500))), 1000);
        assert_eq!(discounted(1500, &voucher(None, None)), 1500);
        assert_eq!(normalize("  spring-25 "), "SPRING-25");
    }
}
