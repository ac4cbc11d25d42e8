//! Selling tools (issue 28): on-sale windows.

use crate::event_helpers::{publish, tier_id};
use crate::helpers::{spawn_app, status_and_json};
use chrono::{Duration, SubsecRound, Utc};
use reqwest::StatusCode;
use serde_json::json;

/// A tier is sold only inside its window: before it, 409 `not_on_sale` with
/// `opens_at`; after it, with `closed_at`; an order that also names a tier on
/// sale holds nothing of it. The event page says which tiers are on sale.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tier_is_sold_only_inside_its_on_sale_window() {
    let app = spawn_app().await;
    let organizer = app.signup("organizer@example.com").await;
    let buyer = app.signup("buyer@example.com").await;
    let opens = (Utc::now() + Duration::hours(1)).trunc_subsecs(0);
    let event = publish(
        &app,
        &organizer,
        json!({ "tiers": [
            { "name": "General", "price_cents": 0, "capacity": 10 },
            { "name": "Early", "price_cents": 0, "capacity": 10, "sales_start": opens.to_rfc3339() },
            { "name": "Door", "price_cents": 0, "capacity": 10,
              "sales_start": (Utc::now() - Duration::hours(2)).to_rfc3339(),
              "sales_end": (Utc::now() - Duration::hours(1)).to_rfc3339() },
        ] }),
    )
    .await;
    let on_sale: Vec<bool> = (event["tiers"].as_array().expect("tiers").iter())
        .map(|t| t["on_sale"].as_bool().expect("on_sale"))
        .collect();
    assert_eq!(on_sale, vec![true, false, false], "{event}");
    let (general, early, door) = (tier_id(&event, 0), tier_id(&event, 1), tier_id(&event, 2));

    let (status, problem) = app
        .order(
            &buyer,
            "early",
            &event,
            json!({ "items": [{ "tier_id": early, "quantity": 1 }] }),
        )
        .await;
    assert_eq!(
        (status, problem["code"].as_str()),
        (StatusCode::CONFLICT, Some("not_on_sale")),
        "{problem}"
    );
    let said = problem["opens_at"].as_str().expect("opens_at");
    assert_eq!(
        chrono::DateTime::parse_from_rfc3339(said).expect("time"),
        opens
    );

    let (status, problem) = app
        .order(
            &buyer,
            "door",
            &event,
            json!({ "items": [{ "tier_id": door, "quantity": 1 }] }),
        )
        .await;
    assert_eq!(
        (status, problem["code"].as_str()),
        (StatusCode::CONFLICT, Some("not_on_sale")),
        "{problem}"
    );
    assert!(problem["closed_at"].is_string(), "{problem}");

    // One tier on sale and one not: nothing is held of either.
    let (status, _) = app
        .order(
            &buyer,
            "both",
            &event,
            json!({ "items": [{ "tier_id": general, "quantity": 2 }, { "tier_id": early, "quantity": 1 }] }),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(
        app.sql_i64("SELECT COALESCE(sum(held + sold), 0) FROM tier_stock")
            .await,
        0
    );

    // The window opens: the same tier sells.
    app.sql(&format!(
        "UPDATE ticket_tiers SET sales_start = now() - interval '1 second' WHERE id = '{early}'"
    ))
    .await;
    let (status, order) = app
        .order(
            &buyer,
            "early-again",
            &event,
            json!({ "items": [{ "tier_id": early, "quantity": 1 }] }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{order}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_window_that_ends_before_it_starts_is_refused() {
    let app = spawn_app().await;
    let organizer = app.signup("organizer@example.com").await;
    let start = Utc::now() + Duration::days(1);
    let res = app
        .http
        .post(app.url("/events"))
        .bearer_auth(&organizer)
        .header("Idempotency-Key", "bad-window")
        .json(&json!({
            "title": "Backwards", "category": "Concert",
            "venue": { "name": "Hall", "lat": 5.5, "long": -0.2 },
            "starts_at": (Utc::now() + Duration::days(7)).to_rfc3339(),
            "tiers": [{ "name": "GA", "price_cents": 0, "capacity": 5,
                        "sales_start": start.to_rfc3339(), "sales_end": start.to_rfc3339() }],
        }))
        .send()
        .await
        .expect("publish");
    let (status, problem) = status_and_json(res).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{problem}");
    assert_eq!(problem["errors"][0]["field"], "tiers[0].sales_end");
}
