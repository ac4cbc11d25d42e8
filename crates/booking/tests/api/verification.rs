//! Accounts you can trust with tickets: a gift waits for a verified address,
//! whoever signs up with it first; a password reset works once, for 30
//! minutes, and signs every device out.

use crate::event_helpers::{ga_event, tier_id};
use crate::helpers::{TestApp, spawn_app, status_and_json};
use reqwest::StatusCode;
use serde_json::{Value, json};

async fn post(app: &TestApp, path: &str, token: Option<&str>, body: Value) -> (StatusCode, Value) {
    let mut req = app.http.post(app.url(path)).json(&body);
    if let Some(token) = token {
        req = req.bearer_auth(token);
    }
    status_and_json(req.send().await.expect("post")).await
}

async fn give(app: &TestApp, giver: &str, ticket: &str, to: &str) -> StatusCode {
    let res = app
        .http
        .post(app.url(&format!("/tickets/{ticket}/transfer")))
        .bearer_auth(giver)
        .header("Idempotency-Key", uuid::Uuid::new_v4().to_string())
        .json(&json!({ "to_email": to }))
        .send()
        .await
        .expect("gift");
    res.status()
}

async fn my_tickets(app: &TestApp, token: &str) -> Vec<Value> {
    let (status, page) = app.get_json(token, "/tickets").await;
    assert_eq!(status, StatusCode::OK);
    page["items"].as_array().expect("items").clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_gift_waits_for_a_verified_address_not_for_whoever_signs_up_with_it() {
    let app = spawn_app().await;
    let (organizer, giver) = (app.user("client").await, app.user("client").await);
    let event = ga_event(&app, &organizer, 10, 0).await;
    let body = json!({ "items": [{ "tier_id": tier_id(&event, 0), "quantity": 2 }] });
    let (_, order) = app.order(&giver, "free", &event, body).await;
    let tickets: Vec<&str> = (order["tickets"].as_array().expect("tickets").iter())
        .map(|t| t["id"].as_str().expect("id"))
        .collect();
    let victim = format!("victim-{}@example.com", uuid::Uuid::new_v4().simple());

    // A gift to an address with no account waits.
    assert_eq!(
        give(&app, &giver, tickets[0], &victim).await,
        StatusCode::CREATED
    );
    // A stranger signs up with that address first: it gets nothing, not even
    // a second gift made to the address now that an (unverified) account has it.
    let stranger = app.unverified_signup(&victim).await;
    assert_eq!(
        give(&app, &giver, tickets[1], &victim).await,
        StatusCode::CREATED
    );
    assert!(my_tickets(&app, &stranger).await.is_empty());
    let (_, me) = app.get_json(&stranger, "/api/users/currentuser").await;
    assert_eq!(me["current_user"]["email_verified"], false);
    let pending = app
        .sql_i64(&format!(
            "SELECT count(*) FROM tickets WHERE pending_email = '{victim}' AND status = 'transfer_pending'"
        ))
        .await;
    assert_eq!(pending, 2);
    // Signing in again claims nothing either.
    app.signin(&victim, "correct horse").await;
    assert!(my_tickets(&app, &stranger).await.is_empty());

    // A guessed token verifies nothing.
    let (status, problem) = post(
        &app,
        "/api/users/verify-email",
        None,
        json!({ "token": "guess" }),
    )
    .await;
    assert_eq!(
        (status, problem["code"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_token"))
    );
    // The one who reads the address's mail verifies it: both tickets are theirs.
    let verified = app.verify_email(&victim).await;
    assert_eq!(verified["email_verified"], true);
    let held = my_tickets(&app, &stranger).await;
    assert_eq!(held.len(), 2);
    assert!(
        held.iter()
            .all(|t| t["status"] == "valid" && t["code"].is_string())
    );
    // The link works once.
    let token = app.mailed_token("account.verify_email", &victim).await;
    let (status, _) = post(
        &app,
        "/api/users/verify-email",
        None,
        json!({ "token": token }),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_password_reset_works_once_for_30_minutes_and_signs_every_device_out() {
    let app = spawn_app().await;
    let email = format!("reset-{}@example.com", uuid::Uuid::new_v4().simple());
    let old_session = app.unverified_signup(&email).await;
    // Unknown and known addresses answer alike; only the known one is mailed.
    let unknown = format!("nobody-{}@example.com", uuid::Uuid::new_v4().simple());
    for address in [&unknown, &email] {
        let (status, _) = post(
            &app,
            "/api/users/password-reset",
            None,
            json!({ "email": address }),
        )
        .await;
        assert_eq!(status, StatusCode::ACCEPTED);
    }
    let mailed = |to: &str| {
        format!(
            "SELECT count(*) FROM outbox WHERE topic = 'account.password_reset' AND email = '{to}'"
        )
    };
    assert_eq!(app.sql_i64(&mailed(&unknown)).await, 0);
    assert_eq!(app.sql_i64(&mailed(&email)).await, 1);
    let token = app.mailed_token("account.password_reset", &email).await;
    assert_eq!(
        app.sql_i64("SELECT count(*) FROM account_tokens WHERE purpose = 'password_reset' AND expires_at < now() + interval '31 minutes' AND expires_at > now() + interval '29 minutes'").await,
        1,
        "valid for 30 minutes"
    );
    assert_eq!(
        app.sql_i64(&format!(
            "SELECT count(*) FROM account_tokens WHERE token_hash = sha256('{token}'::bytea)"
        ))
        .await,
        1,
        "only the token's hash is kept"
    );
    let confirm = |token: String, password: &'static str| {
        post(
            &app,
            "/api/users/password-reset/confirm",
            None,
            json!({ "token": token, "password": password }),
        )
    };
    let (status, problem) = confirm(token.clone(), "short").await;
    assert_eq!(
        (status, problem["errors"][0]["field"].as_str()),
        (StatusCode::BAD_REQUEST, Some("password")),
        "{problem}"
    );
    let (status, _) = confirm(token.clone(), "a new long password").await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _) = app.get_json(&old_session, "/tickets").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "every session is revoked");
    let (status, problem) = confirm(token, "another new password").await;
    assert_eq!(
        (status, problem["code"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_token"))
    );
    app.signin(&email, "a new long password").await;
    let (status, _) = post(
        &app,
        "/api/users/signin",
        None,
        json!({ "email": email, "password": "correct horse" }),
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);

    // An expired link does nothing.
    post(
        &app,
        "/api/users/password-reset",
        None,
        json!({ "email": email }),
    )
    .await;
    let late = app.mailed_token("account.password_reset", &email).await;
    app.sql(
        "UPDATE account_tokens SET expires_at = now() - interval '1 second' WHERE used_at IS NULL",
    )
    .await;
    let (status, _) = confirm(late, "yet another password").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}
