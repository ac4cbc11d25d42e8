//! `spawn_app()` and the few calls every test makes.
//! (Past 300 lines on purpose: the one test client helper every test binary
//! shares, `statements.rs` included by path, so a call is written once.)

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
    spawn_app_with(|_| {}).await
}

/// The emulator the tests use (`scripts/test` starts it).
pub fn stripe_base() -> String {
    std::env::var("TEST_STRIPE_API_BASE").unwrap_or_else(|_| "http://127.0.0.1:8421/".to_owned())
}

/// The SMTP sink the tests mail to (`scripts/test` starts it).
pub fn smtp_url() -> String {
    std::env::var("TEST_SMTP_URL").unwrap_or_else(|_| "smtp://127.0.0.1:2526".to_owned())
}

pub async fn spawn_app_with(adjust: impl FnOnce(&mut Config)) -> TestApp {
    let app = spawn_unregistered_app(adjust).await;
    // The emulator delivers every event to every registered endpoint; other
    // tests' events are unknown bookings here and change nothing.
    let res = app
        .http
        .post(format!(
            "{}_config/webhooks/{}",
            stripe_base(),
            uuid::Uuid::new_v4().simple()
        ))
        .form(&[
            ("url", app.url("/webhooks/stripe")),
            ("secret", app.state.config.stripe_webhook_secret.clone()),
        ])
        .send()
        .await
        .expect("the Stripe emulator is running (scripts/test starts it)");
    assert!(res.status().is_success());
    app
}

