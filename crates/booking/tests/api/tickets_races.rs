//! Never oversold: concurrent buyers, one key raced, holds expiring, and a
//! payment arriving after its seats were sold to someone else.

use crate::event_helpers::{ga_event, seated_event, tier_id};
use crate::helpers::{event, intent_of, spawn_app, spawn_unregistered_app};
use futures::future::join_all;
use reqwest::StatusCode;
use serde_json::json;
use std::collections::HashSet;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hundred_buyers_of_one_to_four_tickets_never_take_more_than_fifty() {
    let app = spawn_app().await;
    let organizer = app.user("client").await;
    let mut buyers = Vec::new();
    for _ in 0..20 {
        buyers.push(app.user("client").await);
    }
    let event = ga_event(&app, &organizer, 50, 0).await;
    let tier = tier_id(&event, 0);
    let attempts = (0..100).map(|i| {
        let (app, event, tier) = (&app, &event, &tier);
        let buyer = buyers[i % buyers.len()].clone();
        let quantity = 1 + (i % 4) as i64;
        async move {
            let body = json!({ "items": [{ "tier_id": tier, "quantity": quantity }] });
            let (status, answer) = app.order(&buyer, &format!("buy-{i}"), event, body).await;
            (quantity, status, answer)
        }
    });
    let mut taken = 0;
    for (quantity, status, answer) in join_all(attempts).await {
        match status {
            StatusCode::CREATED => taken += quantity,
            StatusCode::CONFLICT => {
                assert_eq!(answer["code"], "sold_out", "{answer}");
                assert!(
                    answer["available"].as_i64().is_some_and(|a| a < quantity),
                    "{answer}"
                );
            }
            other => panic!("unexpected {other}: {answer}"),
        }
    }
    assert!(taken <= 50, "{taken} tickets taken of 50");
    let now = app.event_now(&event).await;
    let sold = now["tiers"][0]["sold"].as_i64().expect("sold");
    assert_eq!(sold, taken, "the stock counts what was answered 201");
    let tickets = app.count_rows("tickets WHERE status = 'valid'").await;
    assert_eq!(tickets, taken, "one ticket per unit");
    // What is left is exactly 50 - taken, and can be bought to the last one.
    let left = now["tiers"][0]["available"].as_i64().expect("available");
    assert_eq!(left, 50 - taken);
    for i in 0..left {
        let body = json!({ "items": [{ "tier_id": tier, "quantity": 1 }] });
        let (status, _) = app
            .order(&buyers[0], &format!("rest-{i}"), &event, body)
            .await;
        assert_eq!(status, StatusCode::CREATED);
    }
    let body = json!({ "items": [{ "tier_id": tier, "quantity": 1 }] });
    let (status, problem) = app.order(&buyers[1], "one-more", &event, body).await;
    assert_eq!(
        (status, problem["available"].as_i64()),
        (StatusCode::CONFLICT, Some(0))
    );
    assert_eq!(app.event_now(&event).await["tiers"][0]["sold_out"], true);
    // The database itself refuses an oversell, whatever the code does.
    let id = event["id"].as_str().expect("id");
    let over = app
        .sql_i64(&format!(
            "SELECT count(*) FROM tier_stock WHERE event_id = '{id}' AND held + sold > capacity"
        ))
        .await;
    assert_eq!(over, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_stock_rows_refuse_an_oversell_written_around_the_code() {
    let app = spawn_app().await;
    let organizer = app.user("client").await;
    let event = ga_event(&app, &organizer, 3, 500).await;
    let id = event["id"].as_str().expect("id");
    use diesel_async::SimpleAsyncConnection;
    let mut conn = app.state.pool.get().await.expect("conn");
    let refused = conn
        .batch_execute(&format!(
            "UPDATE tier_stock SET held = held + 4 WHERE event_id = '{id}'"
        ))
        .await;
    let message = refused.expect_err("the CHECK refuses").to_string();
    assert!(message.contains("tier_stock"), "{message}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fifty_buyers_of_overlapping_seats_never_share_a_seat() {
    let app = spawn_app().await;
    let organizer = app.user("client").await;
    let mut buyers = Vec::new();
    for _ in 0..10 {
        buyers.push(app.user("client").await);
    }
    let event = seated_event(&app, &organizer, 2, 10, 2500).await;
    let labels: Vec<String> = (0..2u8)
        .flat_map(|r| (1..=10).map(move |n| format!("{}{n}", char::from(b'A' + r))))
        .collect();
    let attempts = (0..50).map(|i| {
        let (app, event) = (&app, &event);
        let buyer = buyers[i % buyers.len()].clone();
        // Three seats in a row starting anywhere: neighbours overlap.
        let want: Vec<String> = (0..3)
            .map(|k| labels[(i * 7 + k) % labels.len()].clone())
            .collect();
        async move {
            let (status, answer) = app
                .order(
                    &buyer,
                    &format!("seat-{i}"),
                    event,
                    json!({ "seats": want }),
                )
                .await;
            (want, status, answer)
        }
    });
    let mut held: HashSet<String> = HashSet::new();
    for (want, status, answer) in join_all(attempts).await {
        match status {
            StatusCode::CREATED => {
                for seat in want {
                    assert!(held.insert(seat.clone()), "{seat} answered 201 twice");
                }
            }
            StatusCode::CONFLICT => {
                assert_eq!(answer["code"], "seat_unavailable", "{answer}");
                assert!(!answer["seats"].as_array().expect("seats").is_empty());
            }
            // On a loaded machine a buyer may wait past the short lock
            // timeout: refused whole, so it holds nothing (checked below).
            StatusCode::SERVICE_UNAVAILABLE => {
                assert_eq!(answer["code"], "service_unavailable", "{answer}");
            }
            other => panic!("unexpected {other}: {answer}"),
        }
    }
    let map = app.seat_statuses(&event).await;
    for (label, status) in &map {
        assert_eq!(
            status == "held",
            held.contains(label),
            "{label} is {status}"
        );
    }
    let shared = app
        .sql_i64(
            "SELECT count(*) FROM (SELECT i.seat_id FROM order_items i JOIN orders o ON o.event_id = i.event_id AND o.id = i.order_id
             WHERE o.status IN ('pending', 'confirmed') AND i.seat_id IS NOT NULL
             GROUP BY i.seat_id HAVING count(*) > 1) s",
        )
        .await;
    assert_eq!(shared, 0, "no seat in two active orders");
    // Overlapping seats are locked in one order: buyers wait, never deadlock.
    assert_eq!(app.deadlocks_once_pool_closed().await, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn twenty_requests_with_one_key_make_one_order() {
    let app = spawn_app().await;
    let organizer = app.user("client").await;
    let buyer = app.user("client").await;
    let event = ga_event(&app, &organizer, 100, 700).await;
    let body = json!({ "items": [{ "tier_id": tier_id(&event, 0), "quantity": 2 }] });
    let attempts = (0..20).map(|_| app.order(&buyer, "same-key", &event, body.clone()));
    let mut ids = HashSet::new();
    for (status, answer) in join_all(attempts).await {
        match status {
            StatusCode::CREATED => {
                ids.insert(answer["id"].as_str().expect("id").to_owned());
            }
            StatusCode::CONFLICT => assert_eq!(answer["code"], "idempotency_key_in_use"),
            other => panic!("unexpected {other}: {answer}"),
        }
    }
    assert_eq!(ids.len(), 1);
    assert_eq!(app.count_rows("orders").await, 1);
    assert_eq!(app.event_now(&event).await["tiers"][0]["held"], 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_expired_hold_returns_its_tickets_and_seats_and_cancels_its_intent() {
    let app = spawn_app().await;
    let organizer = app.user("client").await;
    let buyer = app.user("client").await;
    let ga = ga_event(&app, &organizer, 10, 900).await;
    let seated = seated_event(&app, &organizer, 1, 4, 900).await;
    let (_, units) = app
        .order(
            &buyer,
            "ga",
            &ga,
            json!({ "items": [{ "tier_id": tier_id(&ga, 0), "quantity": 4 }] }),
        )
        .await;
    let (_, seats) = app
        .order(&buyer, "seats", &seated, json!({ "seats": ["A1", "A2"] }))
        .await;
    assert_eq!(app.event_now(&ga).await["tiers"][0]["held"], 4);
    app.sql("UPDATE orders SET expires_at = now() - interval '1 second'")
        .await;
    assert_eq!(
        slotwise_booking::jobs::holds::expire_holds_once(&app.state)
            .await
            .expect("job"),
        2
    );
    for (order, state) in [(&units, "ga"), (&seats, "seats")] {
        let id = order["id"].as_str().expect("id");
        let (_, now) = app.get_json(&buyer, &format!("/orders/{id}")).await;
        assert_eq!(now["status"], "expired", "{state}");
        let at_stripe = app
            .stripe_get(&format!("payment_intents/{}", intent_of(order)))
            .await;
        assert_eq!(at_stripe["status"], "canceled", "{state}");
    }
    let now = app.event_now(&ga).await;
    assert_eq!(
        (
            now["tiers"][0]["held"].as_i64(),
            now["tiers"][0]["available"].as_i64()
        ),
        (Some(0), Some(10))
    );
    assert!(
        app.seat_statuses(&seated)
            .await
            .values()
            .all(|s| s == "available")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_late_payment_for_seats_sold_meanwhile_is_refunded_and_one_still_free_is_kept() {
    // Webhooks are sent by hand here, so that the payment lands after the expiry.
    let app = spawn_unregistered_app(|_| {}).await;
    let organizer = app.user("client").await;
    let (late, other) = (app.user("client").await, app.user("client").await);
    let seated = seated_event(&app, &organizer, 1, 4, 1500).await;
    let (_, lost) = app
        .order(&late, "lost", &seated, json!({ "seats": ["A1"] }))
        .await;
    let (_, kept) = app
        .order(&late, "kept", &seated, json!({ "seats": ["A2"] }))
        .await;
    for order in [&lost, &kept] {
        assert_eq!(
            app.pay(intent_of(order), "pm_card_visa").await["status"],
            "succeeded"
        );
    }
    app.sql("UPDATE orders SET expires_at = now() - interval '1 second'")
        .await;
    assert_eq!(
        slotwise_booking::jobs::holds::expire_holds_once(&app.state)
            .await
            .expect("job"),
        2
    );
    let (status, _) = app
        .order(&other, "takes-a1", &seated, json!({ "seats": ["A1"] }))
        .await;
    assert_eq!(status, StatusCode::CREATED, "A1 was back on sale");

    for order in [&lost, &kept] {
        let intent = app
            .stripe_get(&format!("payment_intents/{}", intent_of(order)))
            .await;
        let res = app
            .send_event(&event("payment_intent.succeeded", intent), None)
            .await;
        assert_eq!(res.status(), StatusCode::OK);
    }
    let lost_id = lost["id"].as_str().expect("id");
    let refunded = app
        .wait_for_order(&late, lost_id, |o| o["refund"]["refund_id"].is_string())
        .await;
    assert_eq!(refunded["status"], "refunded");
    assert_eq!(refunded["refund"]["reason"], "sold_out_after_hold_expired");
    assert_eq!(refunded["refund"]["amount_cents"], 1500);
    assert_eq!(refunded["tickets"], json!([]));
    let kept_id = kept["id"].as_str().expect("id");
    let (_, kept) = app.get_json(&late, &format!("/orders/{kept_id}")).await;
    assert_eq!(kept["status"], "confirmed", "{kept}");
    assert_eq!(kept["tickets"][0]["seat"], "A2");
    let map = app.seat_statuses(&seated).await;
    assert_eq!((map["A1"].as_str(), map["A2"].as_str()), ("held", "sold"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_order_no_single_stock_row_can_fill_takes_from_several() {
    let app = spawn_app().await;
    let organizer = app.user("client").await;
    let buyer = app.user("client").await;
    let event = crate::event_helpers::publish(
        &app,
        &organizer,
        json!({ "max_per_order": 100, "tiers": [{ "name": "Floor", "price_cents": 0, "capacity": 200 }] }),
    )
    .await;
    let id = event["id"].as_str().expect("id");
    assert_eq!(
        app.count_rows(&format!("tier_stock WHERE event_id = '{id}'"))
            .await,
        2
    );
    let tier = tier_id(&event, 0);
    for (key, quantity, status) in [("a", 99, 201), ("b", 99, 201), ("c", 2, 201), ("d", 1, 409)] {
        let body = json!({ "items": [{ "tier_id": tier, "quantity": quantity }] });
        let (got, answer) = app.order(&buyer, key, &event, body).await;
        assert_eq!(got.as_u16(), status, "{key}: {answer}");
    }
    let rows = app
        .sql_i64(&format!("SELECT count(*) FROM order_items i JOIN orders o ON o.event_id = i.event_id AND o.id = i.order_id WHERE o.event_id = '{id}' AND o.total_cents = 0 AND i.quantity = 1"))
        .await;
    assert_eq!(rows, 2, "the order of 2 took one unit from each row");
    assert_eq!(app.event_now(&event).await["tiers"][0]["sold"], 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_late_payment_for_a_cancelled_event_is_refunded() {
    let app = spawn_unregistered_app(|_| {}).await;
    let organizer = app.user("client").await;
    let buyer = app.user("client").await;
    let show = ga_event(&app, &organizer, 10, 800).await;
    let body = json!({ "items": [{ "tier_id": tier_id(&show, 0), "quantity": 2 }] });
    let (_, order) = app.order(&buyer, "late", &show, body).await;
    assert_eq!(
        app.pay(intent_of(&order), "pm_card_visa").await["status"],
        "succeeded"
    );
    app.sql("UPDATE orders SET expires_at = now() - interval '1 second'")
        .await;
    assert_eq!(
        slotwise_booking::jobs::holds::expire_holds_once(&app.state)
            .await
            .expect("job"),
        1
    );
    let id = show["id"].as_str().expect("id");
    let res = app
        .http
        .post(app.url(&format!("/events/{id}/cancel")))
        .bearer_auth(&organizer)
        .send()
        .await
        .expect("cancel");
    assert_eq!(res.status(), StatusCode::OK);
    let intent = app
        .stripe_get(&format!("payment_intents/{}", intent_of(&order)))
        .await;
    let res = app
        .send_event(&event("payment_intent.succeeded", intent), None)
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let order_id = order["id"].as_str().expect("id");
    let refunded = app
        .wait_for_order(&buyer, order_id, |o| o["refund"]["refund_id"].is_string())
        .await;
    assert_eq!(
        (
            refunded["status"].as_str(),
            refunded["refund"]["reason"].as_str()
        ),
        (Some("refunded"), Some("event_cancelled"))
    );
    assert_eq!(app.event_now(&show).await["tiers"][0]["held"], 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancelling_an_event_refunds_two_hundred_orders_once_each_even_if_the_process_dies() {
    use slotwise_booking::faults::CrashPoint;
    let app =
        crate::helpers::spawn_app_with(|c| c.idempotency_lease = chrono::Duration::zero()).await;
    let organizer = app.user("client").await;
    let mut buyers = Vec::new();
    for _ in 0..10 {
        buyers.push(app.user("client").await);
    }
    let show = ga_event(&app, &organizer, 1000, 700).await;
    let tier = tier_id(&show, 0);
    let mut orders = Vec::new();
    for chunk in 0..20 {
        let batch = (0..10).map(|i| {
            let n = chunk * 10 + i;
            let body = json!({ "items": [{ "tier_id": tier, "quantity": 1 + n % 3 }], "payment_method": "pm_card_visa" });
            let (app, show, buyer) = (&app, &show, buyers[i].clone());
            async move { app.order(&buyer, &format!("paid-{n}"), show, body).await }
        });
        for (status, order) in join_all(batch).await {
            assert_eq!(
                (status, order["status"].as_str()),
                (StatusCode::CREATED, Some("confirmed")),
                "{order}"
            );
            orders.push(order);
        }
    }
    // The process dies right after the cancellation commits: no refund made by it.
    app.state.faults.arm(CrashPoint::AfterEventCancelled);
    let id = show["id"].as_str().expect("id");
    let res = app
        .http
        .post(app.url(&format!("/events/{id}/cancel")))
        .bearer_auth(&organizer)
        .send()
        .await
        .expect("cancel");
    assert_eq!(res.status(), StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(
        app.count_rows(
            "refunds WHERE closing AND reason = 'event_cancelled' AND refund_id IS NULL"
        )
        .await,
        200
    );
    // The refund job makes them, in rounds of 100 (a batch per round), then finds nothing more to do.
    let mut made = 0;
    for _ in 0..5 {
        made += slotwise_booking::payments::refunds::complete_refunds_once(&app.state)
            .await
            .expect("job");
    }
    assert_eq!(made, 200);
    assert_eq!(
        slotwise_booking::payments::refunds::complete_refunds_once(&app.state)
            .await
            .expect("job"),
        0
    );
    for order in &orders {
        let intent = app
            .stripe_get(&format!("payment_intents/{}", intent_of(order)))
            .await;
        let refunded: i64 = intent["charges"]["data"]
            .as_array()
            .expect("charges")
            .iter()
            .map(|c| c["amount_refunded"].as_i64().unwrap_or(0))
            .sum();
        assert_eq!(
            refunded,
            order["total_cents"].as_i64().expect("total"),
            "each order refunded exactly once, in full"
        );
    }
    assert_eq!(app.count_rows("tickets WHERE status = 'valid'").await, 0);
}

/// An order waits at most its short lock timeout (2 s) for an event someone
/// holds locked (an organizer's change stuck mid-transaction), not the 5 s
/// statement timeout: the timeout goes out in the same round trip as the
/// event's read, ahead of it. Nothing is stored, so the retry once the lock is
/// gone is ordered.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_order_for_an_event_locked_elsewhere_gives_up_after_its_lock_timeout() {
    use diesel_async::SimpleAsyncConnection;
    let app = spawn_app().await;
    let organizer = app.user("client").await;
    let buyer = app.user("client").await;
    let event = ga_event(&app, &organizer, 10, 0).await;
    let body = json!({ "items": [{ "tier_id": tier_id(&event, 0), "quantity": 1 }] });
    let id = event["id"].as_str().expect("id");
    let mut conn = app.state.pool.get().await.expect("conn");
    conn.batch_execute(&format!(
        "BEGIN; SELECT 1 FROM events WHERE id = '{id}' FOR UPDATE"
    ))
    .await
    .expect("event locked");
    let started = std::time::Instant::now();
    let (status, answer) = app.order(&buyer, "locked-out", &event, body.clone()).await;
    let waited = started.elapsed();
    conn.batch_execute("ROLLBACK").await.expect("released");
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{answer}");
    assert!(
        answer["detail"]
            .as_str()
            .is_some_and(|d| d.contains("too many buyers")),
        "the lock timeout, not the statement timeout: {answer}"
    );
    assert!(
        waited < std::time::Duration::from_millis(4500),
        "{waited:?}"
    );
    let (status, answer) = app.order(&buyer, "locked-out", &event, body).await;
    assert_eq!(status, StatusCode::CREATED, "{answer}");
}
