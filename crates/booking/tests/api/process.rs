//! The real `booking` binary, as an operator runs it: JSON logs that carry the
//! request id and no secret, and SIGTERM letting an in-flight request and the
//! job round finish before the process exits.

use crate::helpers::{TestApp, stripe_base, tomorrow_at};
use diesel_async::{AsyncConnection, AsyncPgConnection, SimpleAsyncConnection};
use reqwest::StatusCode;
use serde_json::{Value, json};
use slotwise_booking::{AppState, Config};
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

pub(crate) struct Process {
    child: Child,
    lines: Arc<Mutex<Vec<String>>>,
    pub(crate) app: TestApp,
}

impl Process {
    async fn start() -> Self {
        Self::start_with(&[]).await
    }

    /// The binary with `env` added to (or overriding) the usual environment.
    pub(crate) async fn start_with(env: &[(&str, &str)]) -> Self {
        let database_url = slotwise_db::testing::create_test_database()
            .await
            .expect("test database");
        let mut child = Command::new(env!("CARGO_BIN_EXE_booking"))
            .arg("serve")
            .env("DATABASE_URL", &database_url)
            .env("BOOKING_LISTEN", "127.0.0.1:0")
            .env("LOG_FORMAT", "json")
            // Everything, and rules that try to lift the cap on libraries whose
            // debug output holds query parameters and headers.
            .env(
                "RUST_LOG",
                "trace,tokio_postgres::query=trace,hyper::proto=trace,reqwest::connect=trace,[request]=trace",
            )
            .env("STRIPE_API_BASE", stripe_base())
            .env("JOBS_INTERVAL_SECS", "1")
            .env("SLOTWISE_ENV", "development")
            .envs(env.iter().copied())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .expect("the booking binary starts");
        let lines = Arc::new(Mutex::new(Vec::new()));
        let mut reader = BufReader::new(child.stderr.take().expect("stderr")).lines();
        let sink = lines.clone();
        tokio::spawn(async move {
            while let Ok(Some(line)) = reader.next_line().await {
                sink.lock().expect("lines").push(line);
            }
        });
        let mut process = Self {
            child,
            lines,
            app: TestApp {
                base: String::new(),
                http: reqwest::Client::new(),
                state: AppState::new(Config::for_database(&database_url)).expect("state"),
            },
        };
        let listening = process.wait_for_log("booking service listening").await;
        let addr = listening["fields"]["addr"]
            .as_str()
            .expect("addr")
            .to_owned();
        process.app.base = format!("http://{addr}");
        process
    }

    pub(crate) fn logs(&self) -> Vec<String> {
        self.lines.lock().expect("lines").clone()
    }

