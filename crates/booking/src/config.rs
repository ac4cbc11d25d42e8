//! Configuration of the booking service, from environment variables only.
//!
//! | variable | default | meaning |
//! |---|---|---|
//! | `DATABASE_URL` | `postgres://postgres@127.0.0.1:5432/slotwise` | primary database |
//! | `DATABASE_POOL_SIZE` | `16` | connections per instance |
//! | `BOOKING_LISTEN` | `127.0.0.1:3000` | address to serve on |
//! | `BOOKING_HOLD_MINUTES` | `15` | how long an unpaid booking (or ticket order) holds its slot (or tickets) |
//! | `SESSION_TTL_DAYS` | `90` | session lifetime |
//! | `IDEMPOTENCY_TTL_HOURS` | `24` | how long a key is remembered |
//! | `IDEMPOTENCY_LEASE_SECS` | `30` | after this, an unfinished request may be resumed by a retry or the completer |
//! | `SLOTWISE_ENV` | `production` | `development` allows the emulator's public Stripe secrets below |
//! | `STRIPE_SECRET_KEY` | none (`sk_test_slotwise_local` in development) | Stripe API key (test keys, or anything for the emulator) |
//! | `STRIPE_WEBHOOK_SECRET` | none (`whsec_slotwise_local` in development) | signing secret of the webhook endpoint |
//! | `TICKET_SIGNING_SECRET` | none (a public value in development) | derives each event's Ed25519 key that signs ticket codes (`crate::codes`); changing it voids every code |
//! | `STRIPE_API_BASE` | `https://api.stripe.com/` | where Stripe is; the emulator's address in development |
//! | `STRIPE_TIMEOUT_SECS` | `10` | per-call timeout |
//! | `LATE_CANCEL_REFUND_PERCENT` | `50` | refund share when a client cancels a confirmed booking < 24 h before start |
//! | `MAX_UNPAID_HOLDS_PER_USER` | `5` | unpaid (pending) bookings one user may hold at once |
//! | `RESALE_FEE_PERCENT` | `10` | the platform's share of a resale; the seller's payout is the rest |
//! | `MAX_UNPAID_HOLDS_PER_IP` | `20` | unpaid bookings all users of one IP may hold at once |
//! | `JOBS_ENABLED` | `true` | run the background jobs in this instance |
//! | `JOBS_INTERVAL_SECS` | `5` | pause between job rounds |
//! | `RECONCILE_AFTER_SECS` | `60` | ask Stripe about a pending booking after this long without news |
//! | `AUTH_RATE_PER_MINUTE` | `20` | sign-ins/sign-ups per IP and per email each minute (429 above) |
//! | `BOOKING_RATE_PER_MINUTE` | `120` | bookings per user (or IP when anonymous) each minute |
//! | `TRUST_FORWARDED_FOR` | `false` | take the client IP from `X-Forwarded-For` (behind our proxy only) |
//! | `SMTP_URL`, `NATS_URL`, `NOTIFY_*`, `WEBHOOK_*` | | notifications: see `crate::notify::config` |
//! | `UI_DIR`, `PUBLIC_SEARCH_URL`, `STRIPE_PUBLISHABLE_KEY`, `STRIPE_JS_URL` | | the web app: see `crate::ui` |

use anyhow::Context;
use chrono::Duration;
use std::str::FromStr;

