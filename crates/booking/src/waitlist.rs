//! Fair waiting lists for sold-out tiers. Units that come back to a tier
//! (a hold runs out, an order is refunded or cancelled, a ticket revoked:
//! [`refill`], called where stock is given back) are held for the first
//! person in line, by join time, in the same transaction, so the public never
//! sees them; the person is mailed a link and has `WAITLIST_OFFER_MINUTES`
//! to order them ([`offer_for`] finds the offer, [`claim`] makes its held units the order's).
//! An offer not taken in time passes to the next person ([`lapse_due_once`]).
//! Strictly in order: when the first person wants more than came back, the
//! units wait for them (nobody behind them jumps the line).

use crate::AppState;
use crate::orders::stock::Wanted;
use chrono::{Duration, Utc};
use slotwise_db::events::stock::{self, Taken, Units};
use slotwise_db::waitlist::{self as db, Entry};
use slotwise_db::{AsyncPgConnection, QueryResult};
use std::sync::OnceLock;
use uuid::Uuid;

static SETTINGS: OnceLock<(String, i64)> = OnceLock::new();

/// The app's address (for the offer's link) and how long an offer lasts;
/// set when the service starts (the first setting stays).
pub fn configure(app_url: &str, offer_minutes: i64) {
    SETTINGS.get_or_init(|| {
        (
            app_url.trim_end_matches('/').to_owned(),
            offer_minutes.max(1),
        )
    });
}

fn settings() -> (&'static str, i64) {
    SETTINGS
        .get()
        .map_or(("http://localhost:3000", 30), |(url, minutes)| {
            (url.as_str(), *minutes)
        })
}

/// Offers what came back to each of `tiers` to the people waiting for it,
/// first come first served, while the first one's quantity is free.
pub async fn refill(
    conn: &mut AsyncPgConnection,
    event_id: Uuid,
    tiers: &[Uuid],
) -> QueryResult<()> {
    if tiers.is_empty() || !db::is_open(conn, event_id).await? {
        return Ok(());
    }
    let (app_url, minutes) = settings();
    let mut tiers = tiers.to_vec();
    tiers.sort();
    tiers.dedup();
    for tier in tiers {
        // At most a hundred offers per change: a big refund makes the rest
        // at the next change or lapse.
        for _ in 0..100 {
            let Some(first) = db::first_waiting(conn, event_id, tier).await? else {
                break;
            };
            let Ok(taken) = stock::hold_units(conn, event_id, tier, first.quantity, 0).await?
            else {
                break;
            };
            let held: Vec<(i16, i32)> = taken.iter().map(|t| (t.bucket, t.quantity)).collect();
            db::offer(conn, &first, &held, Utc::now() + Duration::minutes(minutes)).await?;
            let link = format!("{app_url}/#/events/{event_id}?offer={}", first.id);
            db::announce_offer(conn, &first, &link).await?;
        }
    }
    Ok(())
}

/// The held rows of an offer, as stock moves them: an order that claims
/// the offer holds exactly these.
pub fn taken_of(entry: &Entry) -> Vec<Taken> {
    (entry.held_rows().into_iter())
        .map(|(bucket, quantity)| Taken {
            tier_id: entry.tier_id,
            bucket,
            quantity,
        })
        .collect()
}

/// `buyer`'s live offer, locked, when `wanted` is exactly it (its tier, its
/// quantity): its held units ([`taken_of`]) are the order's to take, and
/// [`claim`] makes it the order's once nothing else refuses the order (a
/// promo code used up meanwhile leaves the offer as it was). `None`: no
/// such offer, order as anyone would.
pub async fn offer_for(
    conn: &mut AsyncPgConnection,
    event_id: Uuid,
    buyer: Uuid,
    wanted: &Wanted,
) -> QueryResult<Option<Entry>> {
    let Wanted::Units(units) = wanted else {
        return Ok(None);
    };
    let [(tier, quantity)] = units.as_slice() else {
        return Ok(None);
    };
    let Some(offer) = db::active_of(conn, event_id, tier.id, buyer).await? else {
        return Ok(None);
    };
    let live =
        offer.status == db::OFFERED && offer.offered_until.is_some_and(|until| until > Utc::now());
    Ok((live && offer.quantity == *quantity).then_some(offer))
}

/// The offer is bought by `order`, which holds its units now.
pub async fn claim(conn: &mut AsyncPgConnection, offer: &Entry, order: Uuid) -> QueryResult<()> {
    db::close(conn, offer, db::BOUGHT, Some(order)).await
}

/// Gives up a place (or an offer, whose units go to the next person).
pub async fn leave(conn: &mut AsyncPgConnection, entry: &Entry) -> QueryResult<()> {
    db::close(conn, entry, db::LEFT, None).await?;
    if entry.status == db::OFFERED {
        stock::move_units(conn, entry.event_id, &taken_of(entry), Units::ReleaseHeld).await?;
        refill(conn, entry.event_id, &[entry.tier_id]).await?;
    }
    Ok(())
}

/// Passes every offer whose time ran out to the next person in line; how
/// many lapsed.
pub async fn lapse_due_once(state: &AppState) -> Result<usize, crate::failure::Failure> {
    let mut conn = state.pool.get().await?;
    let lapsed = slotwise_db::read_committed!(conn, async |conn: &mut AsyncPgConnection| {
        let due = db::due_offers(conn, 100).await?;
        for entry in &due {
            db::close(conn, entry, db::LAPSED, None).await?;
            stock::move_units(conn, entry.event_id, &taken_of(entry), Units::ReleaseHeld).await?;
            refill(conn, entry.event_id, &[entry.tier_id]).await?;
        }
        Ok::<_, slotwise_db::DbError>(due.len())
    })?;
    Ok(lapsed)
}
