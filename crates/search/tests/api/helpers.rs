//! `spawn_app()` plus direct inserts of the rows a search reads.

use chrono::{DateTime, Duration, DurationRound, Utc};
use reqwest::StatusCode;
use serde_json::Value;
use slotwise_db::availability::AvailabilityWindow;
use slotwise_db::bookings::{Booking, NewBooking};
use slotwise_db::professionals::Professional;
use slotwise_db::users::User;
use slotwise_search::{AppState, Config, build_app};
use uuid::Uuid;

pub const CENTER: (f64, f64) = (5.6037, -0.187);
/// Degrees of latitude in one kilometre.
pub const KM: f64 = 1.0 / 111.195;

pub struct TestApp {
    pub base: String,
    pub http: reqwest::Client,
    pub state: AppState,
    pub owner: Uuid,
}

pub async fn spawn_app() -> TestApp {
    let database_url = slotwise_db::testing::create_test_database()
        .await
        .expect("test database");
    let state = AppState::new(&Config::for_database(&database_url)).expect("state");
    let bound = slotwise_web::serve::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let base = format!("http://{}", bound.addr);
    tokio::spawn(bound.serve(build_app(state.clone()), std::future::pending()));
    let owner = User {
        id: Uuid::now_v7(),
        email: "owner@example.com".into(),
        name: "Owner".into(),
        password_hash: "not-a-real-hash".into(),
        role: "professional".into(),
        created_at: Utc::now(),
        email_verified_at: None,
    };
    let mut conn = state.pool.get().await.expect("conn");
    User::insert(&mut conn, &owner).await.expect("owner");
    TestApp {
        base,
        http: reqwest::Client::new(),
        state,
        owner: owner.id,
    }
}

pub fn day_after_tomorrow_at(hour: i64) -> DateTime<Utc> {
    Utc::now().duration_trunc(Duration::days(1)).expect("day")
        + Duration::days(2)
        + Duration::hours(hour)
}

impl TestApp {
    /// A professional `km_north` kilometres north of [`CENTER`].
    pub async fn pro(
        &self,
        slug: &str,
        category: &str,
        rate: i64,
        km_north: f64,
        service_radius_km: Option<f64>,
    ) -> Uuid {
        let now = Utc::now();
        let pro = Professional {
            id: Uuid::now_v7(),
            slug: slug.into(),
            owner_id: self.owner,
            name: slug.into(),
            category: category.into(),
            description: String::new(),
            rate_per_minute: rate,
            currency: "usd".into(),
            lat: CENTER.0 + km_north * KM,
            long: CENTER.1,
            service_radius_km,
            timezone: "UTC".into(),
            version: 1,
            created_at: now,
            updated_at: now,
        };
        let mut conn = self.state.pool.get().await.expect("conn");
        Professional::insert(&mut conn, &pro)
            .await
            .expect("insert pro");
        pro.id
    }

    pub async fn window(&self, pro: Uuid, start: DateTime<Utc>, hours: i64) {
        let mut conn = self.state.pool.get().await.expect("conn");
        let window = AvailabilityWindow {
            id: Uuid::now_v7(),
            professional_id: pro,
            start_time: start,
            end_time: start + Duration::hours(hours),
            created_at: Utc::now(),
        };
        AvailabilityWindow::insert(&mut conn, &window)
            .await
            .expect("window");
    }

    pub async fn booking(&self, pro: Uuid, start: DateTime<Utc>, minutes: i64, status: &str) {
        let mut conn = self.state.pool.get().await.expect("conn");
        let now = Utc::now();
        let booking = NewBooking {
            id: Uuid::now_v7(),
            professional_id: pro,
            client_id: None,
            start_time: start,
            end_time: start + Duration::minutes(minutes),
            duration_minutes: i32::try_from(minutes).expect("minutes"),
            price_cents: 0,
            currency: "usd".into(),
            status: slotwise_db::status::Status::parse(status).expect("status"),
            expires_at: None,
            created_at: now,
            updated_at: now,
            client_ip: None,
            blocked_until: None,
        };
        Booking::insert(&mut conn, &booking).await.expect("booking");
    }

    pub async fn get(&self, path: &str, query: &[(&str, String)]) -> (StatusCode, Value) {
        let res = self
            .http
            .get(format!("{}{}", self.base, path))
            .query(query)
            .send()
            .await
            .expect("get");
        let status = res.status();
        if !status.is_success() {
            assert_eq!(res.headers()["content-type"], "application/problem+json");
        }
        (status, res.json().await.expect("json"))
    }

    pub async fn search(&self, query: &[(&str, String)]) -> (StatusCode, Value) {
        self.get("/search/professionals", query).await
    }
}

pub fn near_center(radius_km: f64) -> Vec<(&'static str, String)> {
    vec![
        ("lat", CENTER.0.to_string()),
        ("long", CENTER.1.to_string()),
        ("location_radius_km", radius_km.to_string()),
    ]
}

pub fn slugs(page: &Value) -> Vec<String> {
    page["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|p| p["slug"].as_str().expect("slug").to_owned())
        .collect()
}