/// An app whose webhooks never arrive, as when Stripe cannot reach us.
pub async fn spawn_unregistered_app(adjust: impl FnOnce(&mut Config)) -> TestApp {
    let database_url = slotwise_db::testing::create_test_database()
        .await
        .expect("test database");
    let mut config = Config::for_database(&database_url);
    config.pool_size = 20;
    config.stripe_api_base = stripe_base();
    // The SMTP sink `scripts/test` starts; webhook receivers are local test servers.
    config.notify.smtp_url = Some(smtp_url());
    config.notify.allow_private_urls = true;
    config.notify.retry_base = std::time::Duration::ZERO;
    adjust(&mut config);
    let state = AppState::new(config).expect("state");
    let bound = slotwise_web::serve::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let base = format!("http://{}", bound.addr);
    let app = build_app(state.clone());
    tokio::spawn(bound.serve(app, std::future::pending()));
    let http = reqwest::Client::new();
    TestApp { base, http, state }
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
        assert_eq!(res.status(), StatusCode::ACCEPTED);
        self.signin(&email, "correct horse").await
    }

    /// Signs in and returns the bearer token.
    pub async fn signin(&self, email: &str, password: &str) -> String {
        let res = self
            .http
            .post(self.url("/api/users/signin"))
            .json(&json!({ "email": email, "password": password }))
            .send()
            .await
            .expect("signin");
        let (status, body) = status_and_json(res).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        body["token"].as_str().expect("token").to_owned()
    }

    /// The token of the last link of `topic` (`account.*`) mailed to `email`,
    /// read from the outbox as the recipient would from their mail.
    pub async fn mailed_token(&self, topic: &str, email: &str) -> String {
        let link = self
            .sql_text(&format!(
                "SELECT mail->>'link' FROM outbox WHERE topic = '{topic}' AND email = '{email}' \
                 ORDER BY created_at DESC, id DESC LIMIT 1"
            ))
            .await;
        link.split_once("token=")
            .expect("a link with a token")
            .1
            .to_owned()
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

    /// `book`, then the status and JSON body.
    pub async fn booked(
        &self,
        token: Option<&str>,
        key: &str,
        professional: &str,
        start: DateTime<Utc>,
        minutes: i64,
    ) -> (StatusCode, Value) {
        status_and_json(self.book(token, key, professional, start, minutes).await).await
    }

    pub async fn cancel(&self, token: &str, id: &str) -> Response {
        self.http
            .post(self.url(&format!("/bookings/{id}/cancel")))
            .bearer_auth(token)
            .send()
            .await
            .expect("cancel")
    }

    /// Count of rows matching a SQL condition on bookings, straight from the database.
    pub async fn count_bookings(&self, condition: &str) -> i64 {
        self.count_rows(&format!("bookings WHERE {condition}"))
            .await
    }

    /// `DELETE /professionals/{id}/availability/{window}` as the professional.
    pub async fn remove_window(&self, pro: &Pro, window: &str) -> reqwest::Response {
        self.http
            .delete(self.url(&format!("/professionals/{}/availability/{window}", pro.id)))
            .bearer_auth(&pro.token)
            .send()
            .await
            .expect("delete")
    }

    /// Deadlocks PostgreSQL broke in this test's database. A backend adds its
    /// deadlocks to `pg_stat_database` when it exits (before it leaves
    /// `pg_stat_activity`), so this closes the app's pool, waits for its
    /// backends to go, then reads the count. The app cannot reach the
    /// database afterwards.
    pub async fn deadlocks_once_pool_closed(&self) -> i64 {
        use diesel_async::{AsyncConnection, RunQueryDsl};
        self.state.pool.close();
        let mut conn = diesel_async::AsyncPgConnection::establish(&self.state.config.database_url)
            .await
            .expect("conn");
        let count =
            |sql: &'static str| diesel::select(diesel::dsl::sql::<diesel::sql_types::BigInt>(sql));
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
        loop {
            let others: i64 = count(
                "(SELECT count(*) FROM pg_stat_activity \
                  WHERE datname = current_database() AND pid <> pg_backend_pid() \
                   AND backend_type = 'client backend' \
                   AND application_name NOT LIKE 'citus%')",
            )
            .get_result(&mut conn)
            .await
            .expect("backends");
            if others == 0 {
                break;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "{others} backends stayed"
            );
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        count("(SELECT deadlocks FROM pg_stat_database WHERE datname = current_database())")
            .get_result(&mut conn)
            .await
            .expect("deadlocks")
    }

    /// `SELECT count(*) FROM {from_where}`, straight from the database.
    pub async fn count_rows(&self, from_where: &str) -> i64 {
        use diesel_async::RunQueryDsl;
        let mut conn = self.state.pool.get().await.expect("conn");
        diesel::select(diesel::dsl::sql::<diesel::sql_types::BigInt>(&format!(
            "(SELECT count(*) FROM {from_where})"
        )))
        .get_result(&mut conn)
        .await
        .expect("count")
    }
}

impl TestApp {
    /// Pays a PaymentIntent at the emulator as a client would: attach a payment method, confirm.
    pub async fn pay(&self, intent: &str, payment_method: &str) -> Value {
        let base = stripe_base();
        let res = self
            .http
            .post(format!("{base}v1/payment_intents/{intent}"))
            .basic_auth("sk_test_slotwise_local", Some(""))
            .form(&[("payment_method", payment_method)])
            .send()
            .await
            .expect("attach");
        assert!(res.status().is_success(), "{:?}", res.text().await);
        let res = self
            .http
            .post(format!("{base}v1/payment_intents/{intent}/confirm"))
            .basic_auth("sk_test_slotwise_local", Some(""))
            .send()
            .await
            .expect("confirm");
        res.json().await.expect("json")
    }

    /// Changes a PaymentIntent at the emulator (`POST /v1/payment_intents/{id}`).
    pub async fn update_intent(&self, intent: &str, form: &[(&str, &str)]) -> (StatusCode, Value) {
        let res = self
            .http
            .post(format!("{}v1/payment_intents/{intent}", stripe_base()))
            .basic_auth("sk_test_slotwise_local", Some(""))
            .form(form)
            .send()
            .await
            .expect("update intent");
        status_and_json(res).await
    }

    pub async fn stripe_get(&self, path: &str) -> Value {
        self.http
            .get(format!("{}v1/{path}", stripe_base()))
            .basic_auth("sk_test_slotwise_local", Some(""))
            .send()
            .await
            .expect("stripe get")
            .json()
            .await
            .expect("json")
    }

    /// PaymentIntents at the emulator whose metadata names `booking_id`.
    pub async fn intents_of(&self, booking_id: &str) -> Vec<Value> {
        let mut found = Vec::new();
        let mut after: Option<String> = None;
        loop {
            let path = match &after {
                Some(a) => format!("payment_intents?limit=100&starting_after={a}"),
                None => "payment_intents?limit=100".to_owned(),
            };
            let page = self.stripe_get(&path).await;
            let data = page["data"].as_array().cloned().unwrap_or_default();
            found.extend(
                data.iter()
                    .filter(|pi| pi["metadata"]["booking_id"] == booking_id)
                    .cloned(),
            );
            match (page["has_more"].as_bool(), data.last()) {
                (Some(true), Some(last)) => after = last["id"].as_str().map(str::to_owned),
                _ => return found,
            }
        }
    }

    pub async fn get_booking(&self, token: Option<&str>, id: &str) -> Value {
        let mut req = self.http.get(self.url(&format!("/bookings/{id}")));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        req.send().await.expect("get").json().await.expect("json")
    }

    /// Polls the booking until `done` holds. Webhooks arrive about a second after
    /// payment, later on a loaded machine: the emulator delivers every event to
    /// every test's endpoint in turn.
    pub async fn wait_for(
        &self,
        token: Option<&str>,
        id: &str,
        done: impl Fn(&Value) -> bool,
    ) -> Value {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
        loop {
            let booking = self.get_booking(token, id).await;
            if done(&booking) {
                return booking;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "timed out waiting; last: {booking}"
            );
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
    }

    /// Sends a webhook signed with our secret at `timestamp` (now when `None`).
    pub async fn send_event(&self, event: &Value, timestamp: Option<i64>) -> Response {
        let body = serde_json::to_vec(event).expect("json");
        let t = timestamp.unwrap_or_else(|| Utc::now().timestamp());
        let header = slotwise_booking::stripe::signature::sign(
            &self.state.config.stripe_webhook_secret,
            &body,
            t,
        );
        self.http
            .post(self.url("/webhooks/stripe"))
            .header("Stripe-Signature", header)
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .expect("webhook")
    }

    pub async fn sql_i64(&self, query: &str) -> i64 {
        use diesel_async::RunQueryDsl;
        let mut conn = self.state.pool.get().await.expect("conn");
        diesel::select(diesel::dsl::sql::<diesel::sql_types::BigInt>(&format!(
            "({query})"
        )))
        .get_result(&mut conn)
        .await
        .expect("query")
    }

    pub async fn sql_text(&self, query: &str) -> String {
        use diesel_async::RunQueryDsl;
        let mut conn = self.state.pool.get().await.expect("conn");
        diesel::select(diesel::dsl::sql::<diesel::sql_types::Text>(&format!(
            "({query})"
        )))
        .get_result(&mut conn)
        .await
        .expect("query")
    }

    /// `GET /metrics` as text.
    pub async fn metrics(&self) -> String {
        let res = self
            .http
            .get(self.url("/metrics"))
            .send()
            .await
            .expect("metrics");
        assert_eq!(res.status(), StatusCode::OK);
        let content_type = res.headers()["content-type"].to_str().expect("ascii");
        assert!(content_type.starts_with("text/plain"), "{content_type}");
        res.text().await.expect("text")
    }

    pub async fn sql(&self, statement: &str) {
        use diesel_async::SimpleAsyncConnection;
        let mut conn = self.state.pool.get().await.expect("conn");
        conn.batch_execute(statement).await.expect("statement");
    }
}

/// The PaymentIntent id of a paid booking's answer.
pub fn intent_of(booking: &Value) -> &str {
    booking["payment"]["payment_intent_id"]
        .as_str()
        .expect("payment intent")
}

/// A peer that accepts connections and never says a word (a Stripe that hangs).
pub async fn silent_peer() -> std::net::SocketAddr {
    let silent = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = silent.local_addr().expect("addr");
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = silent.accept().await {
            held.push(socket);
        }
    });
    addr
}

/// A Stripe event as Stripe would send it.
pub fn event(kind: &str, object: Value) -> Value {
    json!({
        "id": format!("evt_{}", uuid::Uuid::new_v4().simple()),
        "object": "event",
        "type": kind,
        "created": Utc::now().timestamp(),
        "data": { "object": object },
    })
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
