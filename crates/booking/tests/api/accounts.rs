use crate::helpers::{spawn_app, status_and_json};
use reqwest::StatusCode;
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signup_signin_currentuser_signout_round_trip() {
    let app = spawn_app().await;
    let res = app
        .http
        .post(app.url("/api/users/signup"))
        .json(&json!({ "email": "Ama@Example.com", "password": "correct horse", "name": "Ama" }))
        .send()
        .await
        .expect("signup");
    assert!(
        res.headers().get("set-cookie").is_none(),
        "sessions are bearer tokens only: no cookie"
    );
    let (status, body) = status_and_json(res).await;
    assert_eq!(status, StatusCode::ACCEPTED);
    assert_eq!(
        (body["status"].as_str(), body["email"].as_str()),
        (Some("check_your_mail"), Some("ama@example.com"))
    );

    let wrong = app
        .http
        .post(app.url("/api/users/signin"))
        .json(&json!({ "email": "ama@example.com", "password": "wrong password" }))
        .send()
        .await
        .expect("signin");
    let (status, body) = status_and_json(wrong).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body["code"], "invalid_credentials");

    let res = app
        .http
        .post(app.url("/api/users/signin"))
        .json(&json!({ "email": "AMA@example.com", "password": "correct horse" }))
        .send()
        .await
        .expect("signin");
    let (status, body) = status_and_json(res).await;
    assert_eq!(status, StatusCode::OK);
    let token = body["token"].as_str().expect("token").to_owned();
    let by_cookie = app
        .http
        .get(app.url("/bookings"))
        .header("cookie", format!("session={token}"))
        .send()
        .await
        .expect("list");
    assert_eq!(
        by_cookie.status(),
        StatusCode::UNAUTHORIZED,
        "a cookie alone authenticates nothing"
    );

    let me = app
        .http
        .get(app.url("/api/users/currentuser"))
        .bearer_auth(&token)
        .send()
        .await
        .expect("me");
    let (_, me) = status_and_json(me).await;
    assert_eq!(me["current_user"]["email"], "ama@example.com");

    let out = app
        .http
        .post(app.url("/api/users/signout"))
        .bearer_auth(&token)
        .send()
        .await
        .expect("signout");
    assert_eq!(out.status(), StatusCode::NO_CONTENT);
    let me = app
        .http
        .get(app.url("/api/users/currentuser"))
        .bearer_auth(&token)
        .send()
        .await
        .expect("me");
    let (_, me) = status_and_json(me).await;
    assert_eq!(me["current_user"], serde_json::Value::Null);
    let list = app
        .http
        .get(app.url("/bookings"))
        .bearer_auth(&token)
        .send()
        .await
        .expect("list");
    let (status, body) = status_and_json(list).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body["code"], "unauthorized");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn passwords_are_argon2id_and_tokens_are_stored_only_hashed() {
    use diesel_async::RunQueryDsl;
    let app = spawn_app().await;
    let token = app.user("client").await;
    let mut conn = app.state.pool.get().await.expect("conn");
    let hash: String = diesel::select(diesel::dsl::sql::<diesel::sql_types::Text>(
        "(SELECT password_hash FROM users LIMIT 1)",
    ))
    .get_result(&mut conn)
    .await
    .expect("hash");
    assert!(hash.starts_with("$argon2id$"), "{hash}");
    let stored_raw: i64 = diesel::select(diesel::dsl::sql::<diesel::sql_types::BigInt>(&format!(
        "(SELECT count(*) FROM sessions WHERE token_hash = convert_to('{token}', 'UTF8'))"
    )))
    .get_result(&mut conn)
    .await
    .expect("count");
    assert_eq!(stored_raw, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_taken_email_answers_like_a_new_one_and_bad_input_is_400_with_field_errors() {
    let app = spawn_app().await;
    let body = json!({ "email": "kofi@example.com", "password": "correct horse", "name": "Kofi" });
    let first = app
        .http
        .post(app.url("/api/users/signup"))
        .json(&body)
        .send()
        .await
        .expect("signup");
    let (first_status, first_body) = status_and_json(first).await;
    assert_eq!(first_status, StatusCode::ACCEPTED);
    let again = app
        .http
        .post(app.url("/api/users/signup"))
        .json(&json!({ "email": "KOFI@example.com", "password": "correct horse", "name": "Kofi" }))
        .send()
        .await
        .expect("signup");
    let (status, body) = status_and_json(again).await;
    assert_eq!(
        (status, body),
        (first_status, first_body),
        "nothing tells a taken address"
    );
    // The owner of the address hears of it; the second password changed nothing.
    let topics = app
        .sql_text("SELECT string_agg(topic, ',' ORDER BY created_at) FROM outbox WHERE email = 'kofi@example.com'")
        .await;
    assert_eq!(topics, "account.verify_email,account.signup_taken");
    assert_eq!(app.sql_i64("SELECT count(*) FROM users").await, 1);

    // Each refusal names its field, whether the document's validator or the
    // server's own check refused it.
    for (body, field) in [
        (
            json!({ "email": "nope", "password": "correct horse", "name": "A" }),
            "email",
        ),
        (
            json!({ "email": "a@b.c", "password": "short", "name": "A" }),
            "password",
        ),
        (
            json!({ "email": "a@b.c", "password": "correct horse", "name": "   " }),
            "name",
        ),
        (
            json!({ "email": " @b.c", "password": "correct horse", "name": "A" }),
            "email",
        ),
        (
            json!({ "email": "a@b.c", "password": "correct horse", "name": "\u{a0}" }),
            "name",
        ),
    ] {
        let bad = app
            .http
            .post(app.url("/api/users/signup"))
            .json(&body)
            .send()
            .await
            .expect("signup");
        let (status, problem) = status_and_json(bad).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
        let fields: Vec<&str> = problem["errors"]
            .as_array()
            .expect("errors")
            .iter()
            .map(|e| e["field"].as_str().unwrap_or(""))
            .collect();
        assert_eq!(fields, vec![field], "{body}: {problem}");
    }

    let not_json = app
        .http
        .post(app.url("/api/users/signup"))
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .expect("signup");
    let (status, _) = status_and_json(not_json).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_response_carries_a_request_id_and_unknown_routes_are_problems() {
    let app = spawn_app().await;
    let res = app
        .http
        .get(app.url("/healthz"))
        .header("x-request-id", "abc-123")
        .send()
        .await
        .expect("health");
    assert_eq!(res.headers()["x-request-id"], "abc-123");
    let res = app
        .http
        .get(app.url("/readyz"))
        .send()
        .await
        .expect("ready");
    assert_eq!(res.status(), StatusCode::OK);
    assert!(res.headers().contains_key("x-request-id"));
    let res = app
        .http
        .get(app.url("/no/such/thing"))
        .send()
        .await
        .expect("404");
    let (status, body) = status_and_json(res).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(body["code"], "not_found");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failed_sign_ins_slow_an_account_down_without_locking_out_its_known_address() {
    let app = crate::helpers::spawn_app_with(|c| {
        c.auth_rate_per_minute = 3;
        c.trust_forwarded_for = true;
    })
    .await;
    let signup = app
        .http
        .post(app.url("/api/users/signup"))
        .header("x-forwarded-for", "203.0.113.1")
        .json(&json!({ "email": "victim@example.com", "password": "correct horse", "name": "V" }))
        .send()
        .await
        .expect("signup");
    assert_eq!(signup.status(), StatusCode::ACCEPTED);
    let signin = |ip: &'static str, password: &'static str| {
        app.http
            .post(app.url("/api/users/signin"))
            .header("x-forwarded-for", ip)
            .json(&json!({ "email": "victim@example.com", "password": password }))
            .send()
    };
    // The owner signs in once from home: an address the account is known from.
    let first = signin("203.0.113.1", "correct horse")
        .await
        .expect("signin");
    assert_eq!(first.status(), StatusCode::OK);
    // An attacker guesses from three addresses (each under its own per-IP limit).
    for (i, ip) in ["198.51.100.1", "198.51.100.2", "198.51.100.3"]
        .into_iter()
        .enumerate()
    {
        let (status, body) =
            status_and_json(signin(ip, "guess-guess").await.expect("signin")).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "guess {i}: {body}");
    }
    let (status, body) =
        status_and_json(signin("198.51.100.4", "guess-guess").await.expect("signin")).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{body}");
    // Even the right password from an unknown address waits now...
    let (status, _) = status_and_json(
        signin("198.51.100.5", "correct horse")
            .await
            .expect("signin"),
    )
    .await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    // ...but the owner, from the address they signed up from, gets in.
    let (status, body) = status_and_json(
        signin("203.0.113.1", "correct horse")
            .await
            .expect("signin"),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(body["token"].is_string());
}
