//! The routes every service has besides its API: docs, spec, health.

use crate::allow::AllowedMethods;
use crate::health::{healthz, metrics, readyz};
use poem::{Endpoint, EndpointExt, Route, get};
use poem_openapi::{OpenApi, OpenApiService};

/// The document a service serves and commits: poem-openapi's, as the server
/// reads requests (see [`crate::contract`]).
pub fn document<T: OpenApi>(service: &OpenApiService<T, ()>) -> String {
    crate::contract::as_served(&service.spec())
}

/// `/openapi.json`, `/docs` (Swagger UI, works offline), `/healthz`, `/readyz`,
/// `/metrics` unless it is served elsewhere, and the API itself at the root.
pub fn routes<T: OpenApi + 'static>(
    service: OpenApiService<T, ()>,
    with_metrics: bool,
) -> impl Endpoint {
    let allowed = AllowedMethods::from_spec(&service.spec());
    let document = document(&service);
    let spec = get(poem::endpoint::make_sync(move |_| {
        poem::Response::builder()
            .content_type("application/json")
            .body(document.clone())
    }));
    let docs = service.swagger_ui();
    let mut route = Route::new()
        .at("/openapi.json", spec)
        .nest("/docs", docs)
        .at("/healthz", get(healthz))
        .at("/readyz", get(readyz));
    if with_metrics {
        route = route.at("/metrics", get(metrics));
    }
    route
        .nest("/", service)
        .around(move |ep, req| crate::allow::around(allowed.clone(), ep, req))
}
