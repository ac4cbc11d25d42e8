//! The money path against the running Stripe emulator.
//! (Past 300 lines: each test is one whole scenario against the emulator,
//! read top to bottom; splitting them would only scatter the money path.)

use crate::helpers::{Pro, TestApp, intent_of, spawn_app, status_and_json, tomorrow_at};
use reqwest::StatusCode;
use serde_json::{Value, json};

/// A paid booking whose hold ran out before its payment came (the intent's
/// cancellation did not reach Stripe): expired, its intent still payable.
async fn expired_hold(app: &TestApp, client: &str, pro: &Pro) -> Value {
    let (_, booking) = app
        .booked(Some(client), "a", &pro.id, tomorrow_at(10), 30)
        .await;
    let id = booking["id"].as_str().expect("id");
    app.sql(&format!(
        "UPDATE bookings SET status = 'expired' WHERE id = '{id}'"
    ))
    .await;
    booking
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn paying_with_pm_card_visa_confirms_the_booking_through_the_webhook() {
    let app = spawn_app().await;
    let client = app.user("client").await;
    let pro = app.pro(100).await;
    let (status, booking) = app
        .booked(Some(&client), "pay-1", &pro.id, tomorrow_at(10), 30)
        .await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(booking["status"], "pending");
    assert_eq!(booking["payment"]["provider"], "stripe");
    assert_eq!(booking["payment"]["status"], "requires_payment_method");
    let intent = intent_of(&booking);
    assert!(
        booking["payment"]["client_secret"]
            .as_str()
            .is_some_and(|s| s.starts_with(intent))
    );
    let at_stripe = app.stripe_get(&format!("payment_intents/{intent}")).await;
    assert_eq!(at_stripe["amount"], 3000);
    assert_eq!(at_stripe["metadata"]["booking_id"], booking["id"]);

    let paid = app.pay(intent, "pm_card_visa").await;
    assert_eq!(paid["status"], "succeeded");
    let id = booking["id"].as_str().expect("id");
    let confirmed = app
        .wait_for(Some(&client), id, |b| b["status"] == "confirmed")
        .await;
    assert_eq!(confirmed["payment"]["status"], "succeeded");
    let created = app
        .sql_i64(&format!(
            "SELECT count(*) FROM booking_transitions WHERE booking_id = '{id}' AND from_status IS NULL AND to_status = 'pending'"
        ))
        .await;
    assert_eq!(created, 1, "the creation is on record too");
    let history = app.sql_i64(&format!(
        "SELECT count(*) FROM booking_transitions WHERE booking_id = '{id}' AND to_status = 'confirmed' AND source LIKE 'stripe_event:evt_%'"
    )).await;
    assert_eq!(history, 1);
    // The key still replays the first answer: the booking as it was made.
    let replay = app
        .book(Some(&client), "pay-1", &pro.id, tomorrow_at(10), 30)
        .await;
    assert_eq!(replay.headers()["idempotent-replayed"], "true");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_card_declined_at_booking_is_402_frees_the_slot_and_replays() {
    let app = spawn_app().await;
    let client = app.user("client").await;
    let pro = app.pro(100).await;
    let body = json!({
        "professional_id": pro.id, "start_time": tomorrow_at(10).to_rfc3339(),
        "duration_minutes": 30, "payment_method": "pm_card_chargeCustomerFail",
    });
    let send = || {
        app.http
            .post(app.url("/bookings"))
            .bearer_auth(&client)
            .header("Idempotency-Key", "declined")
            .json(&body)
            .send()
    };
    let (status, problem) = status_and_json(send().await.expect("send")).await;
    assert_eq!(status, StatusCode::PAYMENT_REQUIRED);
    assert_eq!(problem["code"], "payment_declined");
    assert_eq!(
        app.count_bookings("status = 'failed' AND payment_error IS NOT NULL")
            .await,
        1
    );
    let replay = send().await.expect("send");
    assert_eq!(replay.status(), StatusCode::PAYMENT_REQUIRED);
    assert_eq!(replay.headers()["idempotent-replayed"], "true");
    let (status, _) = app
        .booked(Some(&client), "again", &pro.id, tomorrow_at(10), 30)
        .await;
    assert_eq!(
        status,
        StatusCode::CREATED,
        "the failed booking released its slot"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_declined_payment_is_recorded_and_the_slot_frees_when_the_hold_expires() {
    let app = spawn_app().await;
    let client = app.user("client").await;
    let pro = app.pro(100).await;
    let (_, booking) = app
        .booked(Some(&client), "k", &pro.id, tomorrow_at(10), 30)
        .await;
    let intent = intent_of(&booking);
    let id = booking["id"].as_str().expect("id");
    let declined = app.pay(intent, "pm_card_chargeCustomerFail").await;
    assert!(declined["error"].is_object(), "{declined}");
    let failed = app
        .wait_for(Some(&client), id, |b| {
            b["payment"]["last_error"].is_string()
        })
        .await;
    assert_eq!(
        failed["status"], "pending",
        "the client may still pay until the hold expires"
    );

    let (status, _) = app
        .booked(Some(&client), "k2", &pro.id, tomorrow_at(10), 30)
        .await;
    assert_eq!(
        status,
        StatusCode::CONFLICT,
        "the hold still holds the slot"
    );
    app.sql(&format!(
        "UPDATE bookings SET expires_at = now() - interval '1 second' WHERE id = '{id}'"
    ))
    .await;
    assert_eq!(
        slotwise_booking::jobs::holds::expire_holds_once(&app.state)
            .await
            .expect("job"),
        1
    );
    let expired = app.get_booking(Some(&client), id).await;
    assert_eq!(expired["status"], "expired");
    assert_eq!(
        app.stripe_get(&format!("payment_intents/{intent}")).await["status"],
        "canceled"
    );
    let (status, _) = app
        .booked(Some(&client), "k3", &pro.id, tomorrow_at(10), 30)
        .await;
    assert_eq!(status, StatusCode::CREATED);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_payment_after_the_hold_expired_is_refunded_when_the_slot_was_taken() {
    let app = spawn_app().await;
    let alice = app.user("client").await;
    let bob = app.user("client").await;
    let pro = app.pro(100).await;
    let late = expired_hold(&app, &alice, &pro).await;
    let id = late["id"].as_str().expect("id");
    // Bob took the slot meanwhile.
    let (status, _) = app
        .booked(Some(&bob), "b", &pro.id, tomorrow_at(10), 30)
        .await;
    assert_eq!(status, StatusCode::CREATED);

    app.pay(intent_of(&late), "pm_card_visa").await;
    let refunded = app
        .wait_for(Some(&alice), id, |b| b["refund"]["refund_id"].is_string())
        .await;
    assert_eq!(refunded["status"], "refunded");
    assert_eq!(refunded["refund"]["amount_cents"], 3000);
    assert_eq!(
        refunded["refund"]["reason"],
        "slot_taken_after_hold_expired"
    );
    let refunds = app
        .stripe_get(&format!("refunds?payment_intent={}", intent_of(&late)))
        .await;
    assert_eq!(refunds["data"].as_array().map(Vec::len), Some(1));
    assert_eq!(
        app.count_bookings("status IN ('pending', 'confirmed')")
            .await,
        1
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_late_payment_is_refunded_when_the_professional_removed_the_window_meanwhile() {
    let app = spawn_app().await;
    let client = app.user("client").await;
    let pro = app.pro(100).await;
    let booking = expired_hold(&app, &client, &pro).await;
    let id = booking["id"].as_str().expect("id");
    // No active booking is left in the window, so its professional may remove it.
    let windows = app.url(&format!("/professionals/{}/availability", pro.id));
    let (_, listed) = status_and_json(app.http.get(&windows).send().await.expect("list")).await;
    let window = listed["items"][0]["id"].as_str().expect("window");
    let res = app.remove_window(&pro, window).await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);

    app.pay(intent_of(&booking), "pm_card_visa").await;
    let refunded = app
        .wait_for(Some(&client), id, |b| b["refund"]["refund_id"].is_string())
        .await;
    assert_eq!(refunded["status"], "refunded");
    assert_eq!(
        refunded["refund"]["reason"],
        "window_removed_after_hold_expired"
    );
    assert_eq!(refunded["refund"]["amount_cents"], 3000);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_late_payment_confirms_when_the_slot_is_still_free() {
    let app = spawn_app().await;
    let client = app.user("client").await;
    let pro = app.pro(100).await;
    let booking = expired_hold(&app, &client, &pro).await;
    let id = booking["id"].as_str().expect("id");
    app.pay(intent_of(&booking), "pm_card_visa").await;
    let confirmed = app
        .wait_for(Some(&client), id, |b| b["status"] == "confirmed")
        .await;
    assert!(confirmed.get("refund").is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancelling_a_confirmed_booking_refunds_it_and_a_pending_one_cancels_its_intent() {
    let app = spawn_app().await;
    let client = app.user("client").await;
    let pro = app.pro(100).await;
    let (_, paid) = app
        .booked(Some(&client), "a", &pro.id, tomorrow_at(10), 30)
        .await;
    let id = paid["id"].as_str().expect("id");
    app.pay(intent_of(&paid), "pm_card_visa").await;
    app.wait_for(Some(&client), id, |b| b["status"] == "confirmed")
        .await;
    let res = app.cancel(&client, id).await;
    let (status, cancelled) = status_and_json(res).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(cancelled["status"], "cancelled");
    assert!(
        cancelled["refund"]["refund_id"]
            .as_str()
            .is_some_and(|r| r.starts_with("re_")),
        "{cancelled}"
    );
    assert_eq!(
        cancelled["refund"]["amount_cents"], 3000,
        "more than 24 h ahead: a full refund"
    );
    assert_eq!(cancelled["refund"]["reason"], "requested_by_customer");

    let (_, pending) = app
        .booked(Some(&client), "b", &pro.id, tomorrow_at(12), 30)
        .await;
    let pid = pending["id"].as_str().expect("id");
    let res = app.cancel(&client, pid).await;
    let (_, cancelled) = status_and_json(res).await;
    assert_eq!(cancelled["status"], "cancelled");
    assert_eq!(cancelled["payment"]["status"], "canceled");
    assert_eq!(
        app.stripe_get(&format!("payment_intents/{}", intent_of(&pending)))
            .await["status"],
        "canceled"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_late_cancellation_refunds_per_the_policy() {
    let app = spawn_app_late_policy().await;
    let client = app.user("client").await;
    let pro = app.pro(100).await;
    let (_, paid) = app
        .booked(Some(&client), "a", &pro.id, tomorrow_at(10), 30)
        .await;
    let id = paid["id"].as_str().expect("id");
    app.pay(intent_of(&paid), "pm_card_visa").await;
    app.wait_for(Some(&client), id, |b| b["status"] == "confirmed")
        .await;
    // Make the start less than 24 h away.
    app.sql(&format!(
        "UPDATE bookings SET start_time = now() + interval '2 hours', end_time = now() + interval '150 minutes' WHERE id = '{id}'"
    ))
    .await;
    let res = app.cancel(&client, id).await;
    let (_, cancelled) = status_and_json(res).await;
    assert_eq!(cancelled["refund"]["amount_cents"], 750, "25% of 3000");
}

async fn spawn_app_late_policy() -> crate::helpers::TestApp {
    crate::helpers::spawn_app_with(|c| c.late_cancel_refund_percent = 25).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stripe_outage_fails_the_booking_with_a_503_that_replays() {
    let app = crate::helpers::spawn_unregistered_app(|c| {
        c.stripe_api_base = "http://127.0.0.1:9/".to_owned()
    })
    .await;
    let client = app.user("client").await;
    let pro = app.pro(100).await;
    let (status, problem) = app
        .booked(Some(&client), "down", &pro.id, tomorrow_at(10), 30)
        .await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(problem["code"], "payment_provider_unavailable");
    assert_eq!(app.count_bookings("status = 'failed'").await, 1);
    let replay = app
        .book(Some(&client), "down", &pro.id, tomorrow_at(10), 30)
        .await;
    assert_eq!(replay.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(replay.headers()["idempotent-replayed"], "true");
    let free = app
        .book(Some(&client), "free-slot", &pro.id, tomorrow_at(10), 15)
        .await;
    assert_eq!(
        free.status(),
        StatusCode::SERVICE_UNAVAILABLE,
        "the slot is free again; only Stripe is down"
    );
    assert_eq!(
        app.count_bookings("status IN ('pending', 'confirmed')")
            .await,
        0
    );
}
