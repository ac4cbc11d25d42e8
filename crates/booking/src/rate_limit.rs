//! Fixed-window request limits per key (IP, email, user), per instance.
//!
//! | variable | default | meaning |
//! |---|---|---|
//! | `AUTH_RATE_PER_MINUTE` | `20` | sign-ins and sign-ups per IP, and per email, each minute |
//! | `BOOKING_RATE_PER_MINUTE` | `120` | bookings created per user (or per IP when anonymous) each minute |

use poem::http::{HeaderName, HeaderValue, StatusCode};
use slotwise_web::ApiError;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

#[derive(Clone)]
pub struct RateLimiter {
    limit: u32,
    window: Duration,
    windows: Arc<Mutex<HashMap<String, (Instant, u32)>>>,
}

impl RateLimiter {
    pub fn per_minute(limit: u32) -> Self {
        Self {
            limit,
            window: Duration::from_secs(60),
            windows: Arc::default(),
        }
    }

    /// Counts one request for `key`; 429 with `Retry-After` once over the limit.
    pub fn check(&self, key: &str) -> Result<(), ApiError> {
        let now = Instant::now();
        let mut windows = self.windows.lock().unwrap_or_else(|p| p.into_inner());
        if windows.len() > 100_000 {
            windows.retain(|_, (start, _)| now.duration_since(*start) < self.window);
        }
        let entry = windows.entry(key.to_owned()).or_insert((now, 0));
        if now.duration_since(entry.0) >= self.window {
            *entry = (now, 0);
        }
        entry.1 += 1;
        if entry.1 <= self.limit {
            return Ok(());
        }
        let retry_after = self
            .window
            .saturating_sub(now.duration_since(entry.0))
            .as_secs()
            .max(1);
        let mut err = ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            "rate_limited",
            "Too many requests",
            format!(
                "at most {} of these a minute; retry in {retry_after} s",
                self.limit
            ),
        );
        if let Ok(value) = HeaderValue::from_str(&retry_after.to_string()) {
            err.headers
                .push((HeaderName::from_static("retry-after"), value));
        }
        Err(err)
    }
}

/// The limiters of one booking instance.
#[derive(Clone)]
pub struct Limits {
    pub auth: RateLimiter,
    pub booking: RateLimiter,
}

impl Limits {
    pub fn new(auth_per_minute: u32, booking_per_minute: u32) -> Self {
        Self {
            auth: RateLimiter::per_minute(auth_per_minute),
            booking: RateLimiter::per_minute(booking_per_minute),
        }
    }
}

/// The caller's IP: the first `X-Forwarded-For` hop when `trust_forwarded_for`
/// (only behind our own proxy, or clients could pick their IP), else the peer.
pub fn client_ip(req: &poem::Request, trust_forwarded_for: bool) -> String {
    let forwarded = req
        .headers()
        .get("x-forwarded-for")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(',').next())
        .map(|ip| ip.trim().to_owned());
    match forwarded {
        Some(ip) if trust_forwarded_for => ip,
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
    fn the_request_over_the_limit_is_429_with_retry_after() {
        let limiter = RateLimiter::per_minute(2);
        assert!(limiter.check("a").is_ok());
        assert!(limiter.check("a").is_ok());
        let err = limiter.check("a").expect_err("third in a minute");
        assert_eq!(err.problem.status, 429);
        assert!(err.headers.iter().any(|(n, _)| n == "retry-after"));
        assert!(limiter.check("b").is_ok(), "keys are counted apart");
    }
}
