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

/// A sign-up whose body is sent chunked, without `Content-Length`.
async fn chunked_signup(
    app: &crate::helpers::TestApp,
    http: &reqwest::Client,
    password_len: usize,
) -> (StatusCode, serde_json::Value) {
    let body = format!(
        r#"{{"email":"{}@example.com","password":"{}","name":"x","role":"client"}}"#,
        uuid::Uuid::new_v4().simple(),
        "p".repeat(password_len)
    );
    let chunks: Vec<Result<bytes::Bytes, std::io::Error>> = body
        .as_bytes()
        .chunks(4096)
        .map(|c| Ok(bytes::Bytes::copy_from_slice(c)))
        .collect();
    let res = http
        .post(app.url("/api/users/signup"))
        .header("content-type", "application/json")
        .body(reqwest::Body::wrap_stream(futures::stream::iter(chunks)))
        .send()
        .await
        .expect("post");
    status_and_json(res).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_chunked_body_is_read_up_to_the_limit_and_no_further() {
    let app = spawn_app().await;
    // HTTP/1.1 chunked, and HTTP/2 (cleartext), whose bodies carry no length either.
    let h2 = reqwest::Client::builder()
        .http2_prior_knowledge()
        .build()
        .expect("client");
    for http in [&app.http, &h2] {
        // Just over the limit, and far over it: the client still sending reads
        // the 413 (what it sends meanwhile is drained), not a reset connection.
        for size in [70 * 1024, 512 * 1024] {
            let (status, problem) = chunked_signup(&app, http, size).await;
            assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{size}");
            assert_eq!(problem["code"], "payload_too_large");
        }
        let (status, body) = chunked_signup(&app, http, 20).await;
        assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    }
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
    assert!(res.headers().contains_key("x-request-id"));
    let res = preflight(&open, "https://evil.example")
        .await
        .expect("options");
    assert_ne!(
        res.headers()
            .get("access-control-allow-origin")
            .map(|v| v.as_bytes()),
        Some(b"https://evil.example".as_slice())
    );
    // A refused origin is answered like any error: problem+json, request id, security headers.
    assert!(res.headers().contains_key("x-request-id"));
    assert_eq!(res.headers()["x-content-type-options"], "nosniff");
    let (status, problem) = status_and_json(res).await;
    assert!(status.is_client_error(), "{status}");
    assert!(problem["code"].is_string());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_ins_and_bookings_over_their_rate_are_429_with_retry_after() {
    let app = spawn_app_with(|c| {
        c.auth_rate_per_minute = 5;
        c.booking_rate_per_minute = 2;
    })
    .await;
    // Two sign-ups from this IP, each followed by its sign-in, then sign-ins:
    // the limit is 5 a minute.
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_query_over_the_statement_timeout_is_cut_off_and_answers_503() {
    use diesel_async::SimpleAsyncConnection;
    let app = spawn_app().await;
    let pool = slotwise_db::build_pool(
        &app.state.config.database_url,
        1,
        std::time::Duration::from_millis(200),
    )
    .expect("pool");
    let mut conn = pool.get().await.expect("conn");
    let started = std::time::Instant::now();
    let err = conn
        .batch_execute("SELECT pg_sleep(5)")
        .await
        .expect_err("cut off");
    assert!(started.elapsed() < std::time::Duration::from_secs(3));
    let api = slotwise_web::ApiError::from(err);
    assert_eq!(api.problem.status, 503);
    assert_eq!(api.problem.code, "service_unavailable");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stripe_that_never_answers_times_out_into_a_503() {
    let addr = crate::helpers::silent_peer().await;
    let app = crate::helpers::spawn_unregistered_app(|c| {
        c.stripe_api_base = format!("http://{addr}/");
        c.stripe_timeout = std::time::Duration::from_secs(1);
    })
    .await;
    let client = app.user("client").await;
    let pro = app.pro(100).await;
    let started = std::time::Instant::now();
    let (status, problem) = app
        .booked(
            Some(&client),
            "slow",
            &pro.id,
            crate::helpers::tomorrow_at(10),
            30,
        )
        .await;
    assert!(
        started.elapsed() < std::time::Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(problem["code"], "payment_provider_unavailable");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reconciliation_holds_no_connection_while_it_waits_for_stripe() {
    let addr = crate::helpers::silent_peer().await;
    let app = crate::helpers::spawn_unregistered_app(|c| {
        c.stripe_api_base = format!("http://{addr}/");
        c.stripe_timeout = std::time::Duration::from_secs(3);
        c.pool_size = 1;
        c.reconcile_after = chrono::Duration::zero();
    })
    .await;
    let client = app.user("client").await;
    let pro = app.pro(100).await;
    // Stripe timed out: the booking failed with an unknown outcome, which reconciliation asks about.
    let (status, _) = app
        .booked(
            Some(&client),
            "slow",
            &pro.id,
            crate::helpers::tomorrow_at(10),
            30,
        )
        .await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    let touched_before = app.sql_text("SELECT updated_at::text FROM bookings").await;
    let state = app.state.clone();
    let reconcile =
        tokio::spawn(
            async move { slotwise_booking::jobs::reconcile::reconcile_once(&state).await },
        );
    // The one connection stays free while the job waits on the silent Stripe.
    loop {
        let conn =
            tokio::time::timeout(std::time::Duration::from_secs(2), app.state.pool.get()).await;
        assert!(
            matches!(conn, Ok(Ok(_))),
            "the job kept the only connection while calling Stripe"
        );
        drop(conn);
        if app.sql_text("SELECT updated_at::text FROM bookings").await != touched_before {
            break;
        }
        tokio::task::yield_now().await;
    }
    assert!(!reconcile.is_finished(), "still waiting for Stripe");
    let conn = tokio::time::timeout(std::time::Duration::from_secs(1), app.state.pool.get()).await;
    assert!(matches!(conn, Ok(Ok(_))));
    drop(conn);
    reconcile.await.expect("join").expect("reconcile");
}

/// The document says `type: string`; the server took `false` and `1` as
/// "false" and "1" (schemathesis found it). It also says optional fields
/// may be null, and they may. And a payment method Stripe refuses is the
/// buyer's to fix (402), not an outage (503), and leaves nothing held.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn strings_are_strings_nulls_are_absent_and_a_refused_payment_method_is_402() {
    let app = spawn_app().await;
    let post = |path: &'static str, body: serde_json::Value| {
        let app = &app;
        async move {
            let res = (app.http.post(app.url(path)).json(&body).send())
                .await
                .expect("post");
            status_and_json(res).await
        }
    };
    let (status, problem) = post(
        "/api/users/password-reset",
        serde_json::json!({ "email": false }),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{problem}");
    let (status, _) = post(
        "/api/users/signup",
        serde_json::json!({ "email": "n@example.com", "password": "long enough", "name": 1 }),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, _) = post(
        "/api/users/signup",
        serde_json::json!({ "email": "n@example.com", "password": "long enough", "name": "N", "role": null }),
    )
    .await;
    assert_eq!(status, StatusCode::ACCEPTED);

    let client = app.user("client").await;
    let pro = app.pro(100).await;
    let book = |method: &'static str| {
        let (app, client, pro) = (&app, &client, &pro);
        async move {
            let res = app
                .http
                .post(app.url("/bookings"))
                .bearer_auth(client)
                .header("Idempotency-Key", method)
                .json(&serde_json::json!({
                    "professional_id": pro.id,
                    "start_time": crate::helpers::rfc3339(crate::helpers::tomorrow_at(10)),
                    "duration_minutes": 30,
                    "payment_method": method,
                }))
                .send()
                .await
                .expect("book");
            status_and_json(res).await
        }
    };
    let (status, _) = book("not a method").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, problem) = book("pm_nobody_has_this_one").await;
    assert_eq!(status, StatusCode::PAYMENT_REQUIRED, "{problem}");
    assert_eq!(problem["code"], "payment_refused");
    assert_eq!(app.count_bookings("status = 'failed'").await, 1);
    // The slot was given back: the next buyer gets it.
    let (status, booked) = app
        .booked(
            Some(&client),
            "after",
            &pro.id,
            crate::helpers::tomorrow_at(10),
            30,
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{booked}");
}
