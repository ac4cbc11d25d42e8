//! Refunding some tickets of a paid order: exactly their price, each ticket once.

use crate::event_helpers::{ga_event, seated_event, tier_id};
use crate::helpers::{TestApp, intent_of, spawn_app, status_and_json};
use futures::future::join_all;
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::collections::HashSet;

/// A paid, confirmed order of `body` on `event`.
async fn paid_order(app: &TestApp, buyer: &str, event: &Value, body: Value) -> Value {
    let (status, order) = app
        .order(buyer, &uuid::Uuid::new_v4().to_string(), event, body)
        .await;
    assert_eq!(status, StatusCode::CREATED, "{order}");
    app.pay(intent_of(&order), "pm_card_visa").await;
    let id = order["id"].as_str().expect("id");
    app.wait_for_order(buyer, id, |o| o["status"] == "confirmed")
        .await
}

fn ticket_ids(order: &Value) -> Vec<String> {
    order["tickets"]
        .as_array()
        .expect("tickets")
        .iter()
        .map(|t| t["id"].as_str().expect("id").to_owned())
        .collect()
}

async fn refund(
    app: &TestApp,
    buyer: &str,
    key: &str,
    order: &Value,
    tickets: &[String],
) -> (StatusCode, Value) {
    let id = order["id"].as_str().expect("id");
    let res = app
        .http
        .post(app.url(&format!("/orders/{id}/refunds")))
        .bearer_auth(buyer)
        .header("Idempotency-Key", key)
        .json(&json!({ "ticket_ids": tickets }))
        .send()
        .await
        .expect("refund");
    status_and_json(res).await
}