#[derive(Clone)]
pub struct Config {
    pub environment: Environment,
    pub database_url: String,
    pub pool_size: usize,
    /// `DATABASE_STATEMENT_TIMEOUT_MS`: longer queries are cut off and answered 503.
    pub statement_timeout: std::time::Duration,
    pub listen: String,
    pub hold: Duration,
    pub session_ttl: Duration,
    pub idempotency_ttl: Duration,
    pub idempotency_lease: Duration,
    pub stripe_secret_key: String,
    pub stripe_webhook_secret: String,
    pub ticket_signing_secret: String,
    pub stripe_api_base: String,
    pub stripe_timeout: std::time::Duration,
    pub late_cancel_refund_percent: i64,
    pub max_unpaid_holds_per_user: i64,
    /// The platform's share of a resale, in percent of its price.
    pub resale_fee_percent: i64,
    pub max_unpaid_holds_per_ip: i64,
    /// How long units offered to the first person on a waiting list stay
    /// held for them (`WAITLIST_OFFER_MINUTES`, default 30).
    pub waitlist_offer_minutes: i64,
    pub jobs_enabled: bool,
    pub jobs_interval: std::time::Duration,
    pub reconcile_after: Duration,
    /// Body limit, security headers, CORS (`MAX_BODY_BYTES`, `CORS_ALLOWED_ORIGINS`).
    pub hardening: slotwise_web::hardening::Hardening,
    pub auth_rate_per_minute: u32,
    pub booking_rate_per_minute: u32,
    pub trust_forwarded_for: bool,
    /// Mail, webhooks and the bus (`crate::notify::config` lists the variables).
    pub notify: crate::notify::NotifyConfig,
    /// The web app at `/` (`crate::ui` lists its variables).
    pub ui: crate::ui::UiConfig,
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

/// Where the service runs: development allows the emulator's public secrets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Environment {
    Development,
    Production,
}

/// The emulator's secrets, public in this repository: never valid outside development.
pub const DEV_STRIPE_SECRET_KEY: &str = "sk_test_slotwise_local";
pub const DEV_STRIPE_WEBHOOK_SECRET: &str = "whsec_slotwise_local";
/// Public too: codes signed with it are forgeable by anyone who reads this.
pub const DEV_TICKET_SIGNING_SECRET: &str = "slotwise-local-ticket-signing";

/// Reads variables through `lookup` (the process environment, or a map in tests).
struct Vars<F>(F);

impl<F: Fn(&str) -> Option<String>> Vars<F> {
    fn get<T: FromStr>(&self, name: &str, default: T) -> anyhow::Result<T>
    where
        T::Err: std::fmt::Display,
    {
        match (self.0)(name) {
            Some(v) if !v.is_empty() => v
                .parse()
                .map_err(|e| anyhow::anyhow!("{e}"))
                .with_context(|| format!("{name} is not valid")),
            _ => Ok(default),
        }
    }

    /// A secret: required outside development, where the public default is refused too.
    fn secret(&self, name: &str, env: Environment, dev_default: &str) -> anyhow::Result<String> {
        let value = (self.0)(name)
            .map(|v| v.trim().to_owned())
            .filter(|v| !v.is_empty());
        match (value, env) {
            (Some(v), Environment::Production) if v == dev_default => anyhow::bail!(
                "{name} is the public development value; set the real secret (or SLOTWISE_ENV=development)"
            ),
            (Some(v), _) => Ok(v),
            (None, Environment::Development) => Ok(dev_default.to_owned()),
            (None, Environment::Production) => anyhow::bail!(
                "{name} must be set (or SLOTWISE_ENV=development to use the emulator's public value)"
            ),
        }
    }
}

