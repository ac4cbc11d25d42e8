//! The ticket lifecycle tried as a hostile seller, organizer or buyer would,
//! at the seams between features: an old holder's view of a moved ticket, a
//! listing repriced past its cap, a revoke racing a resale, a free ticket
//! refunded, a scalper holding a whole resale market.

use crate::event_helpers::{publish, tier_id};
use crate::helpers::{TestApp, intent_of, spawn_app, spawn_app_with, status_and_json};
use reqwest::StatusCode;
use serde_json::{Value, json};

/// An event (resale capped at 150% of face) with `tiers`, its organizer's token.
async fn event(app: &TestApp, tiers: Value) -> (Value, String) {
    let organizer = app.user("client").await;
    let event = publish(
        app,
        &organizer,
        json!({ "resale": { "allowed": true, "max_percent_of_face": 150 }, "tiers": tiers }),
    )
    .await;
    (event, organizer)
}

/// `quantity` tickets of tier `tier` bought (and paid at once) by `buyer`: the order.
async fn bought(app: &TestApp, buyer: &str, event: &Value, tier: usize, quantity: i64) -> Value {
    let body = json!({ "items": [{ "tier_id": tier_id(event, tier), "quantity": quantity }],
                       "payment_method": "pm_card_visa" });
    let key = uuid::Uuid::new_v4().to_string();
    let (status, order) = app.order(buyer, &key, event, body).await;
    assert_eq!(
        (status, order["status"].as_str()),
        (StatusCode::CREATED, Some("confirmed")),
        "{order}"
    );
    order
}

fn id(v: &Value) -> &str {
    v["id"].as_str().expect("id")
}

async fn post(
    app: &TestApp,
    token: &str,
    path: &str,
    key: Option<&str>,
    body: Value,
) -> (StatusCode, Value) {
    let mut req = app.http.post(app.url(path)).bearer_auth(token).json(&body);
    if let Some(key) = key {
        req = req.header("Idempotency-Key", key);
    }
    status_and_json(req.send().await.expect("post")).await
}

async fn list(app: &TestApp, seller: &str, ticket: &str, price: i64) -> Value {
    let path = format!("/tickets/{ticket}/listing");
    let (status, listing) = post(app, seller, &path, None, json!({ "price_cents": price })).await;
    assert_eq!(status, StatusCode::CREATED, "{listing}");
    listing
}

async fn buy(app: &TestApp, buyer: &str, listing: &str, body: Value) -> (StatusCode, Value) {
    let key = uuid::Uuid::new_v4().to_string();
    post(
        app,
        buyer,
        &format!("/listings/{listing}/orders"),
        Some(&key),
        body,
    )
    .await
}