/// What Stripe refunded of the order's payment.
async fn refunded_at_stripe(app: &TestApp, order: &Value) -> i64 {
    let pi = app
        .stripe_get(&format!("payment_intents/{}", intent_of(order)))
        .await;
    pi["charges"]["data"]
        .as_array()
        .expect("charges")
        .iter()
        .map(|c| c["amount_refunded"].as_i64().unwrap_or(0))
        .sum()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_of_four_tickets_are_refunded_for_exactly_their_price_and_go_back_on_sale() {
    let app = spawn_app().await;
    let (organizer, buyer) = (app.user("client").await, app.user("client").await);
    let event = ga_event(&app, &organizer, 10, 2500).await;
    let order = paid_order(
        &app,
        &buyer,
        &event,
        json!({ "items": [{ "tier_id": tier_id(&event, 0), "quantity": 4 }] }),
    )
    .await;
    let tickets = ticket_ids(&order);
    let (status, refund_answer) = refund(&app, &buyer, "r1", &order, &tickets[..2]).await;
    assert_eq!(status, StatusCode::CREATED, "{refund_answer}");
    assert_eq!(
        (
            refund_answer["amount_cents"].as_i64(),
            refund_answer["status"].as_str()
        ),
        (Some(5000), Some("refunded"))
    );
    assert_eq!(refunded_at_stripe(&app, &order).await, 5000);
    let now = app.event_now(&event).await;
    assert_eq!(
        (
            now["tiers"][0]["sold"].as_i64(),
            now["tiers"][0]["available"].as_i64()
        ),
        (Some(2), Some(8))
    );
    let id = order["id"].as_str().expect("id");
    let (_, after) = app.get_json(&buyer, &format!("/orders/{id}")).await;
    assert_eq!(after["status"], "confirmed");
    let statuses: Vec<&str> = after["tickets"]
        .as_array()
        .expect("tickets")
        .iter()
        .filter_map(|t| t["status"].as_str())
        .collect();
    assert_eq!(statuses.iter().filter(|s| **s == "refunded").count(), 2);
    assert_eq!(after["ticket_refunds"][0]["amount_cents"], 5000);

    // The same key replays; another key for the same tickets is refused; nothing more is refunded.
    let (status, replay) = refund(&app, &buyer, "r1", &order, &tickets[..2]).await;
    assert_eq!(
        (status, &replay["id"]),
        (StatusCode::CREATED, &refund_answer["id"])
    );
    let (status, problem) = refund(&app, &buyer, "r2", &order, &tickets[1..3]).await;
    assert_eq!(
        (status, problem["code"].as_str()),
        (StatusCode::CONFLICT, Some("ticket_not_refundable"))
    );
    let (status, problem) = refund(
        &app,
        &buyer,
        "r3",
        &order,
        &[uuid::Uuid::new_v4().to_string()],
    )
    .await;
    assert_eq!(
        (status, problem["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("unknown_ticket"))
    );
    let stranger = app.user("client").await;
    let (status, _) = refund(&app, &stranger, "r4", &order, &tickets[2..]).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(refunded_at_stripe(&app, &order).await, 5000);
    // The rest can be refunded too, for their price.
    let (status, _) = refund(&app, &buyer, "r5", &order, &tickets[2..]).await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(refunded_at_stripe(&app, &order).await, 10_000);
    assert_eq!(app.event_now(&event).await["tiers"][0]["sold"], 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refunded_seat_is_back_on_the_map() {
    let app = spawn_app().await;
    let (organizer, buyer) = (app.user("client").await, app.user("client").await);
    let event = seated_event(&app, &organizer, 1, 4, 3000).await;
    let order = paid_order(&app, &buyer, &event, json!({ "seats": ["A1", "A2"] })).await;
    let a1: Vec<String> = order["tickets"]
        .as_array()
        .expect("tickets")
        .iter()
        .filter(|t| t["seat"] == "A1")
        .map(|t| t["id"].as_str().expect("id").to_owned())
        .collect();
    let (status, answer) = refund(&app, &buyer, "seat", &order, &a1).await;
    assert_eq!(
        (status, answer["amount_cents"].as_i64()),
        (StatusCode::CREATED, Some(3000))
    );
    let map = app.seat_statuses(&event).await;
    assert_eq!(
        (map["A1"].as_str(), map["A2"].as_str()),
        ("available", "sold")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ten_concurrent_overlapping_refunds_never_refund_a_ticket_twice() {
    let app = spawn_app().await;
    let (organizer, buyer) = (app.user("client").await, app.user("client").await);
    let event = ga_event(&app, &organizer, 20, 1000).await;
    let order = paid_order(
        &app,
        &buyer,
        &event,
        json!({ "items": [{ "tier_id": tier_id(&event, 0), "quantity": 10 }] }),
    )
    .await;
    let tickets = ticket_ids(&order);
    let attempts = (0..10).map(|i| {
        // Three neighbours from i: every set overlaps the next ones.
        let set: Vec<String> = (0..3)
            .map(|k| tickets[(i + k) % tickets.len()].clone())
            .collect();
        let (app, buyer, order) = (&app, &buyer, &order);
        async move { refund(app, buyer, &format!("c{i}"), order, &set).await }
    });
    let mut refunded: HashSet<String> = HashSet::new();
    let mut total = 0;
    for (status, answer) in join_all(attempts).await {
        match status {
            StatusCode::CREATED => {
                total += answer["amount_cents"].as_i64().expect("amount");
                for t in answer["ticket_ids"].as_array().expect("ids") {
                    assert!(
                        refunded.insert(t.as_str().expect("id").to_owned()),
                        "{t} refunded twice"
                    );
                }
            }
            StatusCode::CONFLICT => assert_eq!(answer["code"], "ticket_not_refundable", "{answer}"),
            other => panic!("unexpected {other}: {answer}"),
        }
    }
    assert!(!refunded.is_empty());
    assert_eq!(total, 1000 * refunded.len() as i64);
    assert_eq!(
        refunded_at_stripe(&app, &order).await,
        total,
        "Stripe refunded exactly the tickets' price"
    );
    let sold = app.event_now(&event).await["tiers"][0]["sold"]
        .as_i64()
        .expect("sold");
    assert_eq!(sold, 10 - refunded.len() as i64);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_organizer_revokes_a_bought_ticket_void_back_on_sale_and_refunded() {
    let app = spawn_app().await;
    let (organizer, buyer) = (app.user("client").await, app.user("client").await);
    let event = ga_event(&app, &organizer, 5, 4000).await;
    let order = paid_order(
        &app,
        &buyer,
        &event,
        json!({ "items": [{ "tier_id": tier_id(&event, 0), "quantity": 2 }] }),
    )
    .await;
    let ticket = ticket_ids(&order)[0].clone();
    let revoke = |token: &str, key: &str| {
        app.http
            .post(app.url(&format!("/tickets/{ticket}/revoke")))
            .bearer_auth(token)
            .header("Idempotency-Key", key)
            .send()
    };
    let (status, _) = status_and_json(revoke(&buyer, "b").await.expect("revoke")).await;
    assert_eq!(
        status,
        StatusCode::FORBIDDEN,
        "its holder may not revoke it"
    );
    let stranger = app.user("client").await;
    let (status, _) = status_and_json(revoke(&stranger, "s").await.expect("revoke")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, revoked) = status_and_json(revoke(&organizer, "o").await.expect("revoke")).await;
    assert_eq!(status, StatusCode::OK, "{revoked}");
    assert_eq!(revoked["ticket"]["status"], "void");
    assert_eq!(
        (
            revoked["refund"]["amount_cents"].as_i64(),
            revoked["refund"]["status"].as_str()
        ),
        (Some(4000), Some("refunded"))
    );
    assert_eq!(refunded_at_stripe(&app, &order).await, 4000);
    let now = app.event_now(&event).await;
    assert_eq!(
        (
            now["tiers"][0]["sold"].as_i64(),
            now["tiers"][0]["available"].as_i64()
        ),
        (Some(1), Some(4))
    );
    let (status, problem) =
        status_and_json(revoke(&organizer, "again").await.expect("revoke")).await;
    assert_eq!(
        (status, problem["code"].as_str()),
        (StatusCode::CONFLICT, Some("ticket_not_revocable"))
    );
    // The buyer can no longer refund it, and keeps the other ticket.
    let (status, problem) = refund(&app, &buyer, "late", &order, &[ticket]).await;
    assert_eq!(
        (status, problem["code"].as_str()),
        (StatusCode::CONFLICT, Some("ticket_not_refundable"))
    );
    assert_eq!(refunded_at_stripe(&app, &order).await, 4000);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancelling_an_event_refunds_only_what_ticket_refunds_did_not_and_frees_stock_once() {
    let app = spawn_app().await;
    let (organizer, buyer) = (app.user("client").await, app.user("client").await);
    let event = ga_event(&app, &organizer, 10, 1000).await;
    let order = paid_order(
        &app,
        &buyer,
        &event,
        json!({ "items": [{ "tier_id": tier_id(&event, 0), "quantity": 4 }] }),
    )
    .await;
    let tickets = ticket_ids(&order);
    let (status, _) = refund(&app, &buyer, "first", &order, &tickets[..1]).await;
    assert_eq!(status, StatusCode::CREATED);
    let id = event["id"].as_str().expect("id");
    let res = app
        .http
        .post(app.url(&format!("/events/{id}/cancel")))
        .bearer_auth(&organizer)
        .send()
        .await
        .expect("cancel");
    assert_eq!(res.status(), StatusCode::OK);
    let order_id = order["id"].as_str().expect("id");
    let cancelled = app
        .wait_for_order(&buyer, order_id, |o| o["refund"]["refund_id"].is_string())
        .await;
    assert_eq!(
        cancelled["refund"]["amount_cents"], 3000,
        "the rest of the order, not all of it again"
    );
    assert_eq!(
        refunded_at_stripe(&app, &order).await,
        4000,
        "Stripe gave back the order's price once"
    );
    let now = app.event_now(&event).await;
    assert_eq!(
        (
            now["tiers"][0]["sold"].as_i64(),
            now["tiers"][0]["held"].as_i64()
        ),
        (Some(0), Some(0))
    );
}
