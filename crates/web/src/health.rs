//! `/healthz` (the process answers) and `/readyz` (the database answers).

use crate::problem::ApiError;
use poem::web::{Data, Json};
use poem::{IntoResponse, Response, handler};
use slotwise_db::DbPool;
use std::time::Duration;

#[handler]
pub fn healthz() -> Json<serde_json::Value> {
    Json(serde_json::json!({ "status": "ok" }))
}

#[handler]
pub async fn readyz(pool: Data<&DbPool>) -> Response {
    use diesel_async::SimpleAsyncConnection;
    let check = async {
        let mut conn = pool.get().await.map_err(ApiError::from)?;
        conn.batch_execute("SELECT 1").await.map_err(ApiError::from)
    };
    match tokio::time::timeout(Duration::from_secs(2), check).await {
        Ok(Ok(())) => Json(serde_json::json!({ "status": "ready" })).into_response(),
        Ok(Err(err)) => err.into_response(),
        Err(_) => ApiError::unavailable("database check timed out").into_response(),
    }
}

/// Prometheus text: request counts and latencies, domain counters, pool usage.
#[handler]
pub fn metrics(pool: Data<&DbPool>) -> Response {
    let status = pool.status();
    let gauge = |name, help, value: usize| crate::metrics::set(name, help, &[], value as f64);
    gauge(
        "db_pool_max_size",
        "Connections the pool may open.",
        status.max_size,
    );
    gauge("db_pool_size", "Connections open.", status.size);
    gauge(
        "db_pool_available",
        "Open connections idle.",
        status.available,
    );
    gauge(
        "db_pool_waiting",
        "Requests waiting for a connection.",
        status.waiting,
    );
    Response::builder()
        .content_type("text/plain; version=0.0.4")
        .body(crate::metrics::render())
}
