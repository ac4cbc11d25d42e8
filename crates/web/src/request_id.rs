//! `X-Request-Id` on every response (echoed when the client sent a sane one),
//! a tracing span per request (a trace's server span when traces are on:
//! its `traceparent` is the parent, its id goes into `trace_id` for the log
//! lines), and problem+json for every error.

use crate::problem::problem_from_error;
use poem::http::HeaderValue;
use poem::{Endpoint, IntoResponse, Request, Response};
use std::time::Instant;
use tracing::Instrument;

pub const REQUEST_ID: &str = "x-request-id";

fn is_sane(value: &str) -> bool {
    (1..=128).contains(&value.len())
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_.:".contains(&b))
}

/// The outermost middleware of both services.
pub async fn around<E: Endpoint>(next: E, req: Request) -> poem::Result<Response> {
    let id = req
        .headers()
        .get(REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .filter(|v| is_sane(v))
        .map(str::to_owned)
        .unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
    let method = req.method().clone();
    let path = req.uri().path().to_owned();
    let span = tracing::info_span!(
        "request",
        request_id = %id,
        %method,
        %path,
        trace_id = tracing::field::Empty,
        otel.name = tracing::field::Empty,
        otel.kind = tracing::field::Empty,
        http.route = tracing::field::Empty,
        http.response.status_code = tracing::field::Empty,
        otel.status_code = tracing::field::Empty,
    );
    let traced = crate::otel::enabled();
    if traced {
        crate::otel::accept(req.headers(), &span);
        span.record("otel.kind", "server");
        span.record("otel.name", format!("{method} {path}"));
        if let Some(trace) = crate::otel::trace_id(&span) {
            span.record("trace_id", trace);
        }
    }
    let started = Instant::now();
    let mut response = match next.call(req).instrument(span.clone()).await {
        Ok(ok) => ok.into_response(),
        Err(err) => problem_from_error(err),
    };
    if traced {
        let status = response.status();
        span.record("http.response.status_code", i64::from(status.as_u16()));
        if status.is_server_error() {
            span.record("otel.status_code", "error");
        }
    }
    span.in_scope(|| {
        tracing::info!(
            status = response.status().as_u16(),
            elapsed_ms = started.elapsed().as_secs_f64() * 1000.0,
            "request finished"
        );
    });
    if let Ok(value) = HeaderValue::from_str(&id) {
        response.headers_mut().insert(REQUEST_ID, value);
    }
    Ok(response)
}
