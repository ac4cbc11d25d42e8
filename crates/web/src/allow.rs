//! Per-route bookkeeping from the OpenAPI document: `Allow` on 405 answers
//! (RFC 9110), and the route template that labels request metrics.

use crate::metrics::Metric;
use crate::problem::ApiError;
use poem::http::{HeaderValue, Method, StatusCode};
use poem::{Endpoint, IntoResponse, Request, Response};
use std::sync::Arc;

struct RouteEntry {
    segments: Vec<String>,
    methods: String,
    template: String,
}

/// Path templates (`/professionals/{id}`) and their methods, from a spec.
#[derive(Clone, Default)]
pub struct AllowedMethods(Arc<Vec<RouteEntry>>);

impl AllowedMethods {
    pub fn from_spec(spec_json: &str) -> Self {
        let spec: serde_json::Value = serde_json::from_str(spec_json).unwrap_or_default();
        let mut routes = Vec::new();
        if let Some(paths) = spec.get("paths").and_then(|p| p.as_object()) {
            for (path, ops) in paths {
                let mut methods: Vec<String> = ops
                    .as_object()
                    .map(|o| o.keys().map(|m| m.to_uppercase()).collect())
                    .unwrap_or_default();
                methods.sort();
                routes.push(RouteEntry {
                    segments: segments(path),
                    methods: methods.join(", "),
                    template: path.clone(),
                });
            }
        }
        Self(Arc::new(routes))
    }

    fn entry(&self, path: &str) -> Option<&RouteEntry> {
        let wanted = segments(path);
        self.0.iter().find(|r| {
            r.segments.len() == wanted.len()
                && r.segments
                    .iter()
                    .zip(&wanted)
                    .all(|(t, w)| t.starts_with('{') || t == w)
        })
    }

    fn for_path(&self, path: &str) -> Option<&str> {
        self.entry(path).map(|r| r.methods.as_str())
    }

    /// The OpenAPI path template a request path matches (a bounded label set).
    pub fn route_of<'a>(&'a self, path: &'a str) -> &'a str {
        match path {
            "/healthz" | "/readyz" | "/metrics" | "/openapi.json" => path,
            _ => self
                .entry(path)
                .map(|r| r.template.as_str())
                .unwrap_or("other"),
        }
    }
}

fn segments(path: &str) -> Vec<String> {
    path.trim_matches('/')
        .split('/')
        .map(str::to_owned)
        .collect()
}

/// Middleware: counts and times every request by route, adds `Allow` to every 405.
pub async fn around<E: Endpoint>(
    allowed: AllowedMethods,
    next: E,
    req: Request,
) -> poem::Result<Response> {
    let path = req.uri().path().to_owned();
    // Methods come from the client: anything unusual is one `other` series, not one each.
    let method = match *req.method() {
        Method::GET
        | Method::HEAD
        | Method::POST
        | Method::PUT
        | Method::PATCH
        | Method::DELETE
        | Method::OPTIONS => req.method().to_string(),
        _ => "other".to_owned(),
    };
    let started = std::time::Instant::now();
    // Errors go on up to the request-id layer, which answers them.
    let result = next.call(req).await.map(IntoResponse::into_response);
    let route = allowed.route_of(&path);
    if crate::otel::enabled() {
        let span = tracing::Span::current();
        span.record("http.route", route);
        span.record("otel.name", format!("{method} {route}"));
    }
    let status = match &result {
        Ok(response) => response.status(),
        Err(err) => err.status(),
    };
    let status = status.as_u16().to_string();
    static REQUESTS: Metric = Metric::new(
        "http_requests_total",
        "HTTP requests by method, route template and status.",
    );
    static LATENCY: Metric = Metric::new(
        "http_request_duration_seconds",
        "HTTP request latency by method and route template.",
    );
    REQUESTS.inc(&[("method", &method), ("route", route), ("status", &status)]);
    LATENCY.observe(
        &[("method", &method), ("route", route)],
        started.elapsed().as_secs_f64(),
    );
    match result {
        Err(err)
            if err.status() == StatusCode::METHOD_NOT_ALLOWED
                && let Some(methods) = allowed.for_path(&path)
                && let Ok(value) = HeaderValue::from_str(methods) =>
        {
            let problem = ApiError::new(
                StatusCode::METHOD_NOT_ALLOWED,
                "method_not_allowed",
                "Method not allowed",
                format!("{path} allows {methods}"),
            );
            Err(problem.with_header_value("allow", value).into())
        }
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates_match_concrete_paths() {
        let allowed = AllowedMethods::from_spec(
            r#"{"paths": {"/professionals/{id}": {"get": {}, "patch": {}}, "/bookings": {"post": {}, "get": {}}}}"#,
        );
        assert_eq!(allowed.for_path("/professionals/pro1"), Some("GET, PATCH"));
        assert_eq!(allowed.for_path("/bookings"), Some("GET, POST"));
        assert_eq!(allowed.for_path("/nothing/here"), None);
        assert_eq!(
            allowed.route_of("/professionals/pro1"),
            "/professionals/{id}"
        );
        assert_eq!(allowed.route_of("/nothing/here"), "other");
    }
}
