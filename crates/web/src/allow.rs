//! `Allow` on 405 answers (RFC 9110), listing the methods the OpenAPI document
//! gives the path.

use poem::http::{HeaderValue, StatusCode};
use poem::{Endpoint, IntoResponse, Request, Response};
use std::sync::Arc;

/// Path templates (`/professionals/{id}`) and their methods, from a spec.
#[derive(Clone, Default)]
pub struct AllowedMethods(Arc<Vec<(Vec<String>, String)>>);

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
                routes.push((segments(path), methods.join(", ")));
            }
        }
        Self(Arc::new(routes))
    }

    fn for_path(&self, path: &str) -> Option<&str> {
        let wanted = segments(path);
        self.0.iter().find_map(|(template, methods)| {
            let matches = template.len() == wanted.len()
                && template
                    .iter()
                    .zip(&wanted)
                    .all(|(t, w)| t.starts_with('{') || t == w);
            matches.then_some(methods.as_str())
        })
    }
}

fn segments(path: &str) -> Vec<String> {
    path.trim_matches('/')
        .split('/')
        .map(str::to_owned)
        .collect()
}

/// Middleware: adds `Allow` to every 405.
pub async fn around<E: Endpoint>(
    allowed: AllowedMethods,
    next: E,
    req: Request,
) -> poem::Result<Response> {
    let path = req.uri().path().to_owned();
    let mut response = match next.call(req).await {
        Ok(ok) => ok.into_response(),
        Err(err) => crate::problem::problem_from_error(err),
    };
    if response.status() == StatusCode::METHOD_NOT_ALLOWED
        && let Some(methods) = allowed.for_path(&path)
        && let Ok(value) = HeaderValue::from_str(methods)
    {
        response.headers_mut().insert("allow", value);
    }
    Ok(response)
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
    }
}
