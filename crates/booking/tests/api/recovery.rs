//! Crash-safety: the flow stopped at each recovery point, then finished by a
//! retry with the same key or by the completer job; jobs racing each other.

use crate::helpers::{TestApp, spawn_app_with, status_and_json, tomorrow_at};
use futures::future::join_all;
use reqwest::StatusCode;
use slotwise_booking::faults::CrashPoint;

/// Leases end at once, so a crashed request can be resumed without waiting.
async fn app_with_short_lease() -> TestApp {
    spawn_app_with(|c| c.idempotency_lease = chrono::Duration::zero()).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_crash_before_stripe_is_finished_by_a_retry_with_one_intent() {
    let app = app_with_short_lease().await;
    let client = app.user("client").await;
    let pro = app.pro(100).await;
    app.state.faults.arm(CrashPoint::AfterBookingCreated);
    let crashed = app
        .book(Some(&client), "crash-1", &pro.id, tomorrow_at(10), 30)
        .await;
    assert_eq!(crashed.status(), StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(
        app.sql_i64(
            "SELECT count(*) FROM idempotency_keys WHERE recovery_point = 'booking_created'"
        )
        .await,
        1
    );

    let (status, booking) = app
        .booked(Some(&client), "crash-1", &pro.id, tomorrow_at(10), 30)
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let id = booking["id"].as_str().expect("id");
    assert_eq!(app.intents_of(id).await.len(), 1);
    assert_eq!(app.count_bookings("true").await, 1);
    let replay = app
        .book(Some(&client), "crash-1", &pro.id, tomorrow_at(10), 30)
        .await;
    assert_eq!(replay.headers()["idempotent-replayed"], "true");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_crash_after_the_intent_was_made_is_finished_by_the_completer_without_a_second_intent() {
    let app = app_with_short_lease().await;
    let client = app.user("client").await;
    let pro = app.pro(100).await;
    app.state.faults.arm(CrashPoint::AfterIntentCreated);
    let crashed = app
        .book(Some(&client), "crash-2", &pro.id, tomorrow_at(10), 30)
        .await;
    assert_eq!(crashed.status(), StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(
        app.count_bookings("payment_intent_id IS NULL").await,
        1,
        "phase 3 never ran"
    );

    assert_eq!(
        slotwise_booking::jobs::completer::complete_keys_once(&app.state)
            .await
            .expect("completer"),
        1
    );
    assert_eq!(
        slotwise_booking::jobs::completer::complete_keys_once(&app.state)
            .await
            .expect("completer"),
        0,
        "nothing left stuck"
    );
    let id = app
        .sql_i64("SELECT count(*) FROM bookings WHERE payment_intent_id IS NOT NULL")
        .await;
    assert_eq!(id, 1);
    let (status, booking) = app
        .booked(Some(&client), "crash-2", &pro.id, tomorrow_at(10), 30)
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let intents = app.intents_of(booking["id"].as_str().expect("id")).await;
    assert_eq!(
        intents.len(),
        1,
        "the completer found the intent instead of making another"
    );
    assert_eq!(intents[0]["id"], booking["payment"]["payment_intent_id"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_retry_while_the_first_request_holds_its_lease_is_409_in_use() {
    let app = spawn_app_with(|_| {}).await;
    let client = app.user("client").await;
    let pro = app.pro(100).await;
    app.state.faults.arm(CrashPoint::AfterBookingCreated);
    app.book(Some(&client), "held", &pro.id, tomorrow_at(10), 30)
        .await;
    let (status, problem) = app
        .booked(Some(&client), "held", &pro.id, tomorrow_at(10), 30)
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(problem["code"], "idempotency_key_in_use");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_crash_before_the_refund_is_made_is_finished_by_the_refund_job_once() {
    let app = app_with_short_lease().await;
    let client = app.user("client").await;
    let pro = app.pro(100).await;
    let (_, booking) = app
        .booked(Some(&client), "r", &pro.id, tomorrow_at(10), 30)
        .await;
    let id = booking["id"].as_str().expect("id");
    let intent = crate::helpers::intent_of(&booking).to_owned();
    app.pay(&intent, "pm_card_visa").await;
    app.wait_for(Some(&client), id, |b| b["status"] == "confirmed")
        .await;
    app.state.faults.arm(CrashPoint::BeforeRefund);
    let res = app.cancel(&client, id).await;
    let (_, cancelled) = status_and_json(res).await;
    assert_eq!(cancelled["status"], "cancelled");
    assert!(
        cancelled["refund"]["refund_id"].is_null(),
        "owed, not yet made: {cancelled}"
    );

    assert_eq!(
        slotwise_booking::payments::refunds::complete_refunds_once(&app.state)
            .await
            .expect("job"),
        1
    );
    assert_eq!(
        slotwise_booking::payments::refunds::complete_refunds_once(&app.state)
            .await
            .expect("job"),
        0
    );
    let refunded = app.get_booking(Some(&client), id).await;
    assert!(
        refunded["refund"]["refund_id"]
            .as_str()
            .is_some_and(|r| r.starts_with("re_"))
    );
    let refunds = app
        .stripe_get(&format!("refunds?payment_intent={intent}"))
        .await;
    assert_eq!(refunds["data"].as_array().map(Vec::len), Some(1));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_running_jobs_at_once_never_process_a_booking_twice() {
    let app = spawn_app_with(|_| {}).await;
    let client = app.user("client").await;
    let mut ids = Vec::new();
    for i in 0..4 {
        let pro = app.pro(100).await;
        for h in 0..5 {
            let (status, b) = app
                .booked(
                    Some(&client),
                    &format!("j{i}-{h}"),
                    &pro.id,
                    tomorrow_at(9 + h),
                    30,
                )
                .await;
            assert_eq!(status, StatusCode::CREATED);
            ids.push(b["id"].as_str().expect("id").to_owned());
        }
    }
    app.sql("UPDATE bookings SET expires_at = now() - interval '1 second'")
        .await;
    let other = slotwise_booking::AppState::new(app.state.config.clone()).expect("second instance");
    let rounds = join_all((0..6).map(|i| {
        let state = if i % 2 == 0 {
            app.state.clone()
        } else {
            other.clone()
        };
        async move {
            slotwise_booking::jobs::holds::expire_holds_once(&state)
                .await
                .expect("job")
        }
    }))
    .await;
    assert_eq!(rounds.iter().sum::<usize>(), 20);
    assert_eq!(app.count_bookings("status = 'expired'").await, 20);
    let doubled = app
        .sql_i64("SELECT count(*) FROM (SELECT booking_id FROM booking_transitions WHERE to_status = 'expired' GROUP BY booking_id HAVING count(*) > 1) d")
        .await;
    assert_eq!(doubled, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_payment_whose_webhook_never_came_is_settled_by_reconciliation() {
    let app =
        crate::helpers::spawn_unregistered_app(|c| c.reconcile_after = chrono::Duration::zero())
            .await;
    let client = app.user("client").await;
    let pro = app.pro(100).await;
    let (_, booking) = app
        .booked(Some(&client), "lost", &pro.id, tomorrow_at(10), 30)
        .await;
    let id = booking["id"].as_str().expect("id");
    let intent = crate::helpers::intent_of(&booking);
    assert_eq!(app.pay(intent, "pm_card_visa").await["status"], "succeeded");
    assert_eq!(
        app.get_booking(Some(&client), id).await["status"],
        "pending",
        "no webhook comes"
    );
    assert_eq!(
        slotwise_booking::jobs::reconcile::reconcile_once(&app.state)
            .await
            .expect("reconcile"),
        1
    );
    let confirmed = app.get_booking(Some(&client), id).await;
    assert_eq!(confirmed["status"], "confirmed");
    let source = app
        .sql_i64(&format!("SELECT count(*) FROM booking_transitions WHERE booking_id = '{id}' AND source = 'job:reconcile'"))
        .await;
    assert_eq!(source, 1);
    // What the WebhooksNotArriving alert reads.
    assert!(
        app.metrics()
            .await
            .contains("payments_confirmed_by_reconcile_total{kind=\"booking\"}")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn expired_keys_are_purged() {
    let app = spawn_app_with(|_| {}).await;
    let client = app.user("client").await;
    let pro = app.pro(0).await;
    for key in ["old", "new"] {
        let res = app
            .book(
                Some(&client),
                key,
                &pro.id,
                tomorrow_at(if key == "old" { 9 } else { 10 }),
                30,
            )
            .await;
        assert_eq!(res.status(), StatusCode::CREATED);
    }
    app.sql(
        "UPDATE idempotency_keys SET expires_at = now() - interval '1 second' WHERE key = 'old'",
    )
    .await;
    assert_eq!(
        slotwise_booking::jobs::purge_keys_once(&app.state)
            .await
            .expect("purge"),
        1
    );
    assert_eq!(
        app.sql_i64("SELECT count(*) FROM idempotency_keys").await,
        1
    );
    assert_eq!(
        app.count_bookings("true").await,
        2,
        "bookings outlive their keys"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_job_loop_stops_when_told_after_finishing_its_round() {
    let app = spawn_app_with(|c| c.jobs_interval = std::time::Duration::from_millis(100)).await;
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let jobs = slotwise_booking::jobs::spawn_jobs(&app.state, stopped);
    let client = app.user("client").await;
    let pro = app.pro(100).await;
    let (_, booking) = app
        .booked(Some(&client), "hold", &pro.id, tomorrow_at(10), 30)
        .await;
    app.sql("UPDATE bookings SET expires_at = now() - interval '1 second'")
        .await;
    let id = booking["id"].as_str().expect("id");
    app.wait_for(Some(&client), id, |b| b["status"] == "expired")
        .await;
    stop.send(true).expect("send");
    tokio::time::timeout(std::time::Duration::from_secs(10), jobs)
        .await
        .expect("the loop stops")
        .expect("the loop did not panic");
}
