//! Demo events for `scripts/run`: a general-admission concert near Accra
//! whose VIP tier is nearly sold out (real orders, paid through Stripe) and a
//! seated play with a 4×10 seat map. Loading it twice changes nothing.

use crate::AppState;
use crate::demo::{DEMO_PASSWORD, ensure_user};
use crate::events::Venue;
use crate::events::input::{NewEventRequest, NewSeat, NewTier};
use crate::idempotency::{Caller, IdempotencyKey};
use crate::orders::create::OrderRequest;
use chrono::{Duration, DurationRound, Utc};
use slotwise_db::events::{Event, EventRef};

pub const GA_SLUG: &str = "highlife-night-accra";
pub const SEATED_SLUG: &str = "kasa-at-the-national-theatre";
const ORGANIZER_EMAIL: &str = "organizer@slotwise.dev";
const FAN_EMAIL: &str = "fan@slotwise.dev";

fn caller(user: uuid::Uuid) -> Caller {
    Caller {
        user_id: Some(user),
        ip: "127.0.0.1".to_owned(),
    }
}

fn concert(starts: chrono::DateTime<Utc>) -> NewEventRequest {
    NewEventRequest {
        slug: Some(slotwise_web::Text(GA_SLUG.to_owned())),
        title: slotwise_web::Text("Highlife Night in Osu".to_owned()),
        description: Some(slotwise_web::Text(
            "Live highlife and palm-wine guitar under the stars".to_owned(),
        )),
        category: slotwise_web::Text("Concert".to_owned()),
        venue: Venue {
            name: slotwise_web::Text("Osu Castle Grounds".to_owned()),
            lat: 5.5466,
            long: -0.1837,
        },
        starts_at: starts.fixed_offset(),
        ends_at: Some((starts + Duration::hours(4)).fixed_offset()),
        currency: Some(slotwise_web::Text("usd".to_owned())),
        max_per_order: Some(10),
        resale: None,
        reentry: None,
        tiers: Some(vec![
            NewTier {
                name: slotwise_web::Text("VIP".to_owned()),
                price_cents: 5000,
                capacity: 12,
                sales_start: None,
                sales_end: None,
                hidden: None,
            },
            NewTier {
                name: slotwise_web::Text("General".to_owned()),
                price_cents: 1500,
                capacity: 500,
                sales_start: None,
                sales_end: None,
                hidden: None,
            },
        ]),
        seats: None,
        seat_rows: None,
    }
}

fn play(starts: chrono::DateTime<Utc>) -> NewEventRequest {
    let seats = ["A", "B", "C", "D"]
        .iter()
        .flat_map(|row| {
            (1..=10).map(move |n| NewSeat {
                label: format!("{row}{n}").into(),
                section: Some(slotwise_web::Text("Stalls".to_owned())),
                row: Some(slotwise_web::Text((*row).to_owned())),
                price_cents: if *row == "A" { 4000 } else { 2500 },
            })
        })
        .collect();
    NewEventRequest {
        slug: Some(slotwise_web::Text(SEATED_SLUG.to_owned())),
        title: slotwise_web::Text("Kasa: a play in Twi and English".to_owned()),
        description: Some(slotwise_web::Text(
            "An evening of theatre at the National Theatre of Ghana".to_owned(),
        )),
        category: slotwise_web::Text("Theatre".to_owned()),
        venue: Venue {
            name: slotwise_web::Text("National Theatre of Ghana".to_owned()),
            lat: 5.5593,
            long: -0.1975,
        },
        starts_at: starts.fixed_offset(),
        ends_at: None,
        currency: Some(slotwise_web::Text("usd".to_owned())),
        max_per_order: Some(6),
        resale: None,
        reentry: None,
        tiers: None,
        seats: Some(seats),
        seat_rows: None,
    }
}

/// Publishes the demo events that are missing; answers how many were.
pub async fn load(state: &AppState) -> anyhow::Result<usize> {
    let organizer = ensure_user(&state.pool, ORGANIZER_EMAIL, "Demo Organizer", "client").await?;
    let fan = ensure_user(&state.pool, FAN_EMAIL, "Demo Fan", "client").await?;
    let day = Utc::now().duration_trunc(Duration::days(1))?;
    let mut added = 0;
    for (slug, request) in [
        (
            GA_SLUG,
            concert(day + Duration::days(10) + Duration::hours(19)),
        ),
        (
            SEATED_SLUG,
            play(day + Duration::days(14) + Duration::hours(18)),
        ),
    ] {
        let exists = {
            let mut conn = state.pool.get().await?;
            Event::find(&mut conn, &EventRef::Slug(slug.to_owned()))
                .await?
                .is_some()
        };
        if exists {
            continue;
        }
        let key = IdempotencyKey::parse(Some(&format!("demo-{slug}")))?;
        let answer =
            crate::events::create::create_event(state, &caller(organizer.id), &key, request)
                .await?;
        let event = answer.result?;
        added += 1;
        if slug == GA_SLUG {
            sell_vip(state, fan.id, &event).await;
        }
    }
    tracing::info!(
        organizer = ORGANIZER_EMAIL,
        fan = FAN_EMAIL,
        password = DEMO_PASSWORD,
        "demo events"
    );
    Ok(added)
}

/// Ten of the twelve VIP tickets, bought by the demo fan in orders of two
/// and paid at once with Stripe's test card (skipped, with a warning, when
/// Stripe cannot be reached: the tier is then simply not nearly sold out).
async fn sell_vip(state: &AppState, fan: uuid::Uuid, event: &crate::events::EventView) {
    let Some(vip) = event.tiers.first() else {
        return;
    };
    for i in 0..5 {
        let request = OrderRequest {
            event_id: event.id,
            items: vec![(vip.id, 2)],
            seats: Vec::new(),
            payment_method: Some("pm_card_visa".to_owned()),
            voucher: None,
        };
        let Ok(key) = IdempotencyKey::parse(Some(&format!("demo-vip-{i}"))) else {
            return;
        };
        match crate::orders::create::create_order(state, &caller(fan), &key, request).await {
            Ok(answer) if answer.result.is_ok() => {}
            Ok(answer) => {
                tracing::warn!(problem = ?answer.result.err(), "demo VIP order refused");
                return;
            }
            Err(e) => {
                tracing::warn!(error = %e, "demo VIP order failed (is Stripe reachable?)");
                return;
            }
        }
    }
}
