//! Resale: list, lock by buying, the seller refused meanwhile, paid and moved
//! with a payout, unlocked on expiry, one winner among racing buyers.

use crate::event_helpers::{publish, tier_id};
use crate::helpers::{TestApp, intent_of, spawn_app, status_and_json};
use futures::future::join_all;
use reqwest::StatusCode;
use serde_json::{Value, json};

/// An event with resale capped at 150% of face, and one paid ticket of `seller`'s.
async fn sellers_ticket(app: &TestApp, seller: &str) -> (Value, String) {
    let organizer = app.user("client").await;
    let event = publish(
        app,
        &organizer,
        json!({ "resale": { "allowed": true, "max_percent_of_face": 150 },
                "tiers": [{ "name": "GA", "price_cents": 2000, "capacity": 10 }] }),
    )
    .await;
    let body = json!({ "items": [{ "tier_id": tier_id(&event, 0), "quantity": 1 }], "payment_method": "pm_card_visa" });
    let (status, order) = app
        .order(seller, &uuid::Uuid::new_v4().to_string(), &event, body)
        .await;
    assert_eq!(
        (status, order["status"].as_str()),
        (StatusCode::CREATED, Some("confirmed")),
        "{order}"
    );
    let ticket = order["tickets"][0]["id"]
        .as_str()
        .expect("ticket")
        .to_owned();
    (event, ticket)
}

async fn list(app: &TestApp, seller: &str, ticket: &str, price: i64) -> (StatusCode, Value) {
    let res = app
        .http
        .post(app.url(&format!("/tickets/{ticket}/listing")))
        .bearer_auth(seller)
        .json(&json!({ "price_cents": price }))
        .send()
        .await
        .expect("list");
    status_and_json(res).await
}

async fn buy(app: &TestApp, buyer: &str, listing: &str, key: &str) -> (StatusCode, Value) {
    let res = app
        .http
        .post(app.url(&format!("/listings/{listing}/orders")))
        .bearer_auth(buyer)
        .header("Idempotency-Key", key)
        .json(&json!({}))
        .send()
        .await
        .expect("buy");
    status_and_json(res).await
}