impl Config {
    pub fn from_env() -> anyhow::Result<Self> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// The configuration `lookup` describes; fails naming the first bad variable.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> anyhow::Result<Self> {
        let vars = Vars(lookup);
        let environment = match vars.get("SLOTWISE_ENV", "production".to_owned())?.as_str() {
            "development" => Environment::Development,
            "production" => Environment::Production,
            other => {
                anyhow::bail!("SLOTWISE_ENV must be `development` or `production`, not {other:?}")
            }
        };
        let stripe_api_base = vars.get("STRIPE_API_BASE", "https://api.stripe.com/".to_owned())?;
        let ui = crate::ui::UiConfig::from_lookup(
            &vars.0,
            &stripe_api_base,
            environment == Environment::Development,
        );
        Ok(Self {
            environment,
            ui,
            statement_timeout: std::time::Duration::from_millis(vars.get(
                "DATABASE_STATEMENT_TIMEOUT_MS",
                slotwise_db::pool::DEFAULT_STATEMENT_TIMEOUT.as_millis() as u64,
            )?),
            database_url: vars.get("DATABASE_URL", DEFAULT_DATABASE_URL.to_owned())?,
            pool_size: vars.get("DATABASE_POOL_SIZE", 16)?,
            listen: vars.get("BOOKING_LISTEN", "127.0.0.1:3000".to_owned())?,
            hold: Duration::minutes(vars.get("BOOKING_HOLD_MINUTES", 15)?),
            session_ttl: Duration::days(vars.get("SESSION_TTL_DAYS", 90)?),
            idempotency_ttl: Duration::hours(vars.get("IDEMPOTENCY_TTL_HOURS", 24)?),
            idempotency_lease: Duration::seconds(vars.get("IDEMPOTENCY_LEASE_SECS", 30)?),
            stripe_secret_key: vars.secret(
                "STRIPE_SECRET_KEY",
                environment,
                DEV_STRIPE_SECRET_KEY,
            )?,
            stripe_webhook_secret: vars.secret(
                "STRIPE_WEBHOOK_SECRET",
                environment,
                DEV_STRIPE_WEBHOOK_SECRET,
            )?,
            ticket_signing_secret: vars.secret(
                "TICKET_SIGNING_SECRET",
                environment,
                DEV_TICKET_SIGNING_SECRET,
            )?,
            stripe_api_base,
            stripe_timeout: std::time::Duration::from_secs(vars.get("STRIPE_TIMEOUT_SECS", 10)?),
            late_cancel_refund_percent: vars
                .get("LATE_CANCEL_REFUND_PERCENT", 50i64)?
                .clamp(0, 100),
            max_unpaid_holds_per_user: vars.get("MAX_UNPAID_HOLDS_PER_USER", 5)?,
            resale_fee_percent: vars.get("RESALE_FEE_PERCENT", 10)?,
            max_unpaid_holds_per_ip: vars.get("MAX_UNPAID_HOLDS_PER_IP", 20)?,
            waitlist_offer_minutes: vars.get("WAITLIST_OFFER_MINUTES", 30)?,
            jobs_enabled: vars.get("JOBS_ENABLED", true)?,
            jobs_interval: std::time::Duration::from_secs(vars.get("JOBS_INTERVAL_SECS", 5)?),
            reconcile_after: Duration::seconds(vars.get("RECONCILE_AFTER_SECS", 60)?),
            hardening: slotwise_web::hardening::Hardening::from_lookup(&vars.0)?,
            auth_rate_per_minute: vars.get("AUTH_RATE_PER_MINUTE", 20)?,
            booking_rate_per_minute: vars.get("BOOKING_RATE_PER_MINUTE", 120)?,
            trust_forwarded_for: vars.get("TRUST_FORWARDED_FOR", false)?,
            notify: crate::notify::NotifyConfig::from_vars(
                |name| (vars.0)(name).filter(|v| !v.trim().is_empty()),
                |name, default| vars.get(name, default),
                |name, default| vars.get(name, default),
            )?,
        })
    }

    /// Defaults for a given database, as tests use them.
    pub fn for_database(database_url: &str) -> Self {
        Self {
            environment: Environment::Development,
            statement_timeout: slotwise_db::pool::DEFAULT_STATEMENT_TIMEOUT,
            database_url: database_url.to_owned(),
            pool_size: 16,
            listen: "127.0.0.1:0".to_owned(),
            hold: Duration::minutes(15),
            session_ttl: Duration::days(90),
            idempotency_ttl: Duration::hours(24),
            idempotency_lease: Duration::seconds(30),
            stripe_secret_key: DEV_STRIPE_SECRET_KEY.to_owned(),
            stripe_webhook_secret: DEV_STRIPE_WEBHOOK_SECRET.to_owned(),
            ticket_signing_secret: DEV_TICKET_SIGNING_SECRET.to_owned(),
            stripe_api_base: "http://127.0.0.1:8420/".to_owned(),
            stripe_timeout: std::time::Duration::from_secs(10),
            late_cancel_refund_percent: 50,
            max_unpaid_holds_per_user: 1000,
            resale_fee_percent: 10,
            max_unpaid_holds_per_ip: 1000,
            waitlist_offer_minutes: 30,
            jobs_enabled: false,
            jobs_interval: std::time::Duration::from_secs(1),
            reconcile_after: Duration::seconds(60),
            hardening: slotwise_web::hardening::Hardening::default(),
            auth_rate_per_minute: 1000,
            booking_rate_per_minute: 100_000,
            trust_forwarded_for: false,
            notify: crate::notify::NotifyConfig::default(),
            ui: crate::ui::UiConfig::off(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn config(pairs: &[(&str, &str)]) -> anyhow::Result<Config> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        Config::from_lookup(|name| map.get(name).cloned())
    }

    fn refusal(pairs: &[(&str, &str)]) -> String {
        format!("{:#}", config(pairs).map(drop).expect_err("refused"))
    }

    #[test]
    fn production_refuses_missing_or_public_stripe_secrets_naming_the_variable() {
        assert!(refusal(&[]).contains("STRIPE_SECRET_KEY must be set"));
        let key = [("STRIPE_SECRET_KEY", "sk_live_real")];
        assert!(refusal(&key).contains("STRIPE_WEBHOOK_SECRET must be set"));
        let public = [
            ("STRIPE_SECRET_KEY", "sk_live_real"),
            ("STRIPE_WEBHOOK_SECRET", " whsec_slotwise_local\n"),
        ];
        assert!(refusal(&public).contains("STRIPE_WEBHOOK_SECRET is the public development value"));
        let empty = [
            ("STRIPE_SECRET_KEY", " "),
            ("STRIPE_WEBHOOK_SECRET", "whsec_real"),
        ];
        assert!(refusal(&empty).contains("STRIPE_SECRET_KEY must be set"));
        let stripe = [
            ("STRIPE_SECRET_KEY", "sk_live_real"),
            ("STRIPE_WEBHOOK_SECRET", "whsec_real"),
        ];
        assert!(refusal(&stripe).contains("TICKET_SIGNING_SECRET must be set"));
        let public_signing = [
            stripe[0],
            stripe[1],
            ("TICKET_SIGNING_SECRET", DEV_TICKET_SIGNING_SECRET),
        ];
        assert!(
            refusal(&public_signing)
                .contains("TICKET_SIGNING_SECRET is the public development value")
        );
        let real = config(&[
            stripe[0],
            stripe[1],
            ("TICKET_SIGNING_SECRET", "a real secret"),
        ])
        .expect("real secrets");
        assert_eq!(real.environment, Environment::Production);
    }

    #[test]
    fn development_falls_back_to_the_emulator_secrets() {
        let dev = config(&[("SLOTWISE_ENV", "development")]).expect("development");
        assert_eq!(dev.stripe_secret_key, DEV_STRIPE_SECRET_KEY);
        assert_eq!(dev.stripe_webhook_secret, DEV_STRIPE_WEBHOOK_SECRET);
        assert_eq!(dev.ticket_signing_secret, DEV_TICKET_SIGNING_SECRET);
        assert!(refusal(&[("SLOTWISE_ENV", "staging")]).contains("SLOTWISE_ENV"));
    }

    #[test]
    fn a_bad_number_fails_at_start_naming_the_variable() {
        let dev = ("SLOTWISE_ENV", "development");
        for name in ["DATABASE_STATEMENT_TIMEOUT_MS", "MAX_UNPAID_HOLDS_PER_USER"] {
            assert!(refusal(&[dev, (name, "5s")]).contains(name), "{name}");
        }
        let set = config(&[dev, ("DATABASE_STATEMENT_TIMEOUT_MS", "250")]).expect("valid");
        assert_eq!(set.statement_timeout, std::time::Duration::from_millis(250));
    }
}
