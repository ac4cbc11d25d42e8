//! The web app (`ui/`, built into `ui/dist/` by `scripts/ui-build`), served
//! at `/` beside the API: `/` is its page, `/app/*` its files, and
//! `/app/config.json` what it needs to know of this deployment. The app
//! speaks only the public API; nothing here reads the database.
//!
//! | variable | default | meaning |
//! |---|---|---|
//! | `UI_DIR` | `ui/dist` | the built app; when missing, `/` says how to build it |
//! | `PUBLIC_SEARCH_URL` | `http://127.0.0.1:3001` | the search service as browsers reach it (allow this origin there with `CORS_ALLOWED_ORIGINS`) |
//! | `STRIPE_PUBLISHABLE_KEY` | `pk_test_slotwise_local` in development | the key Stripe.js uses in browsers |
//! | `STRIPE_JS_URL` | `https://js.stripe.com/v3/`, or the emulator's stand-in when `STRIPE_API_BASE` is not Stripe | where the page loads Stripe.js from |

use poem::http::{Method, StatusCode, header};
use poem::{Endpoint, EndpointExt, IntoResponse, Request, Response};
use serde::Serialize;
use std::path::PathBuf;
use std::sync::Arc;

/// What the app is told of this deployment (`/app/config.json`).
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct UiConfig {
    /// Where the built app is; `None` when it is not served.
    #[serde(skip)]
    pub dir: Option<PathBuf>,
    pub search_url: String,
    pub stripe_js_url: String,
    pub stripe_publishable_key: String,
}

impl UiConfig {
    /// From `UI_DIR`, `PUBLIC_SEARCH_URL`, `STRIPE_PUBLISHABLE_KEY`, `STRIPE_JS_URL`.
    pub fn from_lookup(
        lookup: impl Fn(&str) -> Option<String>,
        stripe_api_base: &str,
        development: bool,
    ) -> Self {
        let get = |name: &str| {
            lookup(name)
                .map(|v| v.trim().to_owned())
                .filter(|v| !v.is_empty())
        };
        let real_stripe = stripe_api_base.contains("api.stripe.com");
        let stripe_js_url = get("STRIPE_JS_URL").unwrap_or_else(|| {
            if real_stripe {
                "https://js.stripe.com/v3/".to_owned()
            } else {
                format!(
                    "{}/js.stripe.com/v3/",
                    stripe_api_base.trim_end_matches('/')
                )
            }
        });
        let stripe_publishable_key = get("STRIPE_PUBLISHABLE_KEY").unwrap_or_else(|| {
            if development {
                "pk_test_slotwise_local"
            } else {
                ""
            }
            .to_owned()
        });
        Self {
            dir: Some(PathBuf::from(
                get("UI_DIR").unwrap_or_else(|| "ui/dist".to_owned()),
            )),
            search_url: get("PUBLIC_SEARCH_URL")
                .unwrap_or_else(|| "http://127.0.0.1:3001".to_owned())
                .trim_end_matches('/')
                .to_owned(),
            stripe_js_url,
            stripe_publishable_key,
        }
    }

    /// Serves nothing (tests of the API alone).
    pub fn off() -> Self {
        Self {
            dir: None,
            search_url: String::new(),
            stripe_js_url: String::new(),
            stripe_publishable_key: String::new(),
        }
    }

    /// The page's Content-Security-Policy: its own files, the search
    /// service, and Stripe.js with what it talks to; nothing else.
    fn content_security_policy(&self) -> String {
        let origin = |url: &str| {
            let rest = url.split_once("://");
            match rest {
                Some((scheme, r)) => format!("{scheme}://{}", r.split('/').next().unwrap_or("")),
                None => String::new(),
            }
        };
        let stripe = origin(&self.stripe_js_url);
        let search = origin(&self.search_url);
        // Real Stripe.js talks to its API and frames its own pages (3-D
        // Secure); the emulator's stand-in only to the emulator.
        let (connect, frame) = if stripe == "https://js.stripe.com" {
            (
                "https://api.stripe.com",
                "https://js.stripe.com https://hooks.stripe.com",
            )
        } else {
            (stripe.as_str(), stripe.as_str())
        };
        format!(
            "default-src 'self'; script-src 'self' {stripe}; \
             connect-src 'self' {search} {connect}; frame-src {frame}; \
             img-src 'self' data:; style-src 'self' 'unsafe-inline'; base-uri 'none'; \
             form-action 'self'; frame-ancestors 'none'"
        )
    }
}

