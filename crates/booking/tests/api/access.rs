//! Who may hold what: keys scoped per caller, paid bookings for signed-in
//! clients only, and caps on unpaid holds.

use crate::helpers::{spawn_app_with, status_and_json, tomorrow_at};
use reqwest::StatusCode;
use serde_json::json;

/// `POST /bookings` from `ip` (the app trusts `X-Forwarded-For`), anonymous or with `token`.
async fn book_from(
    app: &crate::helpers::TestApp,
    ip: &str,
    token: Option<&str>,
    key: &str,
    pro: &str,
    hour: i64,
) -> (StatusCode, serde_json::Value, bool) {
    let mut req = app
        .http
        .post(app.url("/bookings"))
        .header("Idempotency-Key", key)
        .header("X-Forwarded-For", ip)
        .json(&json!({
            "professional_id": pro,
            "start_time": crate::helpers::rfc3339(tomorrow_at(hour)),
            "duration_minutes": 30,
        }));
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    let res = req.send().await.expect("book");
    let replayed = res.headers().contains_key("idempotent-replayed");
    let (status, body) = status_and_json(res).await;
    (status, body, replayed)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_anonymous_clients_with_the_same_key_never_see_each_others_answer() {
    let app = spawn_app_with(|c| c.trust_forwarded_for = true).await;
    let free = app.pro(0).await;
    let (status, first, _) = book_from(&app, "198.51.100.1", None, "same", &free.id, 10).await;
    assert_eq!(status, StatusCode::CREATED);
    // The same key and body from another client: its own request, not a replay.
    let (status, second, replayed) =
        book_from(&app, "198.51.100.2", None, "same", &free.id, 10).await;
    assert_eq!(status, StatusCode::CONFLICT, "{second}");
    assert_eq!(second["code"], "booking_conflict");
    assert!(!replayed);
    assert!(second.get("id").is_none());
    // The first client still gets its own answer back.
    let (status, again, replayed) =
        book_from(&app, "198.51.100.1", None, "same", &free.id, 10).await;
    assert_eq!(status, StatusCode::CREATED);
    assert!(replayed);
    assert_eq!(again["id"], first["id"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_paid_booking_needs_a_signed_in_client() {
    let app = spawn_app_with(|c| c.trust_forwarded_for = true).await;
    let paid = app.pro(100).await;
    let (status, problem, _) = book_from(&app, "198.51.100.1", None, "k", &paid.id, 10).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(problem["code"], "sign_in_required");
    assert_eq!(app.count_bookings("true").await, 0);
    assert_eq!(
        app.count_rows("idempotency_keys").await,
        0,
        "nothing stored: the key works once signed in"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unpaid_holds_are_capped_per_user_and_per_address() {
    let app = spawn_app_with(|c| {
        c.trust_forwarded_for = true;
        c.max_unpaid_holds_per_user = 2;
        c.max_unpaid_holds_per_ip = 3;
    })
    .await;
    let pro = app.pro(100).await;
    let alice = app.user("client").await;
    for hour in [9, 10] {
        let (status, _, _) = book_from(
            &app,
            "198.51.100.7",
            Some(&alice),
            &format!("a{hour}"),
            &pro.id,
            hour,
        )
        .await;
        assert_eq!(status, StatusCode::CREATED);
    }
    let (status, problem, _) =
        book_from(&app, "198.51.100.8", Some(&alice), "a11", &pro.id, 11).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(problem["code"], "too_many_unpaid_holds");

    // Bob shares Alice's address: one more hold fits there, then the address is full.
    let bob = app.user("client").await;
    let (status, _, _) = book_from(&app, "198.51.100.7", Some(&bob), "b12", &pro.id, 12).await;
    assert_eq!(status, StatusCode::CREATED);
    let (status, problem, _) =
        book_from(&app, "198.51.100.7", Some(&bob), "b13", &pro.id, 13).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(problem["code"], "too_many_unpaid_holds");
    assert!(
        problem["detail"]
            .as_str()
            .is_some_and(|d| d.contains("address"))
    );

    // A refusal is not stored on the key: once a hold ends (expired here), the
    // same key books.
    app.sql("UPDATE bookings SET expires_at = now() - interval '1 second' WHERE start_time = (SELECT min(start_time) FROM bookings)")
        .await;
    let (status, _, replayed) =
        book_from(&app, "198.51.100.8", Some(&alice), "a11", &pro.id, 11).await;
    assert_eq!(status, StatusCode::CREATED);
    assert!(!replayed);
}