/// The ticket's code in `order` as its buyer sees it.
async fn code_in_order(app: &TestApp, buyer: &str, order: &str, ticket: &str) -> Option<String> {
    let (status, order) = app.get_json(buyer, &format!("/orders/{order}")).await;
    assert_eq!(status, StatusCode::OK, "{order}");
    let tickets = order["tickets"].as_array().expect("tickets");
    let t = tickets
        .iter()
        .find(|t| t["id"] == ticket)
        .expect("ticket listed");
    t["code"].as_str().map(str::to_owned)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_ticket_given_or_sold_on_shows_its_code_to_its_new_holder_only() {
    let app = spawn_app().await;
    let (giver, friend, buyer) = (
        app.user("client").await,
        app.user("client").await,
        app.user("client").await,
    );
    let friend_email = app
        .sql_text("SELECT email FROM users ORDER BY created_at DESC OFFSET 1 LIMIT 1")
        .await;
    let (event, _) = event(
        &app,
        json!([{ "name": "GA", "price_cents": 2000, "capacity": 10 }]),
    )
    .await;
    let order = bought(&app, &giver, &event, 0, 2).await;
    let (gift, sold) = (id(&order["tickets"][0]), id(&order["tickets"][1]));
    assert!(
        code_in_order(&app, &giver, id(&order), gift)
            .await
            .is_some()
    );

    // A gift to an account: the giver's order no longer shows the code.
    let path = format!("/tickets/{gift}/transfer");
    let (status, _) = post(
        &app,
        &giver,
        &path,
        Some("g"),
        json!({ "to_email": friend_email }),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);
    let (_, held) = app.get_json(&friend, &format!("/tickets/{gift}")).await;
    let new_code = held["code"].as_str().expect("the holder sees the code");
    assert_eq!(code_in_order(&app, &giver, id(&order), gift).await, None);

    // A resale: the seller's order no longer shows it; the buyer's does.
    let listing = list(&app, &giver, sold, 2500).await;
    let (status, resale) = buy(
        &app,
        &buyer,
        id(&listing),
        json!({ "payment_method": "pm_card_visa" }),
    )
    .await;
    assert_eq!(
        (status, resale["status"].as_str()),
        (StatusCode::CREATED, Some("confirmed")),
        "{resale}"
    );
    let resale = app
        .wait_for_order(&buyer, id(&resale), |o| o["tickets"][0]["code"].is_string())
        .await;
    let bought_code = resale["tickets"][0]["code"].as_str().expect("code");
    assert_eq!(code_in_order(&app, &giver, id(&order), sold).await, None);

    // And no mail about the giver's order carries either code.
    let mail = app
        .sql_text(&format!(
            "SELECT COALESCE(string_agg(mail::text, ' '), '') FROM outbox WHERE subject_id = '{}'",
            id(&order)
        ))
        .await;
    assert!(
        !mail.contains(new_code) && !mail.contains(bought_code),
        "{mail}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_listing_cannot_be_repriced_past_its_cap_and_the_database_refuses_it_too() {
    let app = spawn_app().await;
    let seller = app.user("client").await;
    let (event, _) = event(
        &app,
        json!([{ "name": "GA", "price_cents": 2000, "capacity": 10 }]),
    )
    .await;
    let order = bought(&app, &seller, &event, 0, 1).await;
    let listing = list(&app, &seller, id(&order["tickets"][0]), 2500).await;
    let patch = |price: i64, version: i64| {
        app.http
            .patch(app.url(&format!("/listings/{}", id(&listing))))
            .bearer_auth(&seller)
            .header("If-Match", version.to_string())
            .json(&json!({ "price_cents": price }))
            .send()
    };
    let (status, problem) = status_and_json(patch(99_000_000, 1).await.expect("patch")).await;
    assert_eq!(
        (status, problem["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("price_over_cap")),
        "{problem}"
    );
    let (status, ok) = status_and_json(patch(3000, 1).await.expect("patch")).await;
    assert_eq!(
        (status, ok["price_cents"].as_i64()),
        (StatusCode::OK, Some(3000)),
        "at the cap itself"
    );
    // A bug in code would meet the database's refusal.
    use diesel_async::SimpleAsyncConnection;
    let mut conn = app.state.pool.get().await.expect("conn");
    let refused = conn
        .batch_execute(&format!(
            "UPDATE listings SET price_cents = 3001 WHERE id = '{}'",
            id(&listing)
        ))
        .await;
    assert!(refused.is_err_and(|e| e.to_string().contains("listings_price_within_cap")));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_revoked_ticket_never_becomes_valid_again_through_a_resale_paid_late() {
    let app = spawn_app().await;
    let (seller, buyer, other) = (
        app.user("client").await,
        app.user("client").await,
        app.user("client").await,
    );
    let (event, organizer) = event(
        &app,
        json!([{ "name": "GA", "price_cents": 2000, "capacity": 1 }]),
    )
    .await;
    let order = bought(&app, &seller, &event, 0, 1).await;
    let ticket = id(&order["tickets"][0]).to_owned();
    let listing = list(&app, &seller, &ticket, 2500).await;
    // The buyer holds the listing, unpaid.
    let (status, resale) = buy(&app, &buyer, id(&listing), json!({})).await;
    assert_eq!(
        (status, resale["status"].as_str()),
        (StatusCode::CREATED, Some("pending")),
        "{resale}"
    );
    // The organizer revokes the ticket: the unit goes back on sale and is sold again.
    let path = format!("/tickets/{ticket}/revoke");
    let (status, revoked) = post(&app, &organizer, &path, Some("r"), json!({})).await;
    assert_eq!(status, StatusCode::OK, "{revoked}");
    assert_eq!(
        revoked["refund"]["amount_cents"].as_i64(),
        Some(2000),
        "the seller's face value back"
    );
    let (_, resale_now) = app
        .get_json(&buyer, &format!("/orders/{}", id(&resale)))
        .await;
    assert_eq!(resale_now["status"], "cancelled", "{resale_now}");
    bought(&app, &other, &event, 0, 1).await;
    // Now the resale's payment lands.
    app.pay(intent_of(&resale), "pm_card_visa").await;
    let refunded = app
        .wait_for_order(&buyer, id(&resale), |o| {
            o["refund"]["refund_id"].is_string()
        })
        .await;
    assert_eq!(
        refunded["refund"]["amount_cents"].as_i64(),
        Some(2500),
        "{refunded}"
    );
    let valid = app
        .sql_i64(&format!(
            "SELECT count(*) FROM tickets WHERE event_id = '{}' AND status = 'valid'",
            id(&event)
        ))
        .await;
    assert_eq!(valid, 1, "one valid ticket for the one unit");
    let (_, revoked_now) = app
        .get_json(&seller, &format!("/orders/{}", id(&order)))
        .await;
    assert_eq!(revoked_now["tickets"][0]["status"], "void");
    assert_eq!(
        app.sql_i64("SELECT count(*) FROM payouts WHERE status = 'owed'")
            .await,
        0
    );
    let listing_status = app
        .sql_text(&format!(
            "SELECT status FROM listings WHERE id = '{}'",
            id(&listing)
        ))
        .await;
    assert_eq!(listing_status, "withdrawn");
}

/// A face-2,000 ticket its first buyer resold at `price`, paid at once.
struct Resold {
    seller: String,
    buyer: String,
    organizer: String,
    ticket: String,
    resale: Value,
}

async fn resold(app: &TestApp, price: i64) -> Resold {
    let (seller, buyer) = (app.user("client").await, app.user("client").await);
    let (event, organizer) = event(
        app,
        json!([{ "name": "GA", "price_cents": 2000, "capacity": 5 }]),
    )
    .await;
    let order = bought(app, &seller, &event, 0, 1).await;
    let ticket = id(&order["tickets"][0]).to_owned();
    let listing = list(app, &seller, &ticket, price).await;
    let body = json!({ "payment_method": "pm_card_visa" });
    let (_, resale) = buy(app, &buyer, id(&listing), body).await;
    assert_eq!(resale["status"], "confirmed", "{resale}");
    Resold {
        seller,
        buyer,
        organizer,
        ticket,
        resale,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn revoking_a_resold_ticket_refunds_its_buyer_and_cancels_the_payout() {
    let app = spawn_app().await;
    let Resold {
        seller: _,
        buyer,
        organizer,
        ticket,
        resale,
    } = resold(&app, 2600).await;
    assert_eq!(
        app.sql_i64("SELECT count(*) FROM payouts WHERE status = 'owed'")
            .await,
        1
    );
    let (status, revoked) = post(
        &app,
        &organizer,
        &format!("/tickets/{ticket}/revoke"),
        Some("r"),
        json!({}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{revoked}");
    assert_eq!(revoked["resale_orders_refunded"], json!([resale["id"]]));
    let refunded = app
        .wait_for_order(&buyer, id(&resale), |o| {
            o["refund"]["refund_id"].is_string()
        })
        .await;
    assert_eq!(refunded["refund"]["amount_cents"].as_i64(), Some(2600));
    assert_eq!(
        app.sql_i64("SELECT count(*) FROM payouts WHERE status = 'owed'")
            .await,
        0
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refunding_the_free_ticket_of_a_paid_order_is_a_clear_refusal_not_a_500() {
    let app = spawn_app().await;
    let buyer = app.user("client").await;
    let tiers = json!([{ "name": "Free", "price_cents": 0, "capacity": 5 },
                       { "name": "Paid", "price_cents": 1500, "capacity": 5 }]);
    let (event, _) = event(&app, tiers).await;
    let body = json!({ "items": [{ "tier_id": tier_id(&event, 0), "quantity": 1 },
                                 { "tier_id": tier_id(&event, 1), "quantity": 1 }],
                       "payment_method": "pm_card_visa" });
    let (status, order) = app.order(&buyer, "mixed", &event, body).await;
    assert_eq!(
        (status, order["status"].as_str()),
        (StatusCode::CREATED, Some("confirmed")),
        "{order}"
    );
    let tickets = order["tickets"].as_array().expect("tickets");
    let free = tickets
        .iter()
        .find(|t| t["price_cents"] == 0)
        .expect("free ticket");
    let path = format!("/orders/{}/refunds", id(&order));
    let (status, problem) = post(
        &app,
        &buyer,
        &path,
        Some("f"),
        json!({ "ticket_ids": [id(free)] }),
    )
    .await;
    assert_eq!(
        (status, problem["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("nothing_to_refund")),
        "{problem}"
    );
    let all: Vec<&str> = tickets.iter().map(id).collect();
    let (status, refund) = post(&app, &buyer, &path, Some("a"), json!({ "ticket_ids": all })).await;
    assert_eq!(
        (status, refund["amount_cents"].as_i64()),
        (StatusCode::CREATED, Some(1500)),
        "{refund}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_account_cannot_hold_a_whole_resale_market_unpaid() {
    let app = spawn_app_with(|c| c.max_unpaid_holds_per_user = 3).await;
    let (seller, scalper) = (app.user("client").await, app.user("client").await);
    let (event, _) = event(
        &app,
        json!([{ "name": "GA", "price_cents": 1000, "capacity": 10 }]),
    )
    .await;
    let order = bought(&app, &seller, &event, 0, 5).await;
    let mut listings = Vec::new();
    for t in order["tickets"].as_array().expect("tickets") {
        listings.push(list(&app, &seller, id(t), 1200).await);
    }
    let mut answers = Vec::new();
    for l in &listings {
        let (status, body) = buy(&app, &scalper, id(l), json!({})).await;
        answers.push((status, body["code"].as_str().map(str::to_owned)));
    }
    let held = answers
        .iter()
        .filter(|(s, _)| *s == StatusCode::CREATED)
        .count();
    assert_eq!(held, 3, "{answers:?}");
    assert!(
        answers[3..]
            .iter()
            .all(|(s, c)| *s == StatusCode::CONFLICT
                && c.as_deref() == Some("too_many_unpaid_holds")),
        "{answers:?}"
    );
}

/// A refund made by hand in Stripe's dashboard (no metadata of ours): of
/// `amount`, or the whole intent.
pub(crate) async fn refund_in_dashboard(app: &TestApp, intent: &str, amount: Option<i64>) {
    let amount = amount.map(|a| a.to_string());
    let mut form = vec![("payment_intent", intent)];
    if let Some(a) = &amount {
        form.push(("amount", a.as_str()));
    }
    let res = app
        .http
        .post(format!("{}v1/refunds", crate::helpers::stripe_base()))
        .basic_auth("sk_test_slotwise_local", Some(""))
        .form(&form)
        .send()
        .await
        .expect("dashboard refund");
    assert!(res.status().is_success());
}

/// Stripe's `charge.refunded` for one refund of `amount` made elsewhere, which
/// localstripe never sends: sent here, signed, as Stripe would; the answer.
pub(crate) async fn refunded_in_stripe(
    app: &TestApp,
    intent: &str,
    amount: i64,
) -> (StatusCode, Value) {
    let charge = crate::helpers::event(
        "charge.refunded",
        json!({ "id": format!("ch_{intent}"), "object": "charge", "payment_intent": intent,
                "amount_refunded": amount, "refunds": { "data": [{ "id": format!("re_{intent}"), "amount": amount }] } }),
    );
    status_and_json(app.send_event(&charge, None).await).await
}

/// Refunds made at Stripe for `intent`, in cents.
async fn refunded_at_stripe(app: &TestApp, intent: &str) -> i64 {
    let pi = app.stripe_get(&format!("payment_intents/{intent}")).await;
    (pi["charges"]["data"]
        .as_array()
        .cloned()
        .unwrap_or_default())
    .iter()
    .map(|c| c["amount_refunded"].as_i64().unwrap_or(0))
    .sum()
}

/// What our books keep of an order: paid, minus refunds made (whole and of tickets).
async fn kept_by_books(app: &TestApp, order: &str) -> i64 {
    let books = super::invariants::books();
    app.sql_i64(&format!(
        "SELECT b.paid - b.refunded FROM ({books}) b WHERE b.id = '{order}'"
    ))
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refund_made_in_stripes_dashboard_is_never_taken_for_a_ticket_refund() {
    let app = spawn_app().await;
    let buyer = app.user("client").await;
    let (event, _) = event(
        &app,
        json!([{ "name": "GA", "price_cents": 1000, "capacity": 5 }]),
    )
    .await;
    let order = bought(&app, &buyer, &event, 0, 2).await;
    let intent = intent_of(&order).to_owned();
    // Someone refunds 300 by hand in Stripe's dashboard (no metadata of ours).
    refund_in_dashboard(&app, &intent, Some(300)).await;
    // The buyer refunds one ticket: its 1,000 are refunded too, not taken as done.
    let ticket = id(&order["tickets"][0]).to_owned();
    let path = format!("/orders/{}/refunds", id(&order));
    let (status, refund) = post(
        &app,
        &buyer,
        &path,
        Some("t"),
        json!({ "ticket_ids": [ticket] }),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{refund}");
    assert!(refund["refund_id"].is_string(), "{refund}");
    assert_eq!(refunded_at_stripe(&app, &intent).await, 1300);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refunding_every_ticket_one_by_one_refunds_the_money_once() {
    let app = spawn_app().await;
    let buyer = app.user("client").await;
    let (event, _) = event(
        &app,
        json!([{ "name": "GA", "price_cents": 1000, "capacity": 5 }]),
    )
    .await;
    let order = bought(&app, &buyer, &event, 0, 2).await;
    let intent = intent_of(&order).to_owned();
    let path = format!("/orders/{}/refunds", id(&order));
    for (i, t) in order["tickets"]
        .as_array()
        .expect("tickets")
        .iter()
        .enumerate()
    {
        let key = format!("t{i}");
        let (status, refund) = post(
            &app,
            &buyer,
            &path,
            Some(&key),
            json!({ "ticket_ids": [id(t)] }),
        )
        .await;
        assert_eq!(status, StatusCode::CREATED, "{refund}");
    }
    assert_eq!(refunded_at_stripe(&app, &intent).await, 2000);
    // Stripe's charge.refunded, now for the whole amount, arrives (localstripe
    // sends none: it is sent here, signed, as Stripe would).
    let charge = crate::helpers::event(
        "charge.refunded",
        json!({ "id": "ch_all", "object": "charge", "payment_intent": intent,
                "amount_refunded": 2000, "refunds": { "data": [{ "id": "re_last", "amount": 1000 }] } }),
    );
    let (status, ack) = status_and_json(app.send_event(&charge, None).await).await;
    assert_eq!(
        (status, ack["outcome"].as_str()),
        (StatusCode::OK, Some("unchanged")),
        "{ack}"
    );
    // The same news listing Stripe's refunds, both ours (they carry our key):
    // nothing to record, whatever our books hold yet.
    let ours = |n: i64| json!({ "id": format!("re_{n}"), "amount": 1000, "metadata": { "slotwise_refund": format!("ticket-refund-{n}") } });
    let listed = crate::helpers::event(
        "charge.refunded",
        json!({ "id": "ch_all", "object": "charge", "payment_intent": intent,
                "amount_refunded": 2000, "refunds": { "data": [ours(1), ours(2)] } }),
    );
    let (_, ack) = status_and_json(app.send_event(&listed, None).await).await;
    assert_eq!(ack["outcome"], "unchanged", "{ack}");
    assert_eq!(
        kept_by_books(&app, id(&order)).await,
        0,
        "the books refund it once"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_resale_refunded_whole_in_stripe_goes_back_to_its_seller_and_owes_no_payout() {
    let app = spawn_app().await;
    let Resold {
        seller,
        buyer,
        ticket,
        resale,
        ..
    } = resold(&app, 2500).await;
    refund_in_dashboard(&app, intent_of(&resale), None).await;
    // Stripe tells us (localstripe does not: sent here, signed, as Stripe would).
    let (status, ack) = refunded_in_stripe(&app, intent_of(&resale), 2500).await;
    assert_eq!(
        (status, ack["outcome"].as_str()),
        (StatusCode::OK, Some("refunded")),
        "{ack}"
    );
    app.wait_for_order(&buyer, id(&resale), |o| o["status"] == "refunded")
        .await;
    assert_eq!(
        app.sql_i64("SELECT count(*) FROM payouts WHERE status = 'owed'")
            .await,
        0
    );
    let (status, back) = app.get_json(&seller, &format!("/tickets/{ticket}")).await;
    assert_eq!(
        (status, back["status"].as_str()),
        (StatusCode::OK, Some("valid")),
        "{back}"
    );
    let (status, _) = app.get_json(&buyer, &format!("/tickets/{ticket}")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_resale_paid_late_after_a_reprice_is_refunded_not_held_at_the_old_price() {
    let app = spawn_app().await;
    let (seller, buyer) = (app.user("client").await, app.user("client").await);
    let (event, _) = event(
        &app,
        json!([{ "name": "GA", "price_cents": 2000, "capacity": 5 }]),
    )
    .await;
    let order = bought(&app, &seller, &event, 0, 1).await;
    let listing = list(&app, &seller, id(&order["tickets"][0]), 2500).await;
    let (_, resale) = buy(&app, &buyer, id(&listing), json!({})).await;
    assert_eq!(resale["status"], "pending", "{resale}");
    // Its hold ran out while Stripe's cancel of the intent did not get through
    // (as the expiry job leaves it when Stripe is down): expired, listing unlocked.
    app.sql(&format!(
        "UPDATE orders SET status = 'expired' WHERE id = '{}'; \
         UPDATE listings SET locked_by = NULL, locked_until = NULL WHERE id = '{}'",
        id(&resale),
        id(&listing)
    ))
    .await;
    let version = app
        .sql_i64(&format!(
            "SELECT version FROM listings WHERE id = '{}'",
            id(&listing)
        ))
        .await;
    let res = app
        .http
        .patch(app.url(&format!("/listings/{}", id(&listing))))
        .bearer_auth(&seller)
        .header("If-Match", version.to_string())
        .json(&json!({ "price_cents": 2900 }))
        .send()
        .await
        .expect("reprice");
    assert_eq!(res.status(), StatusCode::OK);
    app.pay(intent_of(&resale), "pm_card_visa").await;
    let late = app
        .wait_for_order(&buyer, id(&resale), |o| {
            o["refund"]["refund_id"].is_string()
        })
        .await;
    assert_eq!(late["status"], "refunded", "{late}");
    let (locked, price) = (
        app.sql_text(&format!(
            "SELECT COALESCE(locked_by::text, '') FROM listings WHERE id = '{}'",
            id(&listing)
        ))
        .await,
        app.sql_i64(&format!(
            "SELECT price_cents FROM listings WHERE id = '{}'",
            id(&listing)
        ))
        .await,
    );
    assert_eq!(
        (locked.as_str(), price),
        ("", 2900),
        "still for sale at its new price"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_order_refunded_whole_in_stripe_ends_only_the_tickets_its_buyer_still_holds() {
    let app = spawn_app().await;
    let (seller, sold_to, paying) = (
        app.user("client").await,
        app.user("client").await,
        app.user("client").await,
    );
    let (event, _) = event(
        &app,
        json!([{ "name": "GA", "price_cents": 2000, "capacity": 5 }]),
    )
    .await;
    let order = bought(&app, &seller, &event, 0, 2).await;
    let (resold, listed) = (id(&order["tickets"][0]), id(&order["tickets"][1]));
    let first = list(&app, &seller, resold, 2500).await;
    let body = json!({ "payment_method": "pm_card_visa" });
    let (_, sale) = buy(&app, &sold_to, id(&first), body).await;
    assert_eq!(sale["status"], "confirmed", "{sale}");
    let second = list(&app, &seller, listed, 2500).await;
    let (_, held) = buy(&app, &paying, id(&second), json!({})).await;
    assert_eq!(held["status"], "pending", "{held}");
    // The seller's order is refunded whole in Stripe's dashboard.
    let intent = intent_of(&order).to_owned();
    refund_in_dashboard(&app, &intent, None).await;
    let (status, ack) = refunded_in_stripe(&app, &intent, 4000).await;
    assert_eq!(
        (status, ack["outcome"].as_str()),
        (StatusCode::OK, Some("refunded")),
        "{ack}"
    );
    // The ticket sold on stays its buyer's; the one still the seller's ends,
    // and its listing is withdrawn.
    let (status, kept) = app.get_json(&sold_to, &format!("/tickets/{resold}")).await;
    assert_eq!(
        (status, kept["status"].as_str()),
        (StatusCode::OK, Some("valid"))
    );
    let status_of = |t: &str| format!("SELECT status FROM tickets WHERE id = '{t}'");
    assert_eq!(app.sql_text(&status_of(listed)).await, "refunded");
    let listing_status = app
        .sql_text(&format!(
            "SELECT status FROM listings WHERE id = '{}'",
            id(&second)
        ))
        .await;
    assert_eq!(listing_status, "withdrawn");
    // The buyer who was paying for it pays now: refunded, the ticket stays ended.
    app.pay(intent_of(&held), "pm_card_visa").await;
    let refunded = app
        .wait_for_order(&paying, id(&held), |o| o["refund"]["refund_id"].is_string())
        .await;
    assert_eq!(refunded["status"], "cancelled", "{refunded}");
    assert_eq!(app.sql_text(&status_of(listed)).await, "refunded");
}
