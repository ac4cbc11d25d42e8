//! Calls the event, order and ticket tests share.

use crate::helpers::{TestApp, status_and_json};
use chrono::{Duration, Utc};
use reqwest::StatusCode;
use serde_json::{Value, json};

/// A published event (`organizer` signed in) with `extra` merged into a
/// general-admission body in Accra a week from now.
pub async fn publish(app: &TestApp, organizer: &str, extra: Value) -> Value {
    let mut body = json!({
        "title": "Highlife Night", "description": "Live highlife under the stars",
        "category": "Concert",
        "venue": { "name": "Osu Castle Grounds", "lat": 5.5466, "long": -0.1837 },
        "starts_at": (Utc::now() + Duration::days(7)).to_rfc3339(),
    });
    for (k, v) in extra.as_object().expect("object") {
        body[k] = v.clone();
    }
    let res = app
        .http
        .post(app.url("/events"))
        .bearer_auth(organizer)
        .header("Idempotency-Key", uuid::Uuid::new_v4().to_string())
        .json(&body)
        .send()
        .await
        .expect("publish");
    let (status, event) = status_and_json(res).await;
    assert_eq!(status, StatusCode::CREATED, "{event}");
    event
}

/// A general-admission event with one tier of `capacity` at `price_cents`.
pub async fn ga_event(app: &TestApp, organizer: &str, capacity: i64, price_cents: i64) -> Value {
    publish(
        app,
        organizer,
        json!({ "tiers": [{ "name": "General", "price_cents": price_cents, "capacity": capacity }] }),
    )
    .await
}

/// A seated event: rows A.. of `per_row` seats each, at `price_cents`.
pub async fn seated_event(
    app: &TestApp,
    organizer: &str,
    rows: u8,
    per_row: u32,
    price_cents: i64,
) -> Value {
    let seats: Vec<Value> = (0..rows)
        .flat_map(|r| {
            let row = char::from(b'A' + r).to_string();
            (1..=per_row).map(move |n| json!({ "label": format!("{row}{n}"), "row": row, "section": "Floor", "price_cents": price_cents }))
        })
        .collect();
    publish(app, organizer, json!({ "seats": seats })).await
}

pub fn tier_id(event: &Value, i: usize) -> String {
    event["tiers"][i]["id"]
        .as_str()
        .expect("tier id")
        .to_owned()
}

impl TestApp {
    /// Signs up `email` (not verified) and returns its bearer token.
    pub async fn unverified_signup(&self, email: &str) -> String {
        let res = self
            .http
            .post(self.url("/api/users/signup"))
            .json(&json!({ "email": email, "password": "correct horse", "name": "Guest" }))
            .send()
            .await
            .expect("signup");
        assert_eq!(res.status(), StatusCode::ACCEPTED);
        self.signin(email, "correct horse").await
    }

    /// Signs up `email`, verifies it with the link mailed to it, and returns
    /// a bearer token.
    pub async fn signup(&self, email: &str) -> String {
        let token = self.unverified_signup(email).await;
        self.verify_email(email).await;
        token
    }

    /// Uses the last verification link mailed to `email`.
    pub async fn verify_email(&self, email: &str) -> Value {
        let token = self
            .mailed_token("account.verify_email", &email.to_lowercase())
            .await;
        let res = self
            .http
            .post(self.url("/api/users/verify-email"))
            .json(&json!({ "token": token }))
            .send()
            .await
            .expect("verify");
        let (status, body) = status_and_json(res).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        body
    }

    /// `POST /events/{id}/orders` with `body`, answering status and JSON.
    pub async fn order(
        &self,
        buyer: &str,
        key: &str,
        event: &Value,
        body: Value,
    ) -> (StatusCode, Value) {
        let id = event["id"].as_str().expect("event id");
        let res = self
            .http
            .post(self.url(&format!("/events/{id}/orders")))
            .bearer_auth(buyer)
            .header("Idempotency-Key", key)
            .json(&body)
            .send()
            .await
            .expect("order");
        status_and_json(res).await
    }

    pub async fn get_json(&self, token: &str, path: &str) -> (StatusCode, Value) {
        let res = self
            .http
            .get(self.url(path))
            .bearer_auth(token)
            .send()
            .await
            .expect("get");
        status_and_json(res).await
    }

    /// Polls the buyer's order until `done` holds (webhooks take a moment).
    pub async fn wait_for_order(
        &self,
        buyer: &str,
        id: &str,
        done: impl Fn(&Value) -> bool,
    ) -> Value {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
        loop {
            let (_, order) = self.get_json(buyer, &format!("/orders/{id}")).await;
            if done(&order) {
                return order;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "timed out waiting; last: {order}"
            );
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
    }

    /// The event as anyone sees it.
    pub async fn event_now(&self, event: &Value) -> Value {
        let id = event["id"].as_str().expect("event id");
        let res = self
            .http
            .get(self.url(&format!("/events/{id}")))
            .send()
            .await
            .expect("get");
        let (status, body) = status_and_json(res).await;
        assert_eq!(status, StatusCode::OK);
        body
    }

    /// Each seat's status by label.
    pub async fn seat_statuses(&self, event: &Value) -> std::collections::BTreeMap<String, String> {
        let id = event["id"].as_str().expect("event id");
        let res = self
            .http
            .get(self.url(&format!("/events/{id}/seats")))
            .send()
            .await
            .expect("get");
        let (_, body) = status_and_json(res).await;
        body["items"]
            .as_array()
            .expect("items")
            .iter()
            .map(|s| {
                (
                    s["label"].as_str().unwrap_or_default().to_owned(),
                    s["status"].as_str().unwrap_or_default().to_owned(),
                )
            })
            .collect()
    }
}
