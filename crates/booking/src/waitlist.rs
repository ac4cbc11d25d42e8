//! Fair waiting lists for sold-out tiers. Units that come back to a tier
//! (a hold runs out, an order is refunded or cancelled, a ticket revoked:
//! [`refill`], called where stock is given back) are held for the first
//! person in line, by join time, in the same transaction, so the public never
//! sees them; the person is mailed a link and has `WAITLIST_OFFER_MINUTES`
//! to order them ([`offer_for`] finds the offer, [`claim`] makes its held units the order's).
//! An offer not taken in time passes to the next person ([`lapse_due_once`]).
//! Strictly in order: the first person is offered what came back, up to
//! what they asked for, so returned units never sit free while people wait.

use crate::AppState;
use crate::orders::stock::Wanted;
use chrono::{Duration, Utc};
use slotwise_db::events::stock::{self, Taken, Units};
use slotwise_db::events::{Event, EventRef, Tier};
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
/// first come first served: the first person is offered what came back, up
/// to what they asked for (never nothing while they wait, so one person
/// asking for many cannot keep returned units from the line), then the next.
/// A tier outside its on-sale window offers nothing.
pub async fn refill(
    conn: &mut AsyncPgConnection,
    event_id: Uuid,
    tiers: &[Uuid],
) -> QueryResult<()> {
    if tiers.is_empty() {
        return Ok(());
    }
    let now = Utc::now();
    let event = Event::find(conn, &EventRef::Id(event_id)).await?;
    if !event.is_some_and(|e| e.takes_waitlist(now)) {
        return Ok(());
    }
    let (app_url, minutes) = settings();
    let mut tiers = tiers.to_vec();
    tiers.sort();
    tiers.dedup();
    let mut rows: Option<Vec<Tier>> = None;
    for tier in tiers {
        // At most a hundred offers per change: a big refund makes the rest
        // at the next change or lapse.
        for _ in 0..100 {
            let Some(first) = db::first_waiting(conn, event_id, tier).await? else {
                break;
            };
            if rows.is_none() {
                rows = Some(Event::tier_rows(conn, event_id).await?);
            }
            let on_sale =
                (rows.iter().flatten()).any(|t| t.id == tier && t.off_sale(now).is_none());
            if !on_sale {
                break;
            }
            let taken = match stock::hold_units(conn, event_id, tier, first.quantity, 0).await? {
                Ok(taken) => taken,
                Err(0) => break,
                Err(fewer) => {
                    let fewer = i32::try_from(fewer).unwrap_or(i32::MAX);
                    match stock::hold_units(conn, event_id, tier, fewer, 0).await? {
                        Ok(taken) => taken,
                        Err(_) => break,
                    }
                }
            };
            let held: Vec<(i16, i32)> = taken.iter().map(|t| (t.bucket, t.quantity)).collect();
            db::offer(conn, &first, &held, now + Duration::minutes(minutes)).await?;
            let link = format!("{app_url}/#/events/{event_id}?offer={}", first.id);
            db::announce_offer(conn, &first, &link).await?;
        }
    }
    Ok(())
}

/// Closes the event's line (the organizer switched it off, or cancelled the
/// event): nobody waits any more, and with `offers` live offers end too,
/// their units given back (not offered again: the line is closed).
pub async fn close_line(
    conn: &mut AsyncPgConnection,
    event_id: Uuid,
    offers: bool,
) -> QueryResult<()> {
    for offer in db::close_line(conn, event_id, offers).await? {
        stock::move_units(conn, event_id, &taken_of(&offer), Units::ReleaseHeld).await?;
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
    let Some(offer) = db::offer_of(conn, event_id, tier.id, buyer).await? else {
        return Ok(None);
    };
    let live = offer.offered_until.is_some_and(|until| until > Utc::now());
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