    /// Polls the log until a line with `message` appears, and returns it parsed.
    pub(crate) async fn wait_for_log(&self, message: &str) -> Value {
        for _ in 0..600 {
            let found = self.logs().iter().find_map(|line| {
                serde_json::from_str::<Value>(line)
                    .ok()
                    .filter(|v| v["fields"]["message"] == message)
            });
            if let Some(found) = found {
                return found;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("no log line {message:?} in 30 s: {:?}", self.logs());
    }
}

#[tokio::test]
async fn json_logs_carry_the_request_id_and_never_a_password_token_or_secret() {
    let process = Process::start().await;
    let app = &process.app;
    let pro = app.pro(50).await; // signs up with the password "correct horse"
    let email = format!("{}@example.com", uuid::Uuid::new_v4().simple());
    let password = format!("pw-{}", uuid::Uuid::new_v4().simple());
    let res = app
        .http
        .post(app.url("/api/users/signup"))
        .json(&json!({ "email": email, "password": password, "name": "Kofi", "role": "client" }))
        .send()
        .await
        .expect("signup");
    assert_eq!(res.status(), StatusCode::ACCEPTED);
    let res = app
        .http
        .post(app.url("/api/users/signin"))
        .json(&json!({ "email": email, "password": password }))
        .send()
        .await
        .expect("signin");
    assert_eq!(res.status(), StatusCode::OK);
    let token = res.json::<Value>().await.expect("json")["token"]
        .as_str()
        .expect("token")
        .to_owned();
    let res = app
        .http
        .post(app.url("/bookings"))
        .bearer_auth(&token)
        .header("Idempotency-Key", "log-check-1")
        .header("X-Request-Id", "trace-me-42")
        .json(&json!({
            "professional_id": pro.id,
            "start_time": tomorrow_at(9).to_rfc3339(),
            "duration_minutes": 30,
        }))
        .send()
        .await
        .expect("book");
    assert_eq!(res.status(), StatusCode::CREATED);
    let booking: Value = res.json().await.expect("json");
    let client_secret = booking["payment"]["client_secret"]
        .as_str()
        .expect("a paid booking has a client secret")
        .to_owned();

    let finished = process.wait_for_log("request finished").await;
    assert!(finished["span"]["request_id"].is_string(), "{finished}");
    let logs = process.logs();
    let traced = logs.iter().any(|line| {
        serde_json::from_str::<Value>(line).is_ok_and(|v| {
            v["span"]["request_id"] == "trace-me-42"
                && v["fields"]["message"] == "request finished"
                && v["fields"]["status"] == 201
        })
    });
    assert!(traced, "the booking's request id is in its log line");
    for line in &logs {
        assert!(
            serde_json::from_str::<Value>(line).is_ok(),
            "not JSON: {line}"
        );
        // Spans made only for traces stay out of the logs, even at `trace`:
        // a line's span is its request's.
        assert!(
            !line.contains("db.transaction") && !line.contains("slotwise_trace"),
            "a trace-only span reached the logs: {line}"
        );
        for secret in [
            password.as_str(),
            "correct horse",
            token.as_str(),
            pro.token.as_str(),
            client_secret.as_str(),
            "sk_test_slotwise_local",
            "whsec_slotwise_local",
        ] {
            // Raw, and as the byte list tokio-postgres prints query parameters as.
            let bytes = secret.bytes().map(|b| b.to_string()).collect::<Vec<_>>();
            assert!(!line.contains(secret), "a secret was logged: {line}");
            assert!(
                !line.contains(&bytes.join(", ")),
                "a secret was logged as bytes: {line}"
            );
        }
    }
}

#[tokio::test]
async fn sigterm_lets_the_request_in_flight_finish_then_exits_cleanly() {
    let mut process = Process::start().await;
    let pro = process.app.pro(50).await;
    // A request that waits on a lock this test holds: in flight for as long as we like.
    let database_url = process.app.state.config.database_url.clone();
    let mut locker = AsyncPgConnection::establish(&database_url)
        .await
        .expect("connect");
    locker
        .batch_execute("BEGIN; LOCK TABLE professionals IN ACCESS EXCLUSIVE MODE")
        .await
        .expect("lock");
    let in_flight = tokio::spawn({
        let (http, url) = (
            process.app.http.clone(),
            process.app.url(&format!("/professionals/{}", pro.id)),
        );
        async move { http.get(url).send().await }
    });
    let mut waiting = 0;
    for _ in 0..600 {
        waiting = process
            .app
            .count_rows("pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock' AND query LIKE '%professionals%'")
            .await;
        if waiting > 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(waiting > 0, "the request waits on the lock");

    let pid = process.child.id().expect("pid").to_string();
    let killed = Command::new("kill").args(["-TERM", &pid]).status().await;
    assert!(killed.expect("kill").success());
    process.wait_for_log("shutting down").await;
    // No new connections once shutdown began (polled: the listener closes right after the signal).
    let mut refused = false;
    for _ in 0..100 {
        let fresh = reqwest::Client::builder().build().expect("client");
        if fresh.get(process.app.url("/healthz")).send().await.is_err() {
            refused = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(refused, "new connections are refused after SIGTERM");
    assert!(!in_flight.is_finished(), "the request is still waiting");

    locker.batch_execute("COMMIT").await.expect("unlock");
    let res = in_flight
        .await
        .expect("join")
        .expect("the in-flight request is answered");
    assert_eq!(res.status(), StatusCode::OK);
    let body: Value = res.json().await.expect("json");
    assert_eq!(body["id"], pro.id);
    let status = tokio::time::timeout(Duration::from_secs(60), process.child.wait())
        .await
        .expect("the process exits")
        .expect("status");
    assert!(status.success(), "exit status {status}");
}
