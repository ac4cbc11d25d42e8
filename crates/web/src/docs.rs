//! The routes every service has besides its API: docs, spec, health.

use crate::health::{healthz, readyz};
use poem::{Route, get};
use poem_openapi::{OpenApi, OpenApiService};

/// `/openapi.json`, `/docs` (Swagger UI, works offline), `/healthz`, `/readyz`,
/// and the API itself at the root.
pub fn routes<T: OpenApi + 'static>(service: OpenApiService<T, ()>) -> Route {
    let spec = service.spec_endpoint();
    let docs = service.swagger_ui();
    Route::new()
        .at("/openapi.json", spec)
        .nest("/docs", docs)
        .at("/healthz", get(healthz))
        .at("/readyz", get(readyz))
        .nest("/", service)
}
