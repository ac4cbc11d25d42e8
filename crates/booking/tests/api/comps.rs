//! Organizer comps: against capacity, never refundable, to an account or
//! waiting for an email to sign up, without telling which.

use crate::event_helpers::{ga_event, tier_id};
use crate::helpers::{TestApp, status_and_json};
use reqwest::StatusCode;
use serde_json::{Value, json};

async fn comp(
    app: &TestApp,
    token: &str,
    event: &Value,
    email: &str,
    quantity: i64,
) -> (StatusCode, Value) {
    let id = event["id"].as_str().expect("id");
    let res = app
        .http
        .post(app.url(&format!("/events/{id}/comps")))
        .bearer_auth(token)
        .header("Idempotency-Key", uuid::Uuid::new_v4().to_string())
        .json(&json!({ "to_email": email, "tier_id": tier_id(event, 0), "quantity": quantity }))
        .send()
        .await
        .expect("comp");
    status_and_json(res).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn comps_take_capacity_reach_accounts_or_wait_for_a_signup_and_say_neither() {
    let app = crate::helpers::spawn_app().await;
    let organizer = app.user("client").await;
    let event = ga_event(&app, &organizer, 5, 2000).await;
    let known = format!("known-{}@example.com", uuid::Uuid::new_v4().simple());
    let known_token = app.signup(&known).await;
    let unknown = format!("Later-{}@Example.com", uuid::Uuid::new_v4().simple());

    let (status, to_known) = comp(&app, &organizer, &event, &known, 2).await;
    assert_eq!(status, StatusCode::CREATED, "{to_known}");
    let (status, to_unknown) = comp(&app, &organizer, &event, &unknown, 2).await;
    assert_eq!(status, StatusCode::CREATED, "{to_unknown}");
    let keys = |v: &Value| v.as_object().map(|o| o.keys().cloned().collect::<Vec<_>>());
    assert_eq!(
        keys(&to_known),
        keys(&to_unknown),
        "the answer never tells whether the email has an account"
    );
    let now = app.event_now(&event).await;
    assert_eq!(
        (
            now["tiers"][0]["sold"].as_i64(),
            now["tiers"][0]["available"].as_i64()
        ),
        (Some(4), Some(1))
    );
    let (status, problem) = comp(&app, &organizer, &event, &known, 2).await;
    assert_eq!(
        (status, problem["available"].as_i64()),
        (StatusCode::CONFLICT, Some(1)),
        "comps count against capacity"
    );
    let (status, _) = comp(&app, &known_token, &event, &known, 1).await;
    assert_eq!(
        status,
        StatusCode::FORBIDDEN,
        "only the organizer gives comps"
    );

    let (_, mine) = app.get_json(&known_token, "/tickets").await;
    let mine = mine["items"].as_array().expect("items").clone();
    assert_eq!(mine.len(), 2);
    assert!(
        mine.iter()
            .all(|t| t["price_cents"] == 0 && t["status"] == "valid" && t["order_id"].is_null())
    );

    // The other two wait for their email, and move when it signs up.
    let later_token = app.signup(&unknown.to_lowercase()).await;
    let (_, theirs) = app.get_json(&later_token, "/tickets").await;
    assert_eq!(theirs["items"].as_array().map(Vec::len), Some(2));

    // A comp revoked is void and back on sale, with nothing to refund.
    let ticket = mine[0]["id"].as_str().expect("id");
    let res = app
        .http
        .post(app.url(&format!("/tickets/{ticket}/revoke")))
        .bearer_auth(&organizer)
        .header("Idempotency-Key", "revoke-comp")
        .send()
        .await
        .expect("revoke");
    let (status, revoked) = status_and_json(res).await;
    assert_eq!(
        (status, revoked["ticket"]["status"].as_str()),
        (StatusCode::OK, Some("void"))
    );
    assert!(revoked.get("refund").is_none(), "{revoked}");
    assert_eq!(app.event_now(&event).await["tiers"][0]["available"], 2);
}
