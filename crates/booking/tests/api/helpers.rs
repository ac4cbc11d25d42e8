//! `spawn_app()` and the few calls every test makes.

use chrono::{DateTime, Duration, DurationRound, Utc};
use reqwest::{Response, StatusCode};
use serde_json::{Value, json};
use slotwise_booking::{AppState, Config, build_app};

pub struct TestApp {
    pub base: String,
    pub http: reqwest::Client,
    pub state: AppState,
}

pub async fn spawn_app() -> TestApp {
    let database_url = slotwise_db::testing::create_test_database()
        .await
        .expect("test database");
    let mut config = Config::for_database(&database_url);
    config.pool_size = 20;
    let state = AppState::new(config).expect("state");
    let bound = slotwise_web::serve::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let base = format!("http://{}", bound.addr);
    let app = build_app(state.clone());
    tokio::spawn(bound.serve(app, std::future::pending()));
    TestApp {
        base,
        http: reqwest::Client::new(),
        state,
    }
}

/// A professional created through the API, with one availability window.
pub struct Pro {
    pub id: String,
    pub slug: String,
    pub token: String,
    pub window_start: DateTime<Utc>,
}

/// Tomorrow at `hour`:00 UTC, a time always in the future.
pub fn tomorrow_at(hour: i64) -> DateTime<Utc> {
    let today = Utc::now().duration_trunc(Duration::days(1)).expect("day");
    today + Duration::days(2) + Duration::hours(hour)
}

pub fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339()
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    /// Signs up a new user with `role` and returns the bearer token.
    pub async fn user(&self, role: &str) -> String {
        let email = format!("{}@example.com", uuid::Uuid::new_v4().simple());
        let res = self
            .http
            .post(self.url("/api/users/signup"))
            .json(&json!({ "email": email, "password": "correct horse", "name": "Test", "role": role }))
            .send()
            .await
            .expect("signup");
        assert_eq!(res.status(), StatusCode::CREATED);
        let body: Value = res.json().await.expect("json");
        body["token"].as_str().expect("token").to_owned()
    }

    /// A professional charging `rate` cents per minute, available 08:00-18:00 two days from now.
    pub async fn pro(&self, rate: i64) -> Pro {
        let token = self.user("professional").await;
        let slug = format!("p-{}", &uuid::Uuid::new_v4().simple().to_string()[..12]);
        let res = self
            .http
            .post(self.url("/professionals"))
            .bearer_auth(&token)
            .json(&json!({
                "slug": slug, "name": "Ama", "category": "Plumber", "rate_per_minute": rate,
                "location": { "lat": 5.6037, "long": -0.187 }, "timezone": "Africa/Accra"
            }))
            .send()
            .await
            .expect("create pro");
        assert_eq!(res.status(), StatusCode::CREATED);
        let body: Value = res.json().await.expect("json");
        let id = body["id"].as_str().expect("id").to_owned();
        let window_start = tomorrow_at(8);
        let res = self
            .http
            .post(self.url(&format!("/professionals/{id}/availability")))
            .bearer_auth(&token)
            .json(&json!({
                "start_time": rfc3339(window_start),
                "end_time": rfc3339(window_start + Duration::hours(10)),
            }))
            .send()
            .await
            .expect("add window");
        assert_eq!(res.status(), StatusCode::CREATED);
        Pro {
            id,
            slug,
            token,
            window_start,
        }
    }

    pub async fn book(
        &self,
        token: Option<&str>,
        key: &str,
        professional: &str,
        start: DateTime<Utc>,
        minutes: i64,
    ) -> Response {
        let mut req = self
            .http
            .post(self.url("/bookings"))
            .header("Idempotency-Key", key)
            .json(&json!({
                "professional_id": professional,
                "start_time": rfc3339(start),
                "duration_minutes": minutes,
            }));
        if let Some(token) = token {
            req = req.bearer_auth(token);
        }
        req.send().await.expect("book")
    }

    /// Count of rows matching a SQL condition on bookings, straight from the database.
    pub async fn count_bookings(&self, condition: &str) -> i64 {
        use diesel_async::RunQueryDsl;
        let mut conn = self.state.pool.get().await.expect("conn");
        diesel::select(diesel::dsl::sql::<diesel::sql_types::BigInt>(&format!(
            "(SELECT count(*) FROM bookings WHERE {condition})"
        )))
        .get_result(&mut conn)
        .await
        .expect("count")
    }
}

/// Status and JSON body, asserting the content type matches the status class.
pub async fn status_and_json(res: Response) -> (StatusCode, Value) {
    let status = res.status();
    let content_type = res
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let body: Value = res.json().await.unwrap_or(Value::Null);
    if status.is_client_error() || status.is_server_error() {
        assert_eq!(
            content_type, "application/problem+json",
            "error body for {status}: {body}"
        );
        assert_eq!(body["status"].as_u64(), Some(u64::from(status.as_u16())));
        assert!(body["code"].is_string(), "problem has a code: {body}");
    }
    (status, body)
}
