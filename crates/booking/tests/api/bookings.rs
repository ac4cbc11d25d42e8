//! Booking creation, reading, listing and cancelling through the API.
//! (Past 300 lines: one test per rule of the booking contract, each self-contained.)

use crate::helpers::{rfc3339, spawn_app, status_and_json, tomorrow_at};
use chrono::{DateTime, Duration, Utc};
use reqwest::StatusCode;
use serde_json::{Value, json};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn free_bookings_confirm_at_once_and_paid_ones_hold_the_slot_pending() {
    let app = spawn_app().await;
    let client = app.user("client").await;
    let free = app.pro(0).await;
    let (status, booking) = app
        .booked(Some(&client), "a", &free.slug, tomorrow_at(9), 30)
        .await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(booking["status"], "confirmed");
    assert_eq!(booking["price_cents"], 0);
    assert!(booking.get("expires_at").is_none());

    let paid = app.pro(100).await;
    let before = Utc::now();
    let (status, booking) = app
        .booked(Some(&client), "b", &paid.id, tomorrow_at(9), 45)
        .await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(booking["status"], "pending");
    assert_eq!(booking["price_cents"], 4500);
    assert_eq!(booking["currency"], "usd");
    assert_eq!(booking["professional_slug"], paid.slug.as_str());
    assert_eq!(booking["duration_minutes"], 45);
    let expires: DateTime<Utc> = booking["expires_at"]
        .as_str()
        .expect("expires_at")
        .parse()
        .expect("time");
    assert!(
        expires > before + Duration::minutes(14) && expires < Utc::now() + Duration::minutes(16)
    );
    let end: DateTime<Utc> = booking["end_time"]
        .as_str()
        .expect("end")
        .parse()
        .expect("time");
    assert_eq!(end, tomorrow_at(9) + Duration::minutes(45));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn overlap_is_409_back_to_back_is_fine_and_availability_is_enforced() {
    let app = spawn_app().await;
    let client = app.user("client").await;
    let pro = app.pro(10).await;
    let (status, _) = app
        .booked(Some(&client), "1", &pro.id, tomorrow_at(10), 60)
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let (status, problem) = app
        .booked(
            Some(&client),
            "2",
            &pro.id,
            tomorrow_at(10) + Duration::minutes(30),
            60,
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(problem["code"], "booking_conflict");
    assert_eq!(problem["type"], "/problems/booking-conflict");
    let (status, _) = app
        .booked(Some(&client), "3", &pro.id, tomorrow_at(11), 60)
        .await;
    assert_eq!(
        status,
        StatusCode::CREATED,
        "a slot starting when another ends is free"
    );
    let (status, _) = app
        .booked(Some(&client), "4", &pro.id, tomorrow_at(9), 60)
        .await;
    assert_eq!(
        status,
        StatusCode::CREATED,
        "a slot ending when another starts is free"
    );

    let (status, problem) = app
        .booked(
            Some(&client),
            "5",
            &pro.id,
            tomorrow_at(17) + Duration::minutes(30),
            60,
        )
        .await;
    assert_eq!(
        status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "runs past the window's end"
    );
    assert_eq!(problem["code"], "outside_availability");
    let (status, _) = app
        .booked(Some(&client), "6", &pro.id, tomorrow_at(7), 30)
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(app.count_bookings("true").await, 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_input_is_400_or_404_never_5xx() {
    let app = spawn_app().await;
    let client = app.user("client").await;
    let pro = app.pro(10).await;

    let (status, problem) = app
        .booked(
            Some(&client),
            "past",
            &pro.id,
            Utc::now() - Duration::hours(1),
            30,
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(problem["code"], "validation_failed");
    assert_eq!(problem["errors"][0]["field"], "start_time");

    for minutes in [0, 4, 481, -30] {
        let (status, problem) = app
            .booked(
                Some(&client),
                &format!("d{minutes}"),
                &pro.id,
                tomorrow_at(10),
                minutes,
            )
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{minutes} minutes");
        assert_eq!(problem["errors"][0]["field"], "duration_minutes");
    }
    let (status, problem) = app
        .booked(Some(&client), "nobody", "no-such-pro", tomorrow_at(10), 30)
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(problem["code"], "not_found");

    let raw = |body: &'static str| {
        app.http
            .post(app.url("/bookings"))
            .bearer_auth(&client)
            .header("Idempotency-Key", "raw")
            .header("content-type", "application/json")
            .body(body)
            .send()
    };
    for body in [
        "{",
        "[]",
        r#"{"professional_id": "x", "start_time": "tomorrow", "duration_minutes": 30}"#,
        r#"{"professional_id": "x", "start_time": "2030-01-01T10:00:00Z"}"#,
        r#"{"professional_id": "x", "start_time": "2030-01-01T10:00:00Z", "duration_minutes": "thirty"}"#,
        r#"{"professional_id": "x", "start_time": "2030-01-01T10:00:00Z", "duration_minutes": 1e40}"#,
        r#"{"professional_id": "a\u0000b", "start_time": "2030-01-01T10:00:00Z", "duration_minutes": 30}"#,
    ] {
        let (status, _) = status_and_json(raw(body).await.expect("send")).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    }
    let res = app
        .http
        .post(app.url("/bookings"))
        .json(&json!({ "professional_id": pro.id, "start_time": rfc3339(tomorrow_at(10)), "duration_minutes": 30 }))
        .send()
        .await
        .expect("send");
    let (status, problem) = status_and_json(res).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(problem["code"], "idempotency_key_missing");
    assert_eq!(app.count_bookings("true").await, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_users_booking_is_404_to_read_and_to_cancel() {
    let app = spawn_app().await;
    let alice = app.user("client").await;
    let bob = app.user("client").await;
    let pro = app.pro(10).await;
    let (_, booking) = app
        .booked(Some(&alice), "k", &pro.id, tomorrow_at(10), 30)
        .await;
    let id = booking["id"].as_str().expect("id");

    let res = app
        .http
        .get(app.url(&format!("/bookings/{id}")))
        .bearer_auth(&bob)
        .send()
        .await
        .expect("get");
    let (status, problem) = status_and_json(res).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(problem["code"], "not_found");
    let res = app
        .http
        .get(app.url(&format!("/bookings/{id}")))
        .send()
        .await
        .expect("get");
    assert_eq!(
        res.status(),
        StatusCode::NOT_FOUND,
        "anonymous callers cannot read a user's booking"
    );
    let res = app.cancel(&bob, id).await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    assert_eq!(app.count_bookings("status = 'pending'").await, 1);

    let res = app
        .http
        .get(app.url("/bookings"))
        .bearer_auth(&bob)
        .send()
        .await
        .expect("list");
    let (_, page) = status_and_json(res).await;
    assert_eq!(page["items"], json!([]));
    let res = app
        .http
        .get(app.url(&format!("/bookings/{id}")))
        .bearer_auth(&alice)
        .send()
        .await
        .expect("get");
    let (status, mine) = status_and_json(res).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(mine, booking);
    let res = app
        .http
        .get(app.url("/bookings"))
        .bearer_auth(&pro.token)
        .send()
        .await
        .expect("list");
    let (_, theirs) = status_and_json(res).await;
    assert_eq!(
        theirs["items"][0]["id"], booking["id"],
        "the professional sees bookings of their profile"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancelling_frees_the_slot_and_is_repeatable() {
    let app = spawn_app().await;
    let client = app.user("client").await;
    let pro = app.pro(0).await;
    let (_, booking) = app
        .booked(Some(&client), "k1", &pro.id, tomorrow_at(10), 30)
        .await;
    let id = booking["id"].as_str().expect("id");
    for _ in 0..2 {
        let res = app.cancel(&client, id).await;
        let (status, cancelled) = status_and_json(res).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(cancelled["status"], "cancelled");
        assert!(cancelled["cancelled_at"].is_string());
    }
    let (status, again) = app
        .booked(Some(&client), "k2", &pro.id, tomorrow_at(10), 30)
        .await;
    assert_eq!(status, StatusCode::CREATED);
    assert_ne!(again["id"], booking["id"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn listing_pages_newest_first_without_gaps_or_duplicates() {
    let app = spawn_app().await;
    let client = app.user("client").await;
    let pro = app.pro(0).await;
    let mut made = Vec::new();
    for i in 0..7 {
        let (status, b) = app
            .booked(
                Some(&client),
                &format!("k{i}"),
                &pro.id,
                tomorrow_at(8) + Duration::minutes(30 * i),
                30,
            )
            .await;
        assert_eq!(status, StatusCode::CREATED);
        made.push(b["id"].clone());
    }
    made.reverse();
    let mut seen: Vec<Value> = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let mut req = app
            .http
            .get(app.url("/bookings"))
            .bearer_auth(&client)
            .query(&[("limit", "3")]);
        if let Some(c) = &cursor {
            req = req.query(&[("cursor", c)]);
        }
        let (status, page) = status_and_json(req.send().await.expect("list")).await;
        assert_eq!(status, StatusCode::OK);
        seen.extend(
            page["items"]
                .as_array()
                .expect("items")
                .iter()
                .map(|b| b["id"].clone()),
        );
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => break,
        }
    }
    assert_eq!(seen, made);
    let res = app
        .http
        .get(app.url("/bookings"))
        .bearer_auth(&client)
        .query(&[("limit", "101")])
        .send()
        .await
        .expect("list");
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    let res = app
        .http
        .get(app.url("/bookings"))
        .bearer_auth(&client)
        .query(&[("cursor", "garbage")])
        .send()
        .await
        .expect("list");
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_seeds_anonymous_curl_books_a_free_slot_by_slug_and_reads_back_by_id() {
    let app = spawn_app().await;
    let pro = app.pro(0).await;
    let (status, booking) = app
        .booked(None, "unique-key-123", &pro.slug, tomorrow_at(10), 60)
        .await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(booking["price_cents"], 0);
    assert_eq!(booking["status"], "confirmed");
    let id = booking["id"].as_str().expect("id");
    let res = app
        .http
        .get(app.url(&format!("/bookings/{id}")))
        .send()
        .await
        .expect("get");
    let (status, read) = status_and_json(res).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(read, booking);
}

/// The booking's statements are prepared once per connection and reused: an
/// INSERT whose text changed with its `None`s was parsed and planned on every
/// booking (issue 15's profile). One pooled connection, three bookings, one
/// prepared statement for each insert.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_booking_reuses_its_prepared_inserts() {
    let app = crate::helpers::spawn_app_with(|c| c.pool_size = 1).await;
    let pro = app.pro(0).await;
    for i in 0..3 {
        let start = pro.window_start + Duration::hours(i);
        let (status, body) = app
            .booked(None, &format!("prep-{i}"), &pro.slug, start, 30)
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
    }
    for table in ["bookings", "idempotency_keys"] {
        let prepared = app
            .sql_i64(&format!(
                "SELECT count(*) FROM pg_prepared_statements WHERE statement LIKE 'INSERT INTO \"{table}\"%'"
            ))
            .await;
        assert_eq!(prepared, 1, "INSERT INTO {table} prepared {prepared} times");
    }
}
