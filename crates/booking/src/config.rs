//! Configuration of the booking service, from environment variables only.
//!
//! | variable | default | meaning |
//! |---|---|---|
//! | `DATABASE_URL` | `postgres://postgres@127.0.0.1:5432/slotwise` | primary database |
//! | `DATABASE_POOL_SIZE` | `16` | connections per instance |
//! | `BOOKING_LISTEN` | `127.0.0.1:3000` | address to serve on |
//! | `BOOKING_HOLD_MINUTES` | `15` | how long an unpaid booking holds its slot |
//! | `SESSION_TTL_DAYS` | `90` | session lifetime |
//! | `IDEMPOTENCY_TTL_HOURS` | `24` | how long a key is remembered |
//! | `COOKIE_SECURE` | `true` | mark the session cookie `Secure` |
//! | `IDEMPOTENCY_LEASE_SECS` | `30` | after this, an unfinished request may be resumed by a retry or the completer |
//! | `STRIPE_SECRET_KEY` | `sk_test_slotwise_local` | Stripe API key (test keys, or anything for the emulator) |
//! | `STRIPE_WEBHOOK_SECRET` | `whsec_slotwise_local` | signing secret of the webhook endpoint |
//! | `STRIPE_API_BASE` | `https://api.stripe.com/` | where Stripe is; the emulator's address in development |
//! | `STRIPE_TIMEOUT_SECS` | `10` | per-call timeout |
//! | `LATE_CANCEL_REFUND_PERCENT` | `50` | refund share when a confirmed booking is cancelled < 24 h before start |
//! | `JOBS_ENABLED` | `true` | run the background jobs in this instance |
//! | `JOBS_INTERVAL_SECS` | `5` | pause between job rounds |
//! | `RECONCILE_AFTER_SECS` | `60` | ask Stripe about a pending booking after this long without news |
//! | `AUTH_RATE_PER_MINUTE` | `20` | sign-ins/sign-ups per IP and per email each minute (429 above) |
//! | `BOOKING_RATE_PER_MINUTE` | `120` | bookings per user (or IP when anonymous) each minute |
//! | `TRUST_FORWARDED_FOR` | `false` | take the client IP from `X-Forwarded-For` (behind our proxy only) |

use anyhow::Context;
use chrono::Duration;
use std::str::FromStr;

#[derive(Clone)]
pub struct Config {
    pub database_url: String,
    pub pool_size: usize,
    pub listen: String,
    pub hold: Duration,
    pub session_ttl: Duration,
    pub idempotency_ttl: Duration,
    pub cookie_secure: bool,
    pub idempotency_lease: Duration,
    pub stripe_secret_key: String,
    pub stripe_webhook_secret: String,
    pub stripe_api_base: String,
    pub stripe_timeout: std::time::Duration,
    pub late_cancel_refund_percent: i64,
    pub jobs_enabled: bool,
    pub jobs_interval: std::time::Duration,
    pub reconcile_after: Duration,
    /// Body limit, security headers, CORS (`MAX_BODY_BYTES`, `CORS_ALLOWED_ORIGINS`).
    pub hardening: slotwise_web::hardening::Hardening,
    pub auth_rate_per_minute: u32,
    pub booking_rate_per_minute: u32,
    pub trust_forwarded_for: bool,
}

impl std::fmt::Debug for Config {
    // The database URL may carry a password: never print it.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Config")
            .field("pool_size", &self.pool_size)
            .field("listen", &self.listen)
            .field("hold", &self.hold)
            .finish_non_exhaustive()
    }
}

pub const DEFAULT_DATABASE_URL: &str = "postgres://postgres@127.0.0.1:5432/slotwise";

fn var<T: FromStr>(name: &str, default: T) -> anyhow::Result<T>
where
    T::Err: std::fmt::Display,
{
    match std::env::var(name) {
        Ok(v) if !v.is_empty() => v
            .parse()
            .map_err(|e| anyhow::anyhow!("{e}"))
            .with_context(|| format!("{name} is not valid")),
        _ => Ok(default),
    }
}

impl Config {
    pub fn from_env() -> anyhow::Result<Self> {
        Ok(Self {
            database_url: var("DATABASE_URL", DEFAULT_DATABASE_URL.to_owned())?,
            pool_size: var("DATABASE_POOL_SIZE", 16)?,
            listen: var("BOOKING_LISTEN", "127.0.0.1:3000".to_owned())?,
            hold: Duration::minutes(var("BOOKING_HOLD_MINUTES", 15)?),
            session_ttl: Duration::days(var("SESSION_TTL_DAYS", 90)?),
            idempotency_ttl: Duration::hours(var("IDEMPOTENCY_TTL_HOURS", 24)?),
            cookie_secure: var("COOKIE_SECURE", true)?,
            idempotency_lease: Duration::seconds(var("IDEMPOTENCY_LEASE_SECS", 30)?),
            stripe_secret_key: var("STRIPE_SECRET_KEY", "sk_test_slotwise_local".to_owned())?,
            stripe_webhook_secret: var("STRIPE_WEBHOOK_SECRET", "whsec_slotwise_local".to_owned())?,
            stripe_api_base: var("STRIPE_API_BASE", "https://api.stripe.com/".to_owned())?,
            stripe_timeout: std::time::Duration::from_secs(var("STRIPE_TIMEOUT_SECS", 10)?),
            late_cancel_refund_percent: var("LATE_CANCEL_REFUND_PERCENT", 50)?.clamp(0, 100),
            jobs_enabled: var("JOBS_ENABLED", true)?,
            jobs_interval: std::time::Duration::from_secs(var("JOBS_INTERVAL_SECS", 5)?),
            reconcile_after: Duration::seconds(var("RECONCILE_AFTER_SECS", 60)?),
            hardening: slotwise_web::hardening::Hardening::from_env()?,
            auth_rate_per_minute: var("AUTH_RATE_PER_MINUTE", 20)?,
            booking_rate_per_minute: var("BOOKING_RATE_PER_MINUTE", 120)?,
            trust_forwarded_for: var("TRUST_FORWARDED_FOR", false)?,
        })
    }

    /// Defaults for a given database, as tests use them.
    pub fn for_database(database_url: &str) -> Self {
        Self {
            database_url: database_url.to_owned(),
            pool_size: 16,
            listen: "127.0.0.1:0".to_owned(),
            hold: Duration::minutes(15),
            session_ttl: Duration::days(90),
            idempotency_ttl: Duration::hours(24),
            cookie_secure: false,
            idempotency_lease: Duration::seconds(30),
            stripe_secret_key: "sk_test_slotwise_local".to_owned(),
            stripe_webhook_secret: "whsec_slotwise_local".to_owned(),
            stripe_api_base: "http://127.0.0.1:8420/".to_owned(),
            stripe_timeout: std::time::Duration::from_secs(10),
            late_cancel_refund_percent: 50,
            jobs_enabled: false,
            jobs_interval: std::time::Duration::from_secs(1),
            reconcile_after: Duration::seconds(60),
            hardening: slotwise_web::hardening::Hardening::default(),
            auth_rate_per_minute: 1000,
            booking_rate_per_minute: 100_000,
            trust_forwarded_for: false,
        }
    }
}
