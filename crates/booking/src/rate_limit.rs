//! Request limits per key (IP, email, user), per instance: governor's keyed
//! GCRA limiters. A limit of N a minute lets a burst of N through, then one
//! every 60/N seconds.
//!
//! | variable | default | meaning |
//! |---|---|---|
//! | `AUTH_RATE_PER_MINUTE` | `20` | sign-ins and sign-ups per IP; sign-ups per email; failed sign-ins per email |
//! | `BOOKING_RATE_PER_MINUTE` | `120` | bookings created per user (or per IP when anonymous) each minute |

use crate::config::Config;
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota};
use std::collections::HashMap;
use std::num::NonZeroU32;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Keys kept before forgotten ones are pruned (`retain_recent`).
const PRUNE_ABOVE: usize = 100_000;

#[derive(Clone)]
pub struct RateLimiter {
    per_minute: u32,
    limiter: Arc<DefaultKeyedRateLimiter<String>>,
}

impl RateLimiter {
    pub fn per_minute(limit: u32) -> Self {
        let burst = NonZeroU32::new(limit.max(1)).unwrap_or(NonZeroU32::MIN);
        Self {
            per_minute: limit.max(1),
            limiter: Arc::new(governor::RateLimiter::keyed(Quota::per_minute(burst))),
        }
    }

    /// Counts one request for `key`; 429 with `Retry-After` once over the limit.
    pub fn check(&self, key: &str) -> Result<(), Limited> {
        self.over(key)
            .map_or(Ok(()), |wait| Err(self.too_many(wait)))
    }

    /// Counts one request; how long to wait when it is over the limit.
    fn over(&self, key: &str) -> Option<Duration> {
        if self.limiter.len() > PRUNE_ABOVE {
            self.limiter.retain_recent();
        }
        self.limiter
            .check_key(&key.to_owned())
            .err()
            .map(|not_until| not_until.wait_time_from(DefaultClock::default().now()))
    }

    fn too_many(&self, wait: Duration) -> Limited {
        Limited::TooMany {
            per_minute: self.per_minute,
            retry_after: wait.as_secs().max(1),
        }
    }
}

/// Over a limit (`api/` answers 429 with `Retry-After`), or a wrong password
/// under it (401).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Limited {
    #[error("at most {per_minute} of these a minute; retry in {retry_after} s")]
    TooMany { per_minute: u32, retry_after: u64 },
    #[error("email or password is wrong")]
    WrongPassword,
}

/// Failed sign-ins per email. Past the limit the account is slowed down, not
/// locked: a correct password from an address the account signed in from
/// before still passes, so nobody can lock a victim out by guessing.
#[derive(Clone)]
pub struct SigninSlowdown {
    failures: RateLimiter,
    slowed_until: Arc<Mutex<HashMap<String, Instant>>>,
}

impl SigninSlowdown {
    fn new(per_minute: u32) -> Self {
        Self {
            failures: RateLimiter::per_minute(per_minute),
            slowed_until: Arc::default(),
        }
    }

    /// Counts a wrong password for `email`: 429 once past the limit (the account is then slowed).
    pub fn failed(&self, email: &str) -> Limited {
        let Some(wait) = self.failures.over(email) else {
            return Limited::WrongPassword;
        };
        let mut slowed = self.slowed_until.lock().unwrap_or_else(|p| p.into_inner());
        let now = Instant::now();
        if slowed.len() > PRUNE_ABOVE {
            slowed.retain(|_, until| *until > now);
        }
        slowed.insert(email.to_owned(), now + wait.max(Duration::from_secs(60)));
        self.failures.too_many(wait)
    }

    /// Whether `email` is slowed down now (its correct password must come from a known address).
    pub fn is_slowed(&self, email: &str) -> Option<Limited> {
        let slowed = self.slowed_until.lock().unwrap_or_else(|p| p.into_inner());
        let wait = slowed.get(email)?.checked_duration_since(Instant::now())?;
        Some(self.failures.too_many(wait))
    }
}

/// The limiters of one booking instance.
#[derive(Clone)]
pub struct Limits {
    pub auth: RateLimiter,
    pub signin_failures: SigninSlowdown,
    pub booking: RateLimiter,
}

impl Limits {
    pub fn new(config: &Config) -> Self {
        Self {
            auth: RateLimiter::per_minute(config.auth_rate_per_minute),
            signin_failures: SigninSlowdown::new(config.auth_rate_per_minute),
            booking: RateLimiter::per_minute(config.booking_rate_per_minute),
        }
    }
}

/// The caller's IP. With `trust_forwarded_for` (only behind our own proxy),
/// the last `X-Forwarded-For` entry: the one our proxy appended, naming the
/// peer it saw; entries left of it are whatever the client sent. Anything that
/// is not an IP address falls back to the peer.
pub fn client_ip(req: &poem::Request, trust_forwarded_for: bool) -> String {
    let forwarded = req
        .headers()
        .get_all("x-forwarded-for")
        .iter()
        .next_back()
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.rsplit(',').next())
        .and_then(|ip| ip.trim().parse::<std::net::IpAddr>().ok());
    match forwarded {
        Some(ip) if trust_forwarded_for => ip.to_string(),
        _ => req
            .remote_addr()
            .as_socket_addr()
            .map(|a| a.ip().to_string())
            .unwrap_or_default(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_request_over_the_limit_is_refused_with_when_to_retry() {
        let limiter = RateLimiter::per_minute(2);
        assert!(limiter.check("a").is_ok());
        assert!(limiter.check("a").is_ok());
        let err = limiter.check("a").expect_err("third in a minute");
        assert!(
            matches!(err, Limited::TooMany { per_minute: 2, retry_after } if retry_after >= 1),
            "{err:?}"
        );
        assert!(limiter.check("b").is_ok(), "keys are counted apart");
    }

    #[test]
    fn the_client_ip_is_the_entry_our_proxy_appended() {
        let req = |value: &str| {
            poem::Request::builder()
                .header("x-forwarded-for", value)
                .finish()
        };
        assert_eq!(
            client_ip(&req("6.6.6.6, 198.51.100.7"), true),
            "198.51.100.7"
        );
        assert_eq!(client_ip(&req("198.51.100.7"), true), "198.51.100.7");
        assert_eq!(client_ip(&req("not-an-ip"), true), "");
        assert_eq!(client_ip(&req("198.51.100.7"), false), "");
    }

    #[test]
    fn failed_signins_past_the_limit_slow_the_account_down() {
        let slowdown = SigninSlowdown::new(2);
        assert_eq!(slowdown.failed("a@x"), Limited::WrongPassword);
        assert_eq!(slowdown.failed("a@x"), Limited::WrongPassword);
        assert!(slowdown.is_slowed("a@x").is_none());
        assert!(matches!(slowdown.failed("a@x"), Limited::TooMany { .. }));
        assert!(slowdown.is_slowed("a@x").is_some());
        assert!(slowdown.is_slowed("b@x").is_none());
    }
}
