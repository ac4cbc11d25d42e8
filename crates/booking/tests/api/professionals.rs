use crate::helpers::{rfc3339, spawn_app, status_and_json, tomorrow_at};
use chrono::Duration;
use reqwest::StatusCode;
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_professional_accounts_create_profiles_and_slugs_are_unique() {
    let app = spawn_app().await;
    let client = app.user("client").await;
    let body = json!({
        "slug": "ama", "name": "Ama", "category": "Tutor", "rate_per_minute": 50,
        "location": { "lat": 5.6, "long": -0.18 }
    });
    let res = app
        .http
        .post(app.url("/professionals"))
        .bearer_auth(&client)
        .json(&body)
        .send()
        .await
        .expect("post");
    let (status, problem) = status_and_json(res).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(problem["code"], "forbidden");

    let pro = app.user("professional").await;
    let res = app
        .http
        .post(app.url("/professionals"))
        .bearer_auth(&pro)
        .json(&body)
        .send()
        .await
        .expect("post");
    assert_eq!(res.status(), StatusCode::CREATED);
    assert_eq!(res.headers()["etag"], "\"1\"");
    let res = app
        .http
        .post(app.url("/professionals"))
        .bearer_auth(&pro)
        .json(&body)
        .send()
        .await
        .expect("post");
    let (status, problem) = status_and_json(res).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(problem["code"], "slug_taken");

    let bad = json!({
        "slug": "Bad Slug", "name": "Ama", "category": "Tutor", "rate_per_minute": -1,
        "location": { "lat": 95.0, "long": -0.18 }
    });
    let res = app
        .http
        .post(app.url("/professionals"))
        .bearer_auth(&pro)
        .json(&bad)
        .send()
        .await
        .expect("post");
    let (status, problem) = status_and_json(res).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(problem["errors"].as_array().map(Vec::len), Some(3));

    let by_slug = app
        .http
        .get(app.url("/professionals/ama"))
        .send()
        .await
        .expect("get");
    let (status, view) = status_and_json(by_slug).await;
    assert_eq!(status, StatusCode::OK);
    let by_id = app
        .http
        .get(app.url(&format!(
            "/professionals/{}",
            view["id"].as_str().expect("id")
        )))
        .send()
        .await
        .expect("get");
    let (_, same) = status_and_json(by_id).await;
    assert_eq!(view, same);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn patch_needs_the_current_version_and_the_owner() {
    let app = spawn_app().await;
    let pro = app.pro(100).await;
    let url = app.url(&format!("/professionals/{}", pro.slug));
    let patch = json!({ "rate_per_minute": 120 });

    let res = app
        .http
        .patch(&url)
        .bearer_auth(&pro.token)
        .json(&patch)
        .send()
        .await
        .expect("patch");
    let (status, problem) = status_and_json(res).await;
    assert_eq!(status, StatusCode::PRECONDITION_REQUIRED);
    assert_eq!(problem["code"], "if_match_required");

    let res = app
        .http
        .patch(&url)
        .bearer_auth(&pro.token)
        .header("If-Match", "\"1\"")
        .json(&patch)
        .send()
        .await
        .expect("patch");
    let (status, view) = status_and_json(res).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(view["version"], 2);
    assert_eq!(view["rate_per_minute"], 120);

    let res = app
        .http
        .patch(&url)
        .bearer_auth(&pro.token)
        .header("If-Match", "1")
        .json(&patch)
        .send()
        .await
        .expect("patch");
    let (status, problem) = status_and_json(res).await;
    assert_eq!(status, StatusCode::PRECONDITION_FAILED);
    assert_eq!(problem["code"], "version_mismatch");

    let stranger = app.user("professional").await;
    let res = app
        .http
        .patch(&url)
        .bearer_auth(&stranger)
        .header("If-Match", "2")
        .json(&patch)
        .send()
        .await
        .expect("patch");
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rate_change_never_changes_the_price_of_an_existing_booking() {
    let app = spawn_app().await;
    let pro = app.pro(100).await;
    let client = app.user("client").await;
    let res = app
        .book(Some(&client), "k1", &pro.slug, tomorrow_at(9), 30)
        .await;
    let (status, booking) = status_and_json(res).await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(booking["price_cents"], 3000);
    let res = app
        .http
        .patch(app.url(&format!("/professionals/{}", pro.id)))
        .bearer_auth(&pro.token)
        .header("If-Match", "1")
        .json(&json!({ "rate_per_minute": 500 }))
        .send()
        .await
        .expect("patch");
    assert_eq!(res.status(), StatusCode::OK);
    let res = app
        .http
        .get(app.url(&format!(
            "/bookings/{}",
            booking["id"].as_str().expect("id")
        )))
        .bearer_auth(&client)
        .send()
        .await
        .expect("get");
    let (_, again) = status_and_json(res).await;
    assert_eq!(again["price_cents"], 3000);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn windows_do_not_overlap_and_cannot_be_removed_under_an_active_booking() {
    let app = spawn_app().await;
    let pro = app.pro(0).await;
    let windows = app.url(&format!("/professionals/{}/availability", pro.id));

    let overlapping = json!({
        "start_time": rfc3339(pro.window_start + Duration::hours(9)),
        "end_time": rfc3339(pro.window_start + Duration::hours(11)),
    });
    let res = app
        .http
        .post(&windows)
        .bearer_auth(&pro.token)
        .json(&overlapping)
        .send()
        .await
        .expect("post");
    let (status, problem) = status_and_json(res).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(problem["code"], "availability_overlap");

    let stranger = app.user("professional").await;
    let later = json!({
        "start_time": rfc3339(pro.window_start + Duration::days(1)),
        "end_time": rfc3339(pro.window_start + Duration::days(1) + Duration::hours(2)),
    });
    let res = app
        .http
        .post(&windows)
        .bearer_auth(&stranger)
        .json(&later)
        .send()
        .await
        .expect("post");
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let res = app
        .http
        .post(&windows)
        .bearer_auth(&pro.token)
        .json(&later)
        .send()
        .await
        .expect("post");
    let (status, free_window) = status_and_json(res).await;
    assert_eq!(status, StatusCode::CREATED);

    let listed = app.http.get(&windows).send().await.expect("list");
    let (_, listed) = status_and_json(listed).await;
    assert_eq!(listed["items"].as_array().map(Vec::len), Some(2));

    let client = app.user("client").await;
    let res = app
        .book(
            Some(&client),
            "k",
            &pro.id,
            pro.window_start + Duration::hours(1),
            60,
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let busy_id = listed["items"][0]["id"].as_str().expect("id");
    let res = app.remove_window(&pro, busy_id).await;
    let (status, problem) = status_and_json(res).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(problem["code"], "window_has_bookings");

    let free_id = free_window["id"].as_str().expect("id");
    let res = app.remove_window(&pro, free_id).await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    let res = app.remove_window(&pro, free_id).await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_currency_must_be_one_stripe_charges_in() {
    let app = spawn_app().await;
    let pro = app.user("professional").await;
    for (currency, expected) in [
        ("xyz", StatusCode::BAD_REQUEST),
        ("USD", StatusCode::BAD_REQUEST),
        ("eur", StatusCode::CREATED),
    ] {
        let res = app
            .http
            .post(app.url("/professionals"))
            .bearer_auth(&pro)
            .json(&json!({
                "slug": format!("cur-{}", currency.to_lowercase()), "name": "Ama", "category": "Tutor",
                "rate_per_minute": 50, "currency": currency,
                "location": { "lat": 5.6, "long": -0.18 }
            }))
            .send()
            .await
            .expect("post");
        let (status, body) = status_and_json(res).await;
        assert_eq!(status, expected, "{currency}: {body}");
        if expected == StatusCode::BAD_REQUEST {
            assert_eq!(body["errors"][0]["field"], "currency");
        }
    }
}
