//! The one way both services assemble their HTTP stack: the API and its docs,
//! health and metrics routes, hardening, shared data, request ids.

use crate::hardening::Hardening;
use poem::{Endpoint, EndpointExt, Route, get};
use poem_openapi::{OpenApi, OpenApiService};
use slotwise_db::DbPool;

/// The whole service as one endpoint; `main` serves it and tests spawn it.
/// `/metrics` is left out when `METRICS_LISTEN` gives it an address of its own.
pub fn build<T, S>(
    api: OpenApiService<T, ()>,
    hardening: &Hardening,
    pool: DbPool,
    state: S,
) -> impl Endpoint + use<T, S>
where
    T: OpenApi + 'static,
    S: Clone + Send + Sync + 'static,
{
    let with_metrics = hardening.metrics_listen.is_none();
    let routes = hardening.limit_bodies(crate::docs::routes(api, with_metrics));
    let answered = hardening
        .cors(routes)
        .data(pool)
        .data(state)
        // The one place an error becomes problem+json.
        .around(crate::request_id::around);
    hardening.security_headers(answered)
}

/// `/metrics` alone, for the address `METRICS_LISTEN` names.
pub fn metrics_only(pool: DbPool) -> impl Endpoint {
    Route::new()
        .at("/metrics", get(crate::health::metrics))
        .data(pool)
}

/// Serves [`metrics_only`] until shutdown when `METRICS_LISTEN` is set;
/// the address it listens on.
pub async fn spawn_metrics(
    hardening: &Hardening,
    pool: &DbPool,
) -> anyhow::Result<Option<std::net::SocketAddr>> {
    let Some(addr) = hardening.metrics_listen.clone() else {
        return Ok(None);
    };
    let bound = crate::serve::bind(&addr)
        .await
        .map_err(|e| anyhow::anyhow!("cannot listen on METRICS_LISTEN {addr}: {e}"))?;
    tracing::info!(addr = %bound.addr, "metrics listening");
    let local = bound.addr;
    let app = metrics_only(pool.clone());
    tokio::spawn(async move {
        if let Err(e) = bound.serve(app, crate::serve::shutdown_signal()).await {
            tracing::error!(error = %e, "metrics listener stopped");
        }
    });
    Ok(Some(local))
}
