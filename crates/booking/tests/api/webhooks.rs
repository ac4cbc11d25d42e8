//! Webhook deliveries: signatures, replays, order, unknown types, and
//! payments that disagree with their booking.
//! (Past 300 lines: one test per delivery case, each self-contained.)

use crate::helpers::{event, spawn_app, status_and_json, tomorrow_at};
use chrono::Utc;
use futures::future::join_all;
use reqwest::StatusCode;
use serde_json::{Value, json};

async fn pending_booking(app: &crate::helpers::TestApp) -> (String, Value) {
    let client = app.user("client").await;
    let pro = app.pro(100).await;
    let (status, booking) = app
        .booked(Some(&client), "k", &pro.id, tomorrow_at(10), 30)
        .await;
    assert_eq!(status, StatusCode::CREATED);
    (client, booking)
}

fn succeeded(booking: &Value) -> Value {
    event(
        "payment_intent.succeeded",
        json!({
            "id": booking["payment"]["payment_intent_id"], "object": "payment_intent",
            "status": "succeeded", "amount": booking["price_cents"], "currency": booking["currency"],
            "metadata": { "booking_id": booking["id"] },
        }),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_same_event_delivered_ten_times_moves_the_booking_once() {
    let app = spawn_app().await;
    let (client, booking) = pending_booking(&app).await;
    let evt = succeeded(&booking);
    let deliveries = join_all((0..10).map(|_| app.send_event(&evt, None))).await;
    let mut acks = Vec::new();
    for res in deliveries {
        let (status, ack) = status_and_json(res).await;
        assert_eq!(status, StatusCode::OK);
        acks.push(ack["duplicate"].as_bool().expect("duplicate flag"));
    }
    assert_eq!(acks.iter().filter(|d| !**d).count(), 1);
    let id = booking["id"].as_str().expect("id");
    assert_eq!(
        app.get_booking(Some(&client), id).await["status"],
        "confirmed"
    );
    let transitions = app
        .sql_i64(&format!("SELECT count(*) FROM booking_transitions WHERE booking_id = '{id}' AND to_status = 'confirmed'"))
        .await;
    assert_eq!(transitions, 1);
    let stored = app
        .sql_i64(&format!(
            "SELECT count(*) FROM stripe_events WHERE id = '{}'",
            evt["id"].as_str().expect("id")
        ))
        .await;
    assert_eq!(stored, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn succeeded_first_then_stale_events_out_of_order_change_nothing() {
    let app = spawn_app().await;
    let (client, booking) = pending_booking(&app).await;
    let id = booking["id"].as_str().expect("id");
    let res = app.send_event(&succeeded(&booking), None).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(
        app.get_booking(Some(&client), id).await["status"],
        "confirmed"
    );
    let intent = &booking["payment"]["payment_intent_id"];
    for kind in ["payment_intent.payment_failed", "payment_intent.canceled"] {
        let status = if kind.ends_with("canceled") {
            "canceled"
        } else {
            "requires_payment_method"
        };
        let evt = event(
            kind,
            json!({ "id": intent, "object": "payment_intent", "status": status, "amount": 3000,
            "currency": "usd", "last_payment_error": { "message": "late news" } }),
        );
        assert_eq!(app.send_event(&evt, None).await.status(), StatusCode::OK);
    }
    let after = app.get_booking(Some(&client), id).await;
    assert_eq!(after["status"], "confirmed");
    assert_eq!(
        after["payment"]["status"], "succeeded",
        "late news does not overwrite a final status"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forged_unsigned_and_stale_deliveries_are_400_and_change_nothing() {
    let app = spawn_app().await;
    let (client, booking) = pending_booking(&app).await;
    let evt = succeeded(&booking);
    let body = serde_json::to_vec(&evt).expect("json");
    let now = Utc::now().timestamp();
    let forged = slotwise_booking::stripe::signature::sign("whsec_attacker", &body, now);
    let cases = [
        Some(forged),
        None,
        Some(format!("t={now},v1=deadbeef")),
        Some("nonsense".to_owned()),
    ];
    for header in cases {
        let mut req = app
            .http
            .post(app.url("/webhooks/stripe"))
            .header("content-type", "application/json")
            .body(body.clone());
        if let Some(h) = &header {
            req = req.header("Stripe-Signature", h);
        }
        let (status, problem) = status_and_json(req.send().await.expect("send")).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{header:?}");
        assert_eq!(problem["code"], "invalid_signature");
    }
    // What the WebhookSignatureFailures and StripeUnavailable alerts read.
    let metrics = app.metrics().await;
    for series in [
        "stripe_webhooks_total{outcome=\"bad_signature\"}",
        "stripe_requests_total{operation=\"create_intent\",outcome=\"ok\"}",
    ] {
        assert!(metrics.contains(series), "missing {series}");
    }
    let stale = app.send_event(&evt, Some(now - 301)).await;
    let (status, problem) = status_and_json(stale).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        problem["detail"]
            .as_str()
            .is_some_and(|d| d.contains("300"))
    );
    let id = booking["id"].as_str().expect("id");
    assert_eq!(
        app.get_booking(Some(&client), id).await["status"],
        "pending"
    );
    // Other tests' genuine events reach this app too (the emulator sends every
    // event everywhere); the forged one must not be among the stored.
    let stored = app
        .sql_i64(&format!(
            "SELECT count(*) FROM stripe_events WHERE id = '{}'",
            evt["id"].as_str().expect("id")
        ))
        .await;
    assert_eq!(stored, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_event_types_are_acknowledged_and_ignored() {
    let app = spawn_app().await;
    let evt = event(
        "customer.created",
        json!({ "id": "cus_1", "object": "customer" }),
    );
    let (status, ack) = status_and_json(app.send_event(&evt, None).await).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(ack["outcome"], "ignored");
    let bad = app
        .http
        .post(app.url("/webhooks/stripe"))
        .header("content-type", "application/json")
        .header(
            "Stripe-Signature",
            slotwise_booking::stripe::signature::sign(
                &app.state.config.stripe_webhook_secret,
                b"not json",
                Utc::now().timestamp(),
            ),
        )
        .body("not json")
        .send()
        .await
        .expect("send");
    let (status, problem) = status_and_json(bad).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(problem["code"], "invalid_webhook");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn charge_refunded_marks_a_confirmed_booking_refunded() {
    let app = spawn_app().await;
    let (client, booking) = pending_booking(&app).await;
    app.send_event(&succeeded(&booking), None).await;
    let charge = event(
        "charge.refunded",
        json!({
            "id": "ch_1", "object": "charge", "payment_intent": booking["payment"]["payment_intent_id"],
            "amount_refunded": 3000, "refunds": { "data": [ { "id": "re_dashboard", "amount": 3000 } ] }
        }),
    );
    let (status, ack) = status_and_json(app.send_event(&charge, None).await).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(ack["outcome"], "refunded", "{ack}");
    let (_, again) = status_and_json(
        app.send_event(
            &event("charge.refunded", charge["data"]["object"].clone()),
            None,
        )
        .await,
    )
    .await;
    assert_eq!(
        again["outcome"], "unchanged",
        "a second refund event moves nothing"
    );
    let refunded = app
        .get_booking(Some(&client), booking["id"].as_str().expect("id"))
        .await;
    assert_eq!(refunded["status"], "refunded");
    assert_eq!(refunded["refund"]["refund_id"], "re_dashboard");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_intent_of_a_booking_that_gets_paid_is_refunded() {
    let app = spawn_app().await;
    let (client, booking) = pending_booking(&app).await;
    let id = booking["id"].as_str().expect("id");
    // A duplicate attempt made another intent for the same booking, and someone paid it.
    let stray: Value = app
        .http
        .post(format!(
            "{}v1/payment_intents",
            crate::helpers::stripe_base()
        ))
        .basic_auth("sk_test_slotwise_local", Some(""))
        .form(&[
            ("amount", "3000"),
            ("currency", "usd"),
            ("metadata[booking_id]", id),
        ])
        .send()
        .await
        .expect("create")
        .json()
        .await
        .expect("json");
    let stray_id = stray["id"].as_str().expect("id");
    assert_eq!(
        app.pay(stray_id, "pm_card_visa").await["status"],
        "succeeded"
    );
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    loop {
        let refunds = app
            .stripe_get(&format!("refunds?payment_intent={stray_id}"))
            .await;
        if refunds["data"].as_array().is_some_and(|r| r.len() == 1) {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "stray intent never refunded"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let still = app.get_booking(Some(&client), id).await;
    assert_eq!(
        still["status"], "pending",
        "the booking waits for its own intent"
    );
    assert_eq!(
        still["payment"]["payment_intent_id"],
        booking["payment"]["payment_intent_id"]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_payment_whose_metadata_names_the_wrong_professional_still_confirms_its_booking() {
    let app = spawn_app().await;
    let (client, booking) = pending_booking(&app).await;
    let id = booking["id"].as_str().expect("id");
    let intent = crate::helpers::intent_of(&booking);
    // The booking is found by its id and by its own record of the intent,
    // not lost because one metadata field is wrong.
    let other = uuid::Uuid::new_v4().to_string();
    let (status, updated) = app
        .update_intent(intent, &[("metadata[professional_id]", other.as_str())])
        .await;
    assert!(status.is_success(), "{updated}");
    assert_eq!(
        updated["metadata"]["booking_id"], id,
        "only the professional changed"
    );
    assert_ne!(
        updated["metadata"]["professional_id"],
        booking["professional_id"]
    );

    app.pay(intent, "pm_card_visa").await;
    let confirmed = app
        .wait_for(Some(&client), id, |b| b["status"] == "confirmed")
        .await;
    assert_eq!(confirmed["payment"]["status"], "succeeded");
}

fn mismatches(metrics: &str, field: &str) -> f64 {
    let line = format!("payment_mismatches_total{{field=\"{field}\"}} ");
    metrics
        .lines()
        .find_map(|l| l.strip_prefix(&line))
        .map_or(0.0, |v| v.parse().expect("number"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn news_of_another_amount_or_currency_is_stored_as_a_mismatch_and_changes_nothing() {
    let app = spawn_app().await;
    let (client, booking) = pending_booking(&app).await;
    let id = booking["id"].as_str().expect("id");
    let intent = &booking["payment"]["payment_intent_id"];
    let failed = |amount: Value, currency: Value| {
        event(
            "payment_intent.payment_failed",
            json!({ "id": intent, "object": "payment_intent", "status": "requires_payment_method",
                    "amount": amount, "currency": currency, "metadata": { "booking_id": id },
                    "last_payment_error": { "message": "declined" } }),
        )
    };
    for evt in [
        failed(json!(1), json!("usd")),
        failed(json!(3000), json!("eur")),
        // Without amount or currency: acknowledged (Stripe stops retrying), never applied.
        failed(Value::Null, Value::Null),
    ] {
        let (status, ack) = status_and_json(app.send_event(&evt, None).await).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(ack["outcome"], "payment_mismatch", "{ack}");
        let stored = app
            .sql_text(&format!(
                "SELECT outcome FROM stripe_events WHERE id = '{}'",
                evt["id"].as_str().expect("id")
            ))
            .await;
        assert_eq!(stored, "payment_mismatch");
    }
    let still = app.get_booking(Some(&client), id).await;
    assert_eq!(still["status"], "pending");
    assert!(still["payment"].get("last_error").is_none(), "{still}");
    // Upper-case currency is Stripe's own spelling in some places: still a match.
    let mut upper = succeeded(&booking);
    upper["data"]["object"]["currency"] = json!("USD");
    let (_, ack) = status_and_json(app.send_event(&upper, None).await).await;
    assert_eq!(ack["outcome"], "confirmed");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_succeeded_payment_of_another_amount_fails_the_booking_and_is_refunded() {
    let app = spawn_app().await;
    let (client, booking) = pending_booking(&app).await;
    let id = booking["id"].as_str().expect("id");
    let intent = crate::helpers::intent_of(&booking);
    let before = mismatches(&app.metrics().await, "amount");
    // The intent is changed at Stripe to charge 1 cent, then paid.
    let (status, _) = app.update_intent(intent, &[("amount", "1")]).await;
    assert!(status.is_success());
    app.pay(intent, "pm_card_visa").await;
    let failed = app
        .wait_for(Some(&client), id, |b| {
            b["refund"]["refund_id"]
                .as_str()
                .is_some_and(|r| r.starts_with("re_"))
        })
        .await;
    assert_eq!(failed["status"], "failed");
    assert_eq!(failed["refund"]["amount_cents"], 1);
    assert_eq!(failed["refund"]["reason"], "payment_mismatch");
    let refunds = app
        .stripe_get(&format!("refunds?payment_intent={intent}"))
        .await;
    assert_eq!(refunds["data"][0]["amount"], 1);
    assert!(mismatches(&app.metrics().await, "amount") >= before + 1.0);
    assert_eq!(
        app.count_rows(&format!(
            "booking_transitions WHERE booking_id = '{id}' AND to_status = 'confirmed'"
        ))
        .await,
        0
    );
}
