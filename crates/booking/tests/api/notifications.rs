//! Notifications by mail: the outbox written with each change, delivered
//! through the real SMTP sink at least once and seen once.

use crate::event_helpers::{ga_event, tier_id};
use crate::helpers::{spawn_app_with, status_and_json, tomorrow_at};
use crate::notify_helpers::{duplicates, mail, received};
use icalendar::{Calendar, Component};
use reqwest::StatusCode;
use serde_json::json;
use slotwise_booking::faults::CrashPoint;
use slotwise_booking::payments::Payable;
use slotwise_db::bookings::{Booking, BookingKey};
use slotwise_db::status::Status;

#[tokio::test(flavor = "multi_thread")]
async fn a_confirmed_booking_mails_its_client_once_with_a_calendar_invite() {
    let app = spawn_app_with(|_| {}).await;
    let client = app.user("client").await;
    let pro = app.pro(0).await;
    let start = tomorrow_at(10);
    let (status, booking) = app
        .booked(Some(&client), "free-1", &pro.id, start, 60)
        .await;
    assert_eq!(status, StatusCode::CREATED, "{booking}");

    let rows = app.outbox("booking.confirmed").await;
    assert_eq!(rows.len(), 1, "one outbox row, written with the booking");
    let (id, to) = &rows[0];
    assert!(mail(id).is_none(), "nothing is sent before the job runs");
    app.deliver().await;
    let got = received(id).expect("the confirmation reached the SMTP sink");
    assert_eq!(&got.to, to);
    assert!(
        got.subject.starts_with("Booking confirmed: Ama"),
        "{}",
        got.subject
    );
    assert!(
        got.text.contains(booking["id"].as_str().expect("id")),
        "{}",
        got.text
    );
    assert!(got.html.contains("<table"), "an HTML part");
    let calendar: Calendar = (got.ics.expect("an .ics invite"))
        .parse()
        .expect("the invite parses as iCalendar");
    assert_eq!(calendar.property_value("METHOD"), Some("REQUEST"));
    let event = calendar.events().next().expect("one VEVENT");
    let at = |t: chrono::DateTime<chrono::Utc>| t.format("%Y%m%dT%H%M%SZ").to_string();
    assert_eq!(event.property_value("DTSTART"), Some(at(start).as_str()));
    assert_eq!(
        event.property_value("DTEND"),
        Some(at(start + chrono::Duration::minutes(60)).as_str())
    );
    assert_eq!(event.get_summary(), Some("Plumber with Ama"));
    assert!(
        event.property_value("GEO").is_some(),
        "the professional's place"
    );

    // Delivered once: later rounds send nothing again.
    assert_eq!(app.deliver().await, 0);
    assert_eq!(duplicates(id), 0);
    let sent = app
        .sql_i64(&format!("SELECT count(*) FROM deliveries WHERE outbox_id = '{id}' AND status = 'sent' AND attempts = 1"))
        .await;
    assert_eq!(sent, 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_change_that_rolls_back_announces_nothing() {
    let app = spawn_app_with(|_| {}).await;
    let client = app.user("client").await;
    let pro = app.pro(100).await;
    let (status, booking) = app
        .booked(Some(&client), "paid-1", &pro.id, tomorrow_at(10), 30)
        .await;
    assert_eq!(status, StatusCode::CREATED, "{booking}");
    let key = BookingKey {
        professional_id: pro.id.parse().expect("uuid"),
        id: booking["id"].as_str().expect("id").parse().expect("uuid"),
    };
    // The cancellation is written, announced, and then the transaction fails.
    let mut conn = app.state.pool.get().await.expect("conn");
    let failed: Result<(), diesel::result::Error> =
        slotwise_db::read_committed!(conn, async |conn: &mut slotwise_db::AsyncPgConnection| {
            let moved = <Booking as Payable>::transition(
                conn,
                key,
                &[Status::Pending],
                Status::Cancelled,
                "test",
                "test",
            )
            .await?;
            assert!(moved.is_some());
            assert_eq!(
                count_outbox(conn).await,
                1,
                "announced inside the transaction"
            );
            Err(diesel::result::Error::RollbackTransaction)
        });
    assert!(failed.is_err());
    drop(conn);
    assert_eq!(
        app.count_rows("outbox WHERE topic NOT LIKE 'account.%'")
            .await,
        0,
        "the rollback took the announcement with it"
    );
    app.deliver().await;
    assert_eq!(
        app.count_rows(
            "deliveries WHERE outbox_id NOT IN (SELECT id FROM outbox WHERE topic LIKE 'account.%')"
        )
        .await,
        0,
        "so nobody is mailed"
    );
    assert_eq!(app.count_bookings("status = 'pending'").await, 1);
}

async fn count_outbox(conn: &mut slotwise_db::AsyncPgConnection) -> i64 {
    use diesel_async::RunQueryDsl;
    diesel::select(diesel::dsl::sql::<diesel::sql_types::BigInt>(
        "(SELECT count(*) FROM outbox WHERE topic NOT LIKE 'account.%')",
    ))
    .get_result(conn)
    .await
    .expect("count")
}

#[tokio::test(flavor = "multi_thread")]
async fn a_crash_right_after_commit_still_delivers_and_a_resend_is_seen_once() {
    // No lease: a delivery left unmarked by a crash is due again at once.
    let app = spawn_app_with(|c| c.notify.lease = std::time::Duration::ZERO).await;
    let organizer = app.user("client").await;
    let buyer = app.user("client").await;
    // Their sign-up mails are sent first, so the crash below meets the order's.
    app.deliver().await;
    let event = ga_event(&app, &organizer, 50, 0).await;
    let (status, order) = app
        .order(
            &buyer,
            "free-order",
            &event,
            json!({ "items": [{ "tier_id": tier_id(&event, 0), "quantity": 2 }] }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{order}");

    // The order confirmation: its mail is sent, then the sender dies before marking it.
    let (confirmed, _) = app.outbox("order.confirmed").await.remove(0);
    app.state.faults.arm(CrashPoint::AfterNotificationSent);
    assert!(
        slotwise_booking::notify::send::notify_until_idle(&app.state)
            .await
            .is_err(),
        "the sender died"
    );
    assert!(mail(&confirmed).is_some(), "it was sent before the crash");
    app.deliver().await;
    assert_eq!(
        duplicates(&confirmed),
        1,
        "sent again after the crash (at least once)..."
    );
    let text = received(&confirmed).expect("mail").text;
    for ticket in order["tickets"].as_array().expect("tickets") {
        let code = ticket["code"].as_str().expect("code");
        assert!(
            text.contains(&format!("General: {code}")),
            "one line per ticket with its code: {text}"
        );
    }
    let attempts = app
        .sql_i64(&format!("SELECT attempts::int8 FROM deliveries WHERE outbox_id = '{confirmed}' AND status = 'sent'"))
        .await;
    assert_eq!(
        attempts, 2,
        "...and kept once: the sink stored one message for its Message-ID"
    );

    // The process dies right after the event's cancellation commits.
    app.state.faults.arm(CrashPoint::AfterEventCancelled);
    let res = app
        .http
        .post(app.url(&format!(
            "/events/{}/cancel",
            event["id"].as_str().expect("id")
        )))
        .bearer_auth(&organizer)
        .send()
        .await
        .expect("cancel");
    let (status, _) = status_and_json(res).await;
    assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
    app.deliver().await;
    let (cancelled, to) = app.outbox("order.cancelled").await.remove(0);
    let got = received(&cancelled).expect("the buyer is told although the process died");
    assert_eq!(got.to, to);
    assert!(
        got.subject.starts_with("Order cancelled"),
        "{}",
        got.subject
    );
    let (organizer_news, _) = app.outbox("event.cancelled").await.remove(0);
    assert!(mail(&organizer_news).is_some(), "and so is the organizer");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_delivering_at_once_send_each_mail_once() {
    let app = spawn_app_with(|_| {}).await;
    let other =
        slotwise_booking::AppState::new(app.state.config.clone()).expect("a second instance");
    let client = app.user("client").await;
    let pro = app.pro(0).await;
    for i in 0..20 {
        let start = tomorrow_at(8) + chrono::Duration::minutes(30 * i);
        let (status, _) = app
            .booked(Some(&client), &format!("k{i}"), &pro.id, start, 30)
            .await;
        assert_eq!(status, StatusCode::CREATED);
    }
    let (a, b) = tokio::join!(
        slotwise_booking::notify::send::notify_until_idle(&app.state),
        slotwise_booking::notify::send::notify_until_idle(&other)
    );
    assert_eq!(
        a.expect("first") + b.expect("second"),
        22,
        "each delivery attempted by one of them (20 confirmations, 2 sign-up mails)"
    );
    for (id, _) in app.outbox("booking.confirmed").await {
        assert!(mail(&id).is_some(), "{id} mailed");
        assert_eq!(duplicates(&id), 0, "{id} mailed once");
    }
    assert_eq!(
        app.count_rows("deliveries WHERE status = 'sent' AND attempts = 1")
            .await,
        22
    );
}
