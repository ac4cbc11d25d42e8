//! Weekly schedules in the professional's time zone: the windows they open,
//! across daylight saving, beside one-off windows, changed with If-Match.

use crate::helpers::{TestApp, spawn_app, status_and_json, tomorrow_at};
use chrono::{DateTime, Utc};
use reqwest::StatusCode;
use serde_json::{Value, json};

fn weekdays(start: &str, end: &str) -> Value {
    json!(
        ["mon", "tue", "wed", "thu", "fri"]
            .iter()
            .map(|d| json!({ "day": d, "start": start, "end": end }))
            .collect::<Vec<_>>()
    )
}

async fn put_schedule(
    app: &TestApp,
    token: &str,
    pro: &str,
    if_match: Option<&str>,
    body: Value,
) -> (StatusCode, Value) {
    let mut req = app
        .http
        .put(app.url(&format!("/professionals/{pro}/schedule")))
        .bearer_auth(token)
        .json(&body);
    if let Some(v) = if_match {
        req = req.header("If-Match", v);
    }
    status_and_json(req.send().await.expect("put schedule")).await
}

/// The windows of `pro` that overlap `[from, to)`, as (start, end).
async fn windows(
    app: &TestApp,
    pro: &str,
    from: &str,
    to: &str,
) -> Vec<(DateTime<Utc>, DateTime<Utc>)> {
    let res = app
        .http
        .get(app.url(&format!(
            "/professionals/{pro}/availability?from={from}&to={to}"
        )))
        .send()
        .await
        .expect("windows");
    let (status, body) = status_and_json(res).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|w| {
            (
                at(w["start_time"].as_str().expect("start")),
                at(w["end_time"].as_str().expect("end")),
            )
        })
        .collect()
}

