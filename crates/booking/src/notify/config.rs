//! Notification settings, from the environment (see `crate::config`).
//!
//! | variable | default | meaning |
//! |---|---|---|
//! | `SMTP_URL` | none: no mail | `smtp://host:port` (plain), `smtp://host?tls=required` (STARTTLS), `smtps://user:pass@host` (TLS) |
//! | `MAIL_FROM` | `Slotwise <no-reply@slotwise.dev>` | sender of every mail |
//! | `APP_URL` | `http://localhost:3000` | the web app's address, for the links in account mails (verify, reset) |
//! | `NATS_URL` | none: no bus | NATS with JetStream; every event is also published there |
//! | `NATS_SUBJECT_PREFIX` | `slotwise` | subjects are `<prefix>.<event type>`, in stream `<PREFIX>` |
//! | `NOTIFY_ENABLED` | `true` | run the delivery loop in this instance |
//! | `NOTIFY_INTERVAL_MS` | `200` | pause between delivery rounds when there was nothing to do |
//! | `NOTIFY_MAX_ATTEMPTS` | `10` | tries before a delivery is dead (listed, retried by an admin) |
//! | `NOTIFY_RETRY_BASE_MS` | `2000` | first retry's delay; doubling, capped at an hour, jittered |
//! | `NOTIFY_LEASE_SECS` | `60` | a claimed delivery is not claimed again for this long (at least 30; no send of a round starts after half of it) |
//! | `WEBHOOK_TIMEOUT_SECS` | `5` | per delivery |
//! | `WEBHOOK_DISABLE_AFTER` | `15` | consecutive failed deliveries that disable an endpoint |
//! | `WEBHOOK_ALLOW_PRIVATE_URLS` | `false` | allow endpoints on loopback or private addresses (development only) |

use std::time::Duration;

#[derive(Clone)]
pub struct NotifyConfig {
    pub smtp_url: Option<String>,
    pub mail_from: String,
    /// The web app's address, without a trailing slash.
    pub app_url: String,
    pub nats_url: Option<String>,
    pub subject_prefix: String,
    pub enabled: bool,
    pub interval: Duration,
    pub max_attempts: i32,
    pub retry_base: Duration,
    pub lease: Duration,
    pub webhook_timeout: Duration,
    pub webhook_disable_after: i32,
    pub allow_private_urls: bool,
}

impl Default for NotifyConfig {
    fn default() -> Self {
        NotifyConfig {
            smtp_url: None,
            mail_from: "Slotwise <no-reply@slotwise.dev>".to_owned(),
            app_url: "http://localhost:3000".to_owned(),
            nats_url: None,
            subject_prefix: "slotwise".to_owned(),
            enabled: true,
            interval: Duration::from_millis(200),
            max_attempts: 10,
            retry_base: Duration::from_millis(2000),
            lease: Duration::from_secs(60),
            webhook_timeout: Duration::from_secs(5),
            webhook_disable_after: 15,
            allow_private_urls: false,
        }
    }
}

impl NotifyConfig {
    /// Reads the variables through `get` (name, default-as-text) → value.
    pub(crate) fn from_vars(
        text: impl Fn(&str) -> Option<String>,
        number: impl Fn(&str, u64) -> anyhow::Result<u64>,
        flag: impl Fn(&str, bool) -> anyhow::Result<bool>,
    ) -> anyhow::Result<Self> {
        let d = NotifyConfig::default();
        let whole = |name: &str, default: i32| -> anyhow::Result<i32> {
            let n = number(name, u64::try_from(default).unwrap_or(1))?;
            Ok(i32::try_from(n.max(1)).unwrap_or(i32::MAX))
        };
        Ok(NotifyConfig {
            smtp_url: text("SMTP_URL"),
            mail_from: text("MAIL_FROM").unwrap_or(d.mail_from),
            app_url: text("APP_URL")
                .map(|u| u.trim_end_matches('/').to_owned())
                .unwrap_or(d.app_url),
            nats_url: text("NATS_URL"),
            subject_prefix: text("NATS_SUBJECT_PREFIX").unwrap_or(d.subject_prefix),
            enabled: flag("NOTIFY_ENABLED", true)?,
            interval: Duration::from_millis(number("NOTIFY_INTERVAL_MS", 200)?),
            max_attempts: whole("NOTIFY_MAX_ATTEMPTS", d.max_attempts)?,
            retry_base: Duration::from_millis(number("NOTIFY_RETRY_BASE_MS", 2000)?),
            lease: Duration::from_secs(number("NOTIFY_LEASE_SECS", 60)?.max(30)),
            webhook_timeout: Duration::from_secs(number("WEBHOOK_TIMEOUT_SECS", 5)?.max(1)),
            webhook_disable_after: whole("WEBHOOK_DISABLE_AFTER", d.webhook_disable_after)?,
            allow_private_urls: flag("WEBHOOK_ALLOW_PRIVATE_URLS", false)?,
        })
    }
}
