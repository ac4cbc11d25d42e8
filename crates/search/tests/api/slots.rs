use crate::helpers::{day_after_tomorrow_at, spawn_app};
use chrono::Duration;
use reqwest::StatusCode;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slots_are_availability_minus_active_bookings() {
    let app = spawn_app().await;
    let start = day_after_tomorrow_at(10);
    let pro = app.pro("ama", "Tutor", 10, 0.0, None).await;
    app.window(pro, start, 2).await;
    app.booking(pro, start + Duration::minutes(30), 30, "confirmed")
        .await;
    app.booking(pro, start + Duration::minutes(60), 30, "expired")
        .await;
    let query = [
        ("from", start.to_rfc3339()),
        ("to", (start + Duration::hours(4)).to_rfc3339()),
        ("duration_minutes", "30".to_owned()),
    ];
    let (status, body) = app.get("/professionals/ama/slots", &query).await;
    assert_eq!(status, StatusCode::OK);
    let starts: Vec<chrono::DateTime<chrono::Utc>> = body["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|s| {
            s["start_time"]
                .as_str()
                .expect("start")
                .parse()
                .expect("time")
        })
        .collect();
    let minutes: Vec<i64> = starts.iter().map(|s| (*s - start).num_minutes()).collect();
    assert_eq!(minutes, vec![0, 60, 75, 90]);
    let first_end: chrono::DateTime<chrono::Utc> = body["items"][0]["end_time"]
        .as_str()
        .expect("end")
        .parse()
        .expect("time");
    assert_eq!(first_end, start + Duration::minutes(30));

    let (status, problem) = app
        .get(
            "/professionals/ama/slots",
            &[("from", start.to_rfc3339()), ("to", start.to_rfc3339())],
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(problem["errors"][0]["field"], "to");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slots_leave_the_professionals_buffer_free_around_bookings() {
    use diesel_async::SimpleAsyncConnection;
    let app = spawn_app().await;
    let start = day_after_tomorrow_at(10);
    let pro = app.pro("kofi", "Tutor", 10, 0.0, None).await;
    app.window(pro, start, 2).await;
    app.booking(pro, start + Duration::minutes(45), 30, "confirmed")
        .await;
    // A 15-minute buffer, and the booking's blocked period as the booking service
    // stores it (computed here: Citus takes no `timestamptz + interval` in an UPDATE).
    let blocked_until = (start + Duration::minutes(45 + 30 + 15)).to_rfc3339();
    let mut conn = app.state.pool.get().await.expect("conn");
    conn.batch_execute(&format!(
        "INSERT INTO professional_schedules (professional_id, timezone, weekly, buffer_minutes, materialized_until, extend_on) \
         VALUES ('{pro}', 'UTC', '[]', 15, current_date, current_date + 365); \
         UPDATE bookings SET blocked_until = '{blocked_until}' WHERE professional_id = '{pro}'"
    ))
    .await
    .expect("buffer");
    let query = [
        ("from", start.to_rfc3339()),
        ("to", (start + Duration::hours(2)).to_rfc3339()),
        ("duration_minutes", "30".to_owned()),
    ];
    let (status, body) = app.get("/professionals/kofi/slots", &query).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let minutes: Vec<i64> = body["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|s| {
            let t: chrono::DateTime<chrono::Utc> = s["start_time"]
                .as_str()
                .expect("start")
                .parse()
                .expect("time");
            (t - start).num_minutes()
        })
        .collect();
    // Booked 10:45-11:15: a slot must end 15 minutes before it, or start 15 after.
    assert_eq!(minutes, vec![0, 90]);
}
