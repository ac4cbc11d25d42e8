//! Demo data for `scripts/run`: `pro1` and friends around Accra, availability
//! on the coming days, and a demo client. Loading it twice changes nothing.

use crate::auth::hash_password;
use chrono::{Duration, DurationRound, Utc};
use slotwise_db::DbPool;
use slotwise_db::availability::AvailabilityWindow;
use slotwise_db::professionals::{Professional, ProfessionalRef};
use slotwise_db::users::User;
use uuid::Uuid;

pub const DEMO_CLIENT_EMAIL: &str = "demo@slotwise.dev";
pub const DEMO_PRO_EMAIL: &str = "pros@slotwise.dev";
pub const DEMO_PASSWORD: &str = "demo-password";
const CATEGORIES: [&str; 5] = ["Plumber", "Electrician", "Tutor", "Trainer", "Consultant"];
const CENTER: (f64, f64) = (5.6037, -0.187);

/// A small deterministic generator, so demo data is the same on every machine.
fn jitter(i: u64, salt: u64) -> f64 {
    let x = (i
        .wrapping_mul(6364136223846793005)
        .wrapping_add(salt.wrapping_mul(1442695040888963407)))
        >> 33;
    (x % 10_000) as f64 / 10_000.0 - 0.5
}

pub(crate) async fn ensure_user(
    pool: &DbPool,
    email: &str,
    name: &str,
    role: &str,
) -> anyhow::Result<User> {
    let mut conn = pool.get().await?;
    if let Some(user) = User::find_by_email(&mut conn, email).await? {
        return Ok(user);
    }
    let user = User {
        id: Uuid::now_v7(),
        email: email.to_owned(),
        name: name.to_owned(),
        password_hash: hash_password(DEMO_PASSWORD.to_owned())
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?,
        role: role.to_owned(),
        created_at: Utc::now(),
        // The demo's accounts are the project's own addresses.
        email_verified_at: Some(Utc::now()),
    };
    User::insert(&mut conn, &user).await?;
    Ok(user)
}

pub struct DemoSummary {
    pub professionals_added: usize,
    pub windows_added: usize,
}

/// Loads the demo data; `extra` professionals join `pro1`.
pub async fn load(pool: &DbPool, extra: u64, days: i64) -> anyhow::Result<DemoSummary> {
    ensure_user(pool, DEMO_CLIENT_EMAIL, "Demo Client", "client").await?;
    let owner = ensure_user(pool, DEMO_PRO_EMAIL, "Demo Professionals", "professional").await?;
    let now = Utc::now();
    let pros: Vec<Professional> = (0..=extra)
        .map(|i| {
            let (slug, lat, long, category, rate) = if i == 0 {
                ("pro1".to_owned(), CENTER.0, CENTER.1, "Plumber", 100)
            } else {
                let category = CATEGORIES[(i % CATEGORIES.len() as u64) as usize];
                // Within about ±0.2° (≈ 22 km) of the centre.
                let lat = CENTER.0 + jitter(i, 1) * 0.4;
                let long = CENTER.1 + jitter(i, 2) * 0.4;
                let rate = 20 + (i * 37 % 200) as i64;
                (format!("pro{}", i + 1), lat, long, category, rate)
            };
            Professional {
                id: Uuid::now_v7(),
                slug: slug.clone(),
                owner_id: owner.id,
                name: format!("{category} {slug}"),
                category: category.to_owned(),
                description: format!("Demo {} near Accra", category.to_lowercase()),
                rate_per_minute: rate,
                currency: "usd".to_owned(),
                lat,
                long,
                service_radius_km: (i % 3 == 0 && i > 0).then_some(15.0),
                timezone: "Africa/Accra".to_owned(),
                version: 1,
                created_at: now,
                updated_at: now,
            }
        })
        .collect();
    let mut conn = pool.get().await?;
    let professionals_added = Professional::insert_missing(&mut conn, &pros).await?;
    let today = now.duration_trunc(Duration::days(1))?;
    let mut windows_added = 0;
    for pro in &pros {
        let Some(stored) =
            Professional::find(&mut conn, &ProfessionalRef::Slug(pro.slug.clone())).await?
        else {
            continue;
        };
        if stored.slug == "pro1" {
            // pro1 keeps a weekly schedule in its own zone rather than one-off windows.
            let mut conn = pool.get().await?;
            if slotwise_db::schedules::Schedule::find(&mut conn, stored.id)
                .await?
                .is_none()
            {
                windows_added += demo_schedule(pool, stored.id).await?;
            }
            continue;
        }
        let windows: Vec<AvailabilityWindow> = (0..days)
            .map(|d| AvailabilityWindow {
                id: Uuid::now_v7(),
                professional_id: stored.id,
                start_time: today + Duration::days(d) + Duration::hours(8),
                end_time: today + Duration::days(d) + Duration::hours(18),
                created_at: now,
            })
            .collect();
        windows_added += AvailabilityWindow::insert_missing(&mut conn, &windows).await?;
    }
    Ok(DemoSummary {
        professionals_added,
        windows_added,
    })
}

/// pro1's week: every day 08:00-18:00 in Africa/Accra, 60 days ahead; the
/// days it opened.
async fn demo_schedule(pool: &DbPool, professional_id: Uuid) -> anyhow::Result<usize> {
    use crate::schedules::{self, ScheduleRequest, WeeklyInterval};
    let req = ScheduleRequest {
        timezone: slotwise_web::Text("Africa/Accra".to_owned()),
        weekly: schedules::expand::DAYS
            .into_iter()
            .map(|(day, _)| WeeklyInterval {
                day: slotwise_web::Text(day.to_owned()),
                start: slotwise_web::Text("08:00".to_owned()),
                end: slotwise_web::Text("18:00".to_owned()),
            })
            .collect(),
        exceptions: Vec::new(),
        buffer_minutes: 0,
        min_notice_minutes: 0,
        max_advance_days: 60,
    };
    let week = schedules::parse(&req).map_err(|e| anyhow::anyhow!("demo schedule: {e:?}"))?;
    schedules::save(pool, professional_id, &req, &week, None)
        .await
        .map_err(|e| anyhow::anyhow!("demo schedule: {e:?}"))?;
    Ok(60)
}