/// `ep` with the web app in front of it: `GET /` and `GET /app/*` are the
/// app's; everything else goes to `ep`.
pub fn around<E: Endpoint + 'static>(ep: E, config: UiConfig) -> impl Endpoint {
    let config = Arc::new(config);
    ep.around(move |ep, req| {
        let config = config.clone();
        async move {
            match app_file(&req) {
                Some(name) if config.dir.is_some() => Ok(serve(&config, name).await),
                _ => ep.call(req).await.map(IntoResponse::into_response),
            }
        }
    })
}

/// The app file a request asks for, if it asks for one.
fn app_file(req: &Request) -> Option<&str> {
    if req.method() != Method::GET && req.method() != Method::HEAD {
        return None;
    }
    let path = req.uri().path();
    if path == "/" {
        return Some("index.html");
    }
    let name = path.strip_prefix("/app/")?;
    let plain = !name.is_empty()
        && !name.starts_with('.')
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-' || b == b'_');
    plain.then_some(name)
}

async fn serve(config: &UiConfig, name: &str) -> Response {
    if name == "config.json" {
        return Response::builder()
            .content_type("application/json")
            .header(header::CACHE_CONTROL, "no-cache")
            .body(serde_json::to_vec(config).unwrap_or_default());
    }
    let dir = config.dir.as_deref().unwrap_or(std::path::Path::new("."));
    match tokio::fs::read(dir.join(name)).await {
        Ok(bytes) => {
            let mut res = Response::builder()
                .content_type(content_type(name))
                .header(header::CACHE_CONTROL, "no-cache");
            if name == "index.html" {
                res = res.header("content-security-policy", config.content_security_policy());
            }
            // The door scanner's service worker serves the page at `/` offline.
            if name == "sw.js" {
                res = res.header("service-worker-allowed", "/");
            }
            res.body(bytes)
        }
        Err(_) if name == "index.html" => Response::builder()
            .status(StatusCode::SERVICE_UNAVAILABLE)
            .content_type("text/plain; charset=utf-8")
            .body(format!(
                "The web app is not built in {}: run scripts/ui-build (scripts/run does). The API is here; see /docs.\n",
                dir.display()
            )),
        Err(_) => StatusCode::NOT_FOUND.into_response(),
    }
}

fn content_type(name: &str) -> &'static str {
    match name.rsplit('.').next() {
        Some("html") => "text/html; charset=utf-8",
        Some("js") => "text/javascript; charset=utf-8",
        Some("css") => "text/css; charset=utf-8",
        Some("svg") => "image/svg+xml",
        Some("png") => "image/png",
        Some("json" | "map") => "application/json",
        Some("ico") => "image/x-icon",
        _ => "application/octet-stream",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(vars: &[(&str, &str)], base: &str, dev: bool) -> UiConfig {
        let map: std::collections::HashMap<_, _> = vars.iter().copied().collect();
        UiConfig::from_lookup(|n| map.get(n).map(|v| v.to_string()), base, dev)
    }

    #[test]
    fn the_emulator_serves_its_own_stripe_js_and_real_stripe_the_real_one() {
        let local = config(&[], "http://127.0.0.1:8420/", true);
        assert_eq!(
            local.stripe_js_url,
            "http://127.0.0.1:8420/js.stripe.com/v3/"
        );
        assert_eq!(local.stripe_publishable_key, "pk_test_slotwise_local");
        let real = config(
            &[("STRIPE_PUBLISHABLE_KEY", "pk_live_x")],
            "https://api.stripe.com/",
            false,
        );
        assert_eq!(real.stripe_js_url, "https://js.stripe.com/v3/");
        assert!(
            real.content_security_policy()
                .contains("https://js.stripe.com")
        );
        assert_eq!(
            config(&[], "https://api.stripe.com/", false).stripe_publishable_key,
            ""
        );
    }

    #[test]
    fn only_plain_names_under_app_are_files() {
        let req = |m: Method, p: &str| {
            Request::builder()
                .method(m)
                .uri(p.parse().unwrap())
                .finish()
        };
        assert_eq!(app_file(&req(Method::GET, "/")), Some("index.html"));
        assert_eq!(app_file(&req(Method::GET, "/app/app.js")), Some("app.js"));
        assert_eq!(app_file(&req(Method::GET, "/app/../Cargo.toml")), None);
        assert_eq!(app_file(&req(Method::GET, "/app/.env")), None);
        assert_eq!(app_file(&req(Method::GET, "/app/a/b.js")), None);
        assert_eq!(app_file(&req(Method::POST, "/")), None);
        assert_eq!(app_file(&req(Method::GET, "/bookings")), None);
    }
}
