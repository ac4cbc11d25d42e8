//! What every answer of both services gets: a body size limit (413), security
//! headers, and CORS only for the origins configured.
//!
//! | variable | default | meaning |
//! |---|---|---|
//! | `MAX_BODY_BYTES` | `65536` | larger request bodies answer 413 |
//! | `CORS_ALLOWED_ORIGINS` | empty: no CORS | comma-separated origins, or `*` |
//! | `METRICS_LISTEN` | empty: `/metrics` on the service's own address | serve `/metrics` on this address only |

use crate::problem::ApiError;
use poem::http::StatusCode;
use poem::middleware::{Cors, SetHeader};
use poem::{Endpoint, EndpointExt, IntoResponse, Request, Response};

#[derive(Debug, Clone)]
pub struct Hardening {
    pub max_body_bytes: usize,
    pub cors_allowed_origins: Vec<String>,
    /// A separate address for `/metrics`, so it need not be public.
    pub metrics_listen: Option<String>,
}

impl Default for Hardening {
    fn default() -> Self {
        Self {
            max_body_bytes: 64 * 1024,
            cors_allowed_origins: Vec::new(),
            metrics_listen: None,
        }
    }
}

impl Hardening {
    pub fn from_env() -> anyhow::Result<Self> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// The settings `lookup` describes (the environment, or a map in tests).
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> anyhow::Result<Self> {
        let defaults = Self::default();
        let max_body_bytes = match lookup("MAX_BODY_BYTES") {
            Some(v) if !v.is_empty() => v
                .parse()
                .map_err(|_| anyhow::anyhow!("MAX_BODY_BYTES is not a number"))?,
            _ => defaults.max_body_bytes,
        };
        let metrics_listen = lookup("METRICS_LISTEN").filter(|v| !v.trim().is_empty());
        let cors_allowed_origins = lookup("CORS_ALLOWED_ORIGINS")
            .unwrap_or_default()
            .split(',')
            .map(str::trim)
            .filter(|o| !o.is_empty())
            .map(str::to_owned)
            .collect();
        Ok(Self {
            max_body_bytes,
            cors_allowed_origins,
            metrics_listen,
        })
    }

    /// 413 for bodies over `MAX_BODY_BYTES`; goes inside the request-id
    /// layer, which turns its error into problem+json.
    pub fn limit_bodies<E: Endpoint + 'static>(&self, ep: E) -> impl Endpoint + use<E> {
        let max = self.max_body_bytes;
        ep.around(move |ep, req| limit_body(max, ep, req))
    }

    /// CORS for the configured origins only; goes inside the request-id
    /// layer, so a refused origin is problem+json with a request id too.
    pub fn cors<E: Endpoint + 'static>(&self, ep: E) -> poem::endpoint::BoxEndpoint<'static> {
        let ep = ep.map_to_response();
        if self.cors_allowed_origins.is_empty() {
            return ep.boxed();
        }
        let mut cors = Cors::new()
            .allow_methods(["GET", "POST", "PATCH", "DELETE", "OPTIONS"])
            .allow_headers([
                "authorization",
                "content-type",
                "idempotency-key",
                "if-match",
                "x-request-id",
            ])
            .expose_headers(["x-request-id", "idempotent-replayed", "etag", "retry-after"])
            .max_age(600);
        if !self.cors_allowed_origins.iter().any(|o| o == "*") {
            cors = cors.allow_origins(self.cors_allowed_origins.iter().map(String::as_str));
        }
        ep.with(cors).boxed()
    }

    /// Security headers on every answer, errors included: goes outside the
    /// request-id layer, whose answers are never errors.
    pub fn security_headers<E: Endpoint + 'static>(&self, ep: E) -> impl Endpoint + use<E> {
        ep.with(
            SetHeader::new()
                .overriding("x-content-type-options", "nosniff")
                .overriding("x-frame-options", "DENY")
                .overriding("referrer-policy", "no-referrer")
                .overriding(
                    "strict-transport-security",
                    "max-age=63072000; includeSubDomains",
                )
                .overriding("cross-origin-opener-policy", "same-origin"),
        )
    }
}

fn too_large(max: usize) -> poem::Error {
    ApiError::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        "payload_too_large",
        "Payload too large",
        format!("request bodies are limited to {max} bytes"),
    )
    .into()
}

/// What is read past the limit only to be dropped, so the client (still
/// sending) reads the 413 instead of a reset connection; beyond it, we close.
const DRAIN_BYTES: usize = 1024 * 1024;
const DRAIN_TIME: std::time::Duration = std::time::Duration::from_secs(2);

/// The body if it is at most `max` bytes; `None` when it is longer, after
/// draining up to [`DRAIN_BYTES`] more of it (for at most [`DRAIN_TIME`]).
async fn read_at_most(body: poem::Body, max: usize) -> std::io::Result<Option<Vec<u8>>> {
    use tokio::io::AsyncReadExt;
    let mut reader = body.into_async_read();
    let mut kept = Vec::new();
    let mut chunk = vec![0u8; 16 * 1024];
    loop {
        let n = reader.read(&mut chunk).await?;
        if n == 0 {
            return Ok(Some(kept));
        }
        if kept.len() + n > max {
            break;
        }
        kept.extend_from_slice(&chunk[..n]);
    }
    let drain = async {
        let mut drained = 0;
        while drained < DRAIN_BYTES {
            match reader.read(&mut chunk).await {
                Ok(0) | Err(_) => break,
                Ok(n) => drained += n,
            }
        }
    };
    let _ = tokio::time::timeout(DRAIN_TIME, drain).await;
    Ok(None)
}

/// 413 for a body over `max` bytes: at once when `Content-Length` says so; a
/// body sent without it (chunked, or HTTP/2) is read up to `max` bytes and no
/// further.
/// (poem's `SizeLimit` refuses every request without `Content-Length`, GETs
/// included, with 411.)
async fn limit_body<E: Endpoint>(max: usize, next: E, mut req: Request) -> poem::Result<Response> {
    let declared = req
        .headers()
        .get(poem::http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > max as u64) {
        return Err(too_large(max));
    }
    // Not only chunked HTTP/1: an HTTP/2 body has neither header.
    if declared.is_none() {
        match read_at_most(req.take_body(), max).await {
            Ok(Some(body)) => req.set_body(body),
            Ok(None) => return Err(too_large(max)),
            Err(e) => return Err(poem::error::ReadBodyError::Io(e).into()),
        }
    }
    next.call(req).await.map(IntoResponse::into_response)
}
