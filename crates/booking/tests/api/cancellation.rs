//! Who may cancel when, and what each gets back.

use crate::helpers::{TestApp, spawn_app, status_and_json, tomorrow_at};
use reqwest::StatusCode;
use serde_json::Value;

/// A confirmed booking of 3000 cents, paid through the emulator, starting in
/// `start_in` (moved there after payment).
async fn confirmed(
    app: &TestApp,
    client: &str,
    pro: &crate::helpers::Pro,
    start_in: &str,
) -> Value {
    let (_, paid) = app
        .booked(
            Some(client),
            &format!("paid-{}", pro.id),
            &pro.id,
            tomorrow_at(10),
            30,
        )
        .await;
    let id = paid["id"].as_str().expect("id");
    let intent = crate::helpers::intent_of(&paid);
    app.pay(intent, "pm_card_visa").await;
    app.wait_for(Some(client), id, |b| b["status"] == "confirmed")
        .await;
    app.sql(&format!(
        "UPDATE bookings SET start_time = now() + interval '{start_in}',
                end_time = now() + interval '{start_in}' + interval '30 minutes' WHERE id = '{id}'"
    ))
    .await;
    paid
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_cannot_cancel_a_booking_that_has_started() {
    let app = spawn_app().await;
    let client = app.user("client").await;
    let pro = app.pro(100).await;
    let booking = confirmed(&app, &client, &pro, "-10 minutes").await;
    let id = booking["id"].as_str().expect("id");
    let (status, problem) = status_and_json(app.cancel(&client, id).await).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(problem["code"], "booking_started");
    let after = app.get_booking(Some(&client), id).await;
    assert_eq!(after["status"], "confirmed");
    assert!(after.get("refund").is_none(), "{after}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_professional_cancelling_late_or_after_the_start_refunds_in_full() {
    let app = spawn_app().await;
    let client = app.user("client").await;
    let pro = app.pro(100).await;
    // Started five minutes ago: the client may no longer cancel at all.
    let booking = confirmed(&app, &client, &pro, "-5 minutes").await;
    let id = booking["id"].as_str().expect("id");
    let (status, cancelled) = status_and_json(app.cancel(&pro.token, id).await).await;
    assert_eq!(status, StatusCode::OK, "{cancelled}");
    assert_eq!(cancelled["status"], "cancelled");
    assert_eq!(cancelled["refund"]["amount_cents"], 3000, "{cancelled}");
    assert_eq!(cancelled["refund"]["reason"], "cancelled_by_professional");
    let intent = crate::helpers::intent_of(&booking);
    let refunds = app
        .stripe_get(&format!("refunds?payment_intent={intent}"))
        .await;
    assert_eq!(refunds["data"][0]["amount"], 3000);
    let reason = app
        .sql_text(&format!(
            "SELECT reason FROM booking_transitions WHERE booking_id = '{id}' AND to_status = 'cancelled'"
        ))
        .await;
    assert_eq!(reason, "cancelled by professional");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_cancelling_within_24_hours_gets_the_late_share_and_the_professional_the_full() {
    let app = spawn_app().await;
    let client = app.user("client").await;
    let pro = app.pro(100).await;
    let booking = confirmed(&app, &client, &pro, "2 hours").await;
    let (_, by_client) = status_and_json(
        app.cancel(&client, booking["id"].as_str().expect("id"))
            .await,
    )
    .await;
    assert_eq!(by_client["refund"]["amount_cents"], 1500, "50% of 3000");

    let other = app.pro(100).await;
    let booking = confirmed(&app, &client, &other, "2 hours").await;
    let (_, by_pro) = status_and_json(
        app.cancel(&other.token, booking["id"].as_str().expect("id"))
            .await,
    )
    .await;
    assert_eq!(by_pro["refund"]["amount_cents"], 3000);

    let admin = app.user("client").await;
    app.sql("UPDATE users SET role = 'admin' WHERE id = (SELECT user_id FROM sessions ORDER BY created_at DESC LIMIT 1)")
        .await;
    let third = app.pro(100).await;
    let booking = confirmed(&app, &client, &third, "2 hours").await;
    let (_, by_admin) = status_and_json(
        app.cancel(&admin, booking["id"].as_str().expect("id"))
            .await,
    )
    .await;
    assert_eq!(by_admin["refund"]["amount_cents"], 3000);
    assert_eq!(by_admin["refund"]["reason"], "cancelled_by_admin");
}