fn at(s: &str) -> DateTime<Utc> {
    s.parse().expect("time")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn berlin_nine_to_five_opens_at_eight_zulu_in_winter_and_seven_in_summer_and_is_bookable_there()
 {
    let app = spawn_app().await;
    let pro = app.pro(10).await;
    let client = app.user("client").await;
    let (status, schedule) = put_schedule(
        &app,
        &pro.token,
        &pro.id,
        None,
        json!({ "timezone": "Europe/Berlin", "weekly": weekdays("09:00", "17:00"),
                "exceptions": [{ "date": "2027-01-12", "closed": true }],
                "max_advance_days": 366 }),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{schedule}");
    assert_eq!(schedule["version"], 1);

    let winter = windows(
        &app,
        &pro.id,
        "2027-01-11T00:00:00Z",
        "2027-01-14T00:00:00Z",
    )
    .await;
    assert_eq!(
        winter,
        [
            (at("2027-01-11T08:00:00Z"), at("2027-01-11T16:00:00Z")),
            (at("2027-01-13T08:00:00Z"), at("2027-01-13T16:00:00Z")),
        ],
        "Monday and Wednesday; Tuesday the 12th is closed"
    );
    let summer = windows(
        &app,
        &pro.id,
        "2027-07-12T00:00:00Z",
        "2027-07-13T00:00:00Z",
    )
    .await;
    assert_eq!(
        summer,
        [(at("2027-07-12T07:00:00Z"), at("2027-07-12T15:00:00Z"))]
    );

    let (status, booking) = app
        .booked(
            Some(&client),
            "summer",
            &pro.id,
            at("2027-07-12T07:00:00Z"),
            60,
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{booking}");
    let (status, refused) = app
        .booked(
            Some(&client),
            "early",
            &pro.id,
            at("2027-07-12T06:30:00Z"),
            30,
        )
        .await;
    assert_eq!(
        (status, refused["code"].as_str()),
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            Some("outside_availability")
        )
    );
    let (status, refused) = app
        .booked(
            Some(&client),
            "closed",
            &pro.id,
            at("2027-01-12T09:00:00Z"),
            30,
        )
        .await;
    assert_eq!(
        status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "closed on the exception date: {refused}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_schedule_changes_with_if_match_keeps_one_off_windows_and_booked_hours() {
    let app = spawn_app().await;
    let pro = app.pro(10).await; // with a one-off window tomorrow from 08:00Z
    let client = app.user("client").await;
    let body = json!({ "timezone": "Africa/Accra", "weekly": [
        { "day": "sat", "start": "09:00", "end": "12:00" },
        { "day": "sun", "start": "09:00", "end": "12:00" },
    ], "max_advance_days": 30 });
    let (status, first) = put_schedule(&app, &pro.token, &pro.id, None, body.clone()).await;
    assert_eq!(status, StatusCode::OK, "{first}");
    let res = app
        .http
        .get(app.url(&format!("/professionals/{}/schedule", pro.slug)))
        .send()
        .await
        .expect("get");
    assert_eq!(res.headers()["etag"], "\"1\"");
    let (_, read) = status_and_json(res).await;
    assert_eq!(read["timezone"], "Africa/Accra");
    assert_eq!(
        read["weekly"][0],
        json!({ "day": "sat", "start": "09:00", "end": "12:00" })
    );

    // The one-off window still takes bookings.
    let (status, _) = app
        .booked(Some(&client), "one-off", &pro.id, tomorrow_at(9), 30)
        .await;
    assert_eq!(status, StatusCode::CREATED);

    // Book a weekend hour, then move the weekend hours: the booked window stays.
    let z = |t: DateTime<Utc>| t.format("%Y-%m-%dT%H:%M:%SZ").to_string();
    let weekend = windows(
        &app,
        &pro.id,
        &z(Utc::now()),
        &z(Utc::now() + chrono::Duration::days(8)),
    )
    .await
    .into_iter()
    .find(|(s, e)| *s > Utc::now() && *e - *s == chrono::Duration::hours(3))
    .expect("a weekend window");
    let (status, booked) = app
        .booked(Some(&client), "weekend", &pro.id, weekend.0, 60)
        .await;
    assert_eq!(status, StatusCode::CREATED, "{booked}");

    let moved = json!({ "timezone": "Africa/Accra", "weekly": [
        { "day": "sat", "start": "14:00", "end": "18:00" },
        { "day": "sun", "start": "14:00", "end": "18:00" },
    ], "max_advance_days": 30 });
    let (status, p) = put_schedule(&app, &pro.token, &pro.id, None, moved.clone()).await;
    assert_eq!(
        (status, p["code"].as_str()),
        (StatusCode::PRECONDITION_REQUIRED, Some("if_match_required"))
    );
    let (status, p) = put_schedule(&app, &pro.token, &pro.id, Some("\"7\""), moved.clone()).await;
    assert_eq!(
        (status, p["code"].as_str()),
        (StatusCode::PRECONDITION_FAILED, Some("version_mismatch"))
    );
    let (status, second) = put_schedule(&app, &pro.token, &pro.id, Some("\"1\""), moved).await;
    assert_eq!(
        (status, second["version"].as_i64()),
        (StatusCode::OK, Some(2)),
        "{second}"
    );

    let day = weekend.0.date_naive().to_string();
    let that_day = windows(
        &app,
        &pro.id,
        &format!("{day}T00:00:00Z"),
        &format!("{day}T23:59:59Z"),
    )
    .await;
    assert_eq!(
        that_day,
        [
            weekend,
            (
                at(&format!("{day}T14:00:00Z")),
                at(&format!("{day}T18:00:00Z"))
            )
        ],
        "the booked morning stays beside the new afternoon"
    );
    let (status, _) = app
        .booked(Some(&client), "one-off-2", &pro.id, tomorrow_at(10), 30)
        .await;
    assert_eq!(status, StatusCode::CREATED, "one-off windows still work");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bad_schedule_is_refused_field_by_field_and_only_the_owner_may_set_one() {
    let app = spawn_app().await;
    let pro = app.pro(10).await;
    let (status, problem) = put_schedule(
        &app,
        &pro.token,
        &pro.id,
        None,
        json!({ "timezone": "Mars/Olympus", "weekly": [
            { "day": "mon", "start": "09:00", "end": "13:00" },
            { "day": "mon", "start": "12:00", "end": "17:00" },
            { "day": "funday", "start": "09:00", "end": "10:00" },
            { "day": "tue", "start": "17:00", "end": "09:00" },
        ], "exceptions": [{ "date": "2027-01-01" }], "buffer_minutes": 999 }),
    )
    .await;
    assert_eq!(
        (status, problem["code"].as_str()),
        (StatusCode::BAD_REQUEST, Some("validation_failed"))
    );
    let fields: Vec<&str> = problem["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .map(|e| e["field"].as_str().expect("field"))
        .collect();
    for field in [
        "timezone",
        "weekly",
        "weekly[2].day",
        "weekly[3]",
        "exceptions[0]",
        "buffer_minutes",
    ] {
        assert!(fields.contains(&field), "{field} in {problem}");
    }
    let stranger = app.user("professional").await;
    let (status, _) = put_schedule(
        &app,
        &stranger,
        &pro.id,
        None,
        json!({ "timezone": "UTC", "weekly": weekdays("09:00", "17:00") }),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let res = app
        .http
        .get(app.url(&format!("/professionals/{}/schedule", pro.id)))
        .send()
        .await
        .expect("get");
    // No schedule is an empty week, version 0, which If-Match "0" replaces.
    let etag = res.headers().get("etag").cloned();
    let (status, empty) = status_and_json(res).await;
    assert_eq!(status, StatusCode::OK, "{empty}");
    assert_eq!(
        (
            empty["version"].as_i64(),
            empty["weekly"].as_array().map(Vec::len)
        ),
        (Some(0), Some(0))
    );
    assert_eq!(etag.as_ref().and_then(|v| v.to_str().ok()), Some("\"0\""));
    let (status, first) = put_schedule(
        &app,
        &pro.token,
        &pro.id,
        Some("\"0\""),
        json!({ "timezone": "UTC", "weekly": weekdays("09:00", "17:00") }),
    )
    .await;
    assert_eq!(
        (status, first["version"].as_i64()),
        (StatusCode::OK, Some(1)),
        "{first}"
    );
    let (status, _) = put_schedule(
        &app,
        &pro.token,
        &pro.id,
        Some("\"0\""),
        json!({ "timezone": "UTC", "weekly": weekdays("10:00", "17:00") }),
    )
    .await;
    assert_eq!(status, StatusCode::PRECONDITION_FAILED);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_job_opens_the_days_that_come_within_reach() {
    let app = spawn_app().await;
    let pro = app.pro(10).await;
    let every_day: Vec<Value> = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
        .iter()
        .map(|d| json!({ "day": d, "start": "19:00", "end": "21:00" }))
        .collect();
    let (status, first) = put_schedule(
        &app,
        &pro.token,
        &pro.id,
        None,
        json!({ "timezone": "Africa/Accra", "weekly": every_day, "max_advance_days": 5 }),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{first}");
    let scheduled = format!("professional_id = '{}' AND from_schedule", pro.id);
    let count_query = format!("SELECT count(*) FROM availability_windows WHERE {scheduled}");
    assert_eq!(
        app.sql_i64(&count_query).await,
        6,
        "today and the 5 days ahead"
    );

    // Three days later, as the job sees it: the last three days are not open yet.
    // Dates written out: Citus takes no current_date (nor its cast to a
    // timestamp) in an UPDATE or DELETE beside a column.
    let today: String = app.sql_text("SELECT current_date::text").await;
    let in_three: String = app
        .sql_text("SELECT (current_date + 3)::timestamptz::text")
        .await;
    app.sql(&format!(
        "DELETE FROM availability_windows WHERE {scheduled} AND start_time >= '{in_three}'"
    ))
    .await;
    app.sql(&format!(
        "UPDATE professional_schedules SET materialized_until = materialized_until - 3, extend_on = '{today}' \
         WHERE professional_id = '{}'",
        pro.id
    ))
    .await;
    assert_eq!(app.sql_i64(&count_query).await, 3);
    slotwise_booking::jobs::run_jobs_once(&app.state).await;
    assert_eq!(
        app.sql_i64(&count_query).await,
        6,
        "the job opened them again"
    );
    let res = app
        .http
        .get(app.url(&format!("/professionals/{}/schedule", pro.id)))
        .send()
        .await
        .expect("get");
    let (_, now) = status_and_json(res).await;
    assert_eq!(now["open_until"], first["open_until"]);
    assert_eq!(now["version"], 1, "the job is not a change of the schedule");
}

/// A pro open every day all day in Accra (UTC) with `rules` merged in.
async fn all_day_pro(app: &TestApp, rules: Value) -> crate::helpers::Pro {
    let pro = app.pro(0).await;
    let weekly: Vec<Value> = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
        .iter()
        .map(|d| json!({ "day": d, "start": "00:00", "end": "24:00" }))
        .collect();
    let mut body = json!({ "timezone": "Africa/Accra", "weekly": weekly, "max_advance_days": 10 });
    for (k, v) in rules.as_object().expect("rules") {
        body[k] = v.clone();
    }
    let (status, schedule) = put_schedule(app, &pro.token, &pro.id, None, body).await;
    assert_eq!(status, StatusCode::OK, "{schedule}");
    pro
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fifteen_minute_buffer_keeps_bookings_apart_even_when_they_race() {
    let app = spawn_app().await;
    let pro = all_day_pro(&app, json!({ "buffer_minutes": 15 })).await;
    let client = app.user("client").await;
    let day = tomorrow_at(0);
    let at_min = |m: i64| day + chrono::Duration::minutes(m);

    // 10:00-10:30 booked: 10:35 is too close after it, 10:45 is fine; 09:20-09:50 too close before.
    let (status, _) = app
        .booked(Some(&client), "a", &pro.id, at_min(600), 30)
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let (status, refused) = app
        .booked(Some(&client), "b", &pro.id, at_min(635), 30)
        .await;
    assert_eq!(
        (status, refused["code"].as_str()),
        (StatusCode::CONFLICT, Some("booking_conflict"))
    );
    let (status, refused) = app
        .booked(Some(&client), "c", &pro.id, at_min(560), 30)
        .await;
    assert_eq!(
        (status, refused["code"].as_str()),
        (StatusCode::CONFLICT, Some("booking_conflict"))
    );
    let (status, _) = app
        .booked(Some(&client), "d", &pro.id, at_min(645), 30)
        .await;
    assert_eq!(status, StatusCode::CREATED, "exactly the buffer apart");

    // Twelve racers 5 minutes apart from 14:00, 30 minutes each.
    let racers: Vec<_> = (0..12)
        .map(|i| {
            let (app, client, pro) = (&app, client.clone(), pro.id.clone());
            async move {
                let start = at_min(840 + 5 * i);
                let (status, _) = app
                    .booked(Some(&client), &format!("race-{i}"), &pro, start, 30)
                    .await;
                (start, status)
            }
        })
        .collect();
    let mut won: Vec<DateTime<Utc>> = futures::future::join_all(racers)
        .await
        .into_iter()
        .filter_map(|(start, status)| {
            assert!(
                matches!(status, StatusCode::CREATED | StatusCode::CONFLICT),
                "{status}"
            );
            (status == StatusCode::CREATED).then_some(start)
        })
        .collect();
    won.sort();
    assert!(!won.is_empty());
    for pair in won.windows(2) {
        let gap = pair[1] - (pair[0] + chrono::Duration::minutes(30));
        assert!(
            gap >= chrono::Duration::minutes(15),
            "{pair:?} are {gap} apart"
        );
    }
    let too_close = app
        .sql_i64(&format!(
            "SELECT count(*) FROM bookings a JOIN bookings b ON a.professional_id = b.professional_id AND a.id < b.id \
             WHERE a.professional_id = '{}' AND a.status IN ('pending', 'confirmed') AND b.status IN ('pending', 'confirmed') \
             AND tstzrange(a.start_time, a.end_time + interval '15 minutes') && tstzrange(b.start_time, b.end_time + interval '15 minutes')",
            pro.id
        ))
        .await;
    assert_eq!(too_close, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_booking_inside_the_minimum_notice_is_refused() {
    let app = spawn_app().await;
    let pro = all_day_pro(&app, json!({ "min_notice_minutes": 120 })).await;
    let client = app.user("client").await;
    let soon = Utc::now() + chrono::Duration::minutes(60);
    let soon = soon - chrono::Duration::seconds(soon.timestamp() % 300);
    let (status, refused) = app.booked(Some(&client), "soon", &pro.id, soon, 30).await;
    assert_eq!(
        (status, refused["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("too_short_notice")),
        "{refused}"
    );
    let (status, _) = app
        .booked(Some(&client), "later", &pro.id, tomorrow_at(12), 30)
        .await;
    assert_eq!(status, StatusCode::CREATED);
}