async fn reprice(
    app: &TestApp,
    seller: &str,
    listing: &str,
    version: i64,
    price: i64,
) -> (StatusCode, Value) {
    let res = app
        .http
        .patch(app.url(&format!("/listings/{listing}")))
        .bearer_auth(seller)
        .header("If-Match", version.to_string())
        .json(&json!({ "price_cents": price }))
        .send()
        .await
        .expect("patch");
    status_and_json(res).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_listed_ticket_is_locked_by_its_buyer_paid_moved_and_its_seller_owed_a_payout() {
    let app = spawn_app().await;
    let (seller, buyer, other) = (
        app.user("client").await,
        app.user("client").await,
        app.user("client").await,
    );
    let (event, ticket) = sellers_ticket(&app, &seller).await;
    let (status, problem) = list(&app, &seller, &ticket, 3500).await;
    assert_eq!(
        (status, problem["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("price_over_cap"))
    );
    let (status, listing) = list(&app, &seller, &ticket, 2800).await;
    assert_eq!(status, StatusCode::CREATED, "{listing}");
    let id = listing["id"].as_str().expect("id").to_owned();
    let event_id = event["id"].as_str().expect("event");
    let res = app
        .http
        .get(app.url(&format!("/events/{event_id}/listings")))
        .send()
        .await
        .expect("listings");
    let (_, page) = status_and_json(res).await;
    assert_eq!(page["items"][0]["id"], listing["id"]);
    let (status, own) = buy(&app, &seller, &id, "own").await;
    assert_eq!(
        (status, own["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("own_listing"))
    );

    let (status, order) = buy(&app, &buyer, &id, "b").await;
    assert_eq!(status, StatusCode::CREATED, "{order}");
    assert_eq!(
        (
            order["kind"].as_str(),
            order["total_cents"].as_i64(),
            order["status"].as_str()
        ),
        (Some("resale"), Some(2800), Some("pending"))
    );
    let (status, locked) = buy(&app, &other, &id, "o").await;
    assert_eq!(
        (status, locked["code"].as_str()),
        (StatusCode::CONFLICT, Some("listing_locked"))
    );
    let (status, refused) = reprice(&app, &seller, &id, 1, 2900).await;
    assert_eq!(
        (status, refused["code"].as_str()),
        (StatusCode::CONFLICT, Some("listing_locked")),
        "no price change while a buyer holds it"
    );
    let res = app
        .http
        .delete(app.url(&format!("/listings/{id}")))
        .bearer_auth(&seller)
        .send()
        .await
        .expect("withdraw");
    assert_eq!(res.status(), StatusCode::CONFLICT);
    let res = app
        .http
        .post(app.url(&format!("/tickets/{ticket}/transfer")))
        .bearer_auth(&seller)
        .header("Idempotency-Key", "gift")
        .json(&json!({ "to_email": "someone@example.com" }))
        .send()
        .await
        .expect("gift");
    let (status, listed) = status_and_json(res).await;
    assert_eq!(
        (status, listed["code"].as_str()),
        (StatusCode::CONFLICT, Some("ticket_listed"))
    );
    let (_, before) = app.get_json(&seller, &format!("/tickets/{ticket}")).await;
    assert_eq!(before["listing"]["id"], listing["id"]);

    app.pay(intent_of(&order), "pm_card_visa").await;
    let order_id = order["id"].as_str().expect("id");
    let confirmed = app
        .wait_for_order(&buyer, order_id, |o| o["status"] == "confirmed")
        .await;
    let bought: Vec<&str> = confirmed["tickets"]
        .as_array()
        .expect("tickets")
        .iter()
        .filter_map(|t| t["id"].as_str())
        .collect();
    assert_eq!(
        bought,
        [ticket.as_str()],
        "the resale order shows the ticket it bought"
    );
    let (status, mine) = app.get_json(&buyer, &format!("/tickets/{ticket}")).await;
    assert_eq!(
        (status, mine["status"].as_str()),
        (StatusCode::OK, Some("valid"))
    );
    assert_ne!(mine["code"], before["code"], "the seller's code is void");
    let kinds: Vec<&str> = mine["history"]
        .as_array()
        .expect("history")
        .iter()
        .filter_map(|m| m["kind"].as_str())
        .collect();
    assert_eq!(kinds, ["issued", "resale"]);
    let (status, _) = app.get_json(&seller, &format!("/tickets/{ticket}")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let payout = app.sql_text(&format!("SELECT amount_cents || '/' || fee_cents || '/' || status FROM payouts WHERE listing_id = '{id}'")).await;
    assert_eq!(payout, "2520/280/owed", "price minus the 10% fee");
    assert_eq!(
        app.sql_text(&format!("SELECT status FROM listings WHERE id = '{id}'"))
            .await,
        "sold"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_expired_resale_unlocks_the_listing_for_the_seller_and_other_buyers() {
    let app = spawn_app().await;
    let (seller, buyer, later) = (
        app.user("client").await,
        app.user("client").await,
        app.user("client").await,
    );
    let (_, ticket) = sellers_ticket(&app, &seller).await;
    let (_, listing) = list(&app, &seller, &ticket, 2500).await;
    let id = listing["id"].as_str().expect("id").to_owned();
    let (status, _) = buy(&app, &buyer, &id, "b").await;
    assert_eq!(status, StatusCode::CREATED);
    app.sql("UPDATE orders SET expires_at = now() - interval '1 second' WHERE kind = 'resale'")
        .await;
    assert_eq!(
        slotwise_booking::jobs::holds::expire_holds_once(&app.state)
            .await
            .expect("job"),
        1
    );
    let version = app
        .sql_i64(&format!("SELECT version FROM listings WHERE id = '{id}'"))
        .await;
    let (status, repriced) = reprice(&app, &seller, &id, version, 2600).await;
    assert_eq!(
        (status, repriced["price_cents"].as_i64()),
        (StatusCode::OK, Some(2600)),
        "{repriced}"
    );
    let (status, stale) = reprice(&app, &seller, &id, version, 2700).await;
    assert_eq!(
        (status, stale["code"].as_str()),
        (StatusCode::PRECONDITION_FAILED, Some("version_mismatch"))
    );
    let (status, order) = buy(&app, &later, &id, "l").await;
    assert_eq!(
        (status, order["total_cents"].as_i64()),
        (StatusCode::CREATED, Some(2600))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn thirty_buyers_of_one_listing_make_one_order_and_a_racing_reprice_never_changes_its_price()
{
    let app = spawn_app().await;
    let seller = app.user("client").await;
    let mut buyers = Vec::new();
    for _ in 0..30 {
        buyers.push(app.user("client").await);
    }
    let (_, ticket) = sellers_ticket(&app, &seller).await;
    let (_, listing) = list(&app, &seller, &ticket, 2400).await;
    let id = listing["id"].as_str().expect("id").to_owned();
    let attempts = buyers.iter().enumerate().map(|(i, b)| {
        let (app, id) = (&app, &id);
        async move { buy(app, b, id, &format!("k{i}")).await }
    });
    let race = join_all(attempts);
    let (answers, repriced) = tokio::join!(race, reprice(&app, &seller, &id, 1, 3000));
    let mut won = Vec::new();
    for (status, answer) in answers {
        match status {
            StatusCode::CREATED => won.push(answer),
            StatusCode::CONFLICT => assert_eq!(answer["code"], "listing_locked", "{answer}"),
            other => panic!("unexpected {other}: {answer}"),
        }
    }
    assert_eq!(won.len(), 1, "one order");
    // Whichever came first, the buyer pays the price the listing had when it locked.
    let paid = won[0]["total_cents"].as_i64().expect("total");
    match repriced.0 {
        StatusCode::OK => assert_eq!(paid, 3000, "the reprice landed before the lock"),
        _ => {
            assert_eq!(repriced.1["code"], "listing_locked");
            assert_eq!(paid, 2400);
        }
    }
    assert_eq!(app.count_rows("orders WHERE kind = 'resale'").await, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cancelled_event_refunds_the_resale_buyer_and_no_payout_is_owed() {
    let app = spawn_app().await;
    let (organizer, seller, buyer) = (
        app.user("client").await,
        app.user("client").await,
        app.user("client").await,
    );
    let event = publish(
        &app,
        &organizer,
        json!({ "tiers": [{ "name": "GA", "price_cents": 2000, "capacity": 10 }] }),
    )
    .await;
    let body = json!({ "items": [{ "tier_id": tier_id(&event, 0), "quantity": 1 }], "payment_method": "pm_card_visa" });
    let (_, original) = app.order(&seller, "original", &event, body).await;
    let ticket = original["tickets"][0]["id"]
        .as_str()
        .expect("ticket")
        .to_owned();
    let (_, listing) = list(&app, &seller, &ticket, 2500).await;
    let (_, resale) = buy(&app, &buyer, listing["id"].as_str().expect("id"), "r").await;
    app.pay(intent_of(&resale), "pm_card_visa").await;
    let resale_id = resale["id"].as_str().expect("id");
    app.wait_for_order(&buyer, resale_id, |o| o["status"] == "confirmed")
        .await;
    assert_eq!(app.count_rows("payouts WHERE status = 'owed'").await, 1);

    let id = event["id"].as_str().expect("id");
    let res = app
        .http
        .post(app.url(&format!("/events/{id}/cancel")))
        .bearer_auth(&organizer)
        .send()
        .await
        .expect("cancel");
    assert_eq!(res.status(), StatusCode::OK);
    let refunded = app
        .wait_for_order(&buyer, resale_id, |o| o["refund"]["refund_id"].is_string())
        .await;
    assert_eq!(
        refunded["refund"]["amount_cents"], 2500,
        "the resale buyer gets what they paid"
    );
    let original_id = original["id"].as_str().expect("id");
    let theirs = app
        .wait_for_order(&seller, original_id, |o| {
            o["refund"]["refund_id"].is_string()
        })
        .await;
    assert_eq!(
        theirs["refund"]["amount_cents"], 2000,
        "the seller gets their own order back"
    );
    assert_eq!(
        app.count_rows("payouts WHERE status = 'cancelled'").await,
        1,
        "and no payout"
    );
}
