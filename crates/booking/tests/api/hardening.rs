//! Limits and headers every answer gets.

use crate::helpers::{spawn_app, spawn_app_with, status_and_json};
use reqwest::StatusCode;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn answers_carry_security_headers_errors_included() {
    let app = spawn_app().await;
    for path in ["/healthz", "/no/such/path"] {
        let res = app.http.get(app.url(path)).send().await.expect("get");
        assert_eq!(res.headers()["x-content-type-options"], "nosniff", "{path}");
        assert_eq!(res.headers()["x-frame-options"], "DENY", "{path}");
        assert_eq!(res.headers()["referrer-policy"], "no-referrer", "{path}");
        assert!(
            res.headers().contains_key("strict-transport-security"),
            "{path}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_body_over_the_limit_is_413_problem_json() {
    let app = spawn_app().await;
    let big = format!(
        r#"{{"email":"a@b.c","password":"{}","name":"x"}}"#,
        "p".repeat(70 * 1024)
    );
    let res = app
        .http
        .post(app.url("/api/users/signup"))
        .header("content-type", "application/json")
        .body(big)
        .send()
        .await
        .expect("post");
    let (status, problem) = status_and_json(res).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(problem["code"], "payload_too_large");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cors_answers_only_configured_origins() {
    let preflight = |app: &crate::helpers::TestApp, origin: &'static str| {
        app.http
            .request(reqwest::Method::OPTIONS, app.url("/bookings"))
            .header("origin", origin)
            .header("access-control-request-method", "POST")
            .header(
                "access-control-request-headers",
                "idempotency-key, content-type",
            )
            .send()
    };
    let closed = spawn_app().await;
    let res = preflight(&closed, "https://app.example")
        .await
        .expect("options");
    assert!(
        !res.headers().contains_key("access-control-allow-origin"),
        "no CORS unless configured"
    );

    let open = spawn_app_with(|c| {
        c.hardening.cors_allowed_origins = vec!["https://app.example".to_owned()]
    })
    .await;
    let res = preflight(&open, "https://app.example")
        .await
        .expect("options");
    assert_eq!(
        res.headers()["access-control-allow-origin"],
        "https://app.example"
    );
    let res = preflight(&open, "https://evil.example")
        .await
        .expect("options");
    assert_ne!(
        res.headers()
            .get("access-control-allow-origin")
            .map(|v| v.as_bytes()),
        Some(b"https://evil.example".as_slice())
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_ins_and_bookings_over_their_rate_are_429_with_retry_after() {
    let app = spawn_app_with(|c| {
        c.auth_rate_per_minute = 3;
        c.booking_rate_per_minute = 2;
    })
    .await;
    // Two sign-ups from this IP, then sign-ins: the limit is 3 a minute.
    let pro = app.pro(0).await;
    let token = app.user("client").await;
    let signin = || {
        app.http
            .post(app.url("/api/users/signin"))
            .json(&serde_json::json!({ "email": "nobody@example.com", "password": "whatever1" }))
            .send()
    };
    assert_eq!(
        signin().await.expect("signin").status(),
        StatusCode::UNAUTHORIZED
    );
    let limited = signin().await.expect("signin");
    assert!(limited.headers().contains_key("retry-after"));
    let (status, problem) = status_and_json(limited).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(problem["code"], "rate_limited");

    for (i, expected) in [
        StatusCode::CREATED,
        StatusCode::CREATED,
        StatusCode::TOO_MANY_REQUESTS,
    ]
    .into_iter()
    .enumerate()
    {
        let res = app
            .book(
                Some(&token),
                &format!("r{i}"),
                &pro.id,
                crate::helpers::tomorrow_at(9 + i as i64),
                30,
            )
            .await;
        assert_eq!(res.status(), expected, "booking {i}");
    }
}
