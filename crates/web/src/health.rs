//! `/healthz` (the process answers) and `/readyz` (the database answers).

use crate::metrics::Metric;
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
    static MAX_SIZE: Metric = Metric::new("db_pool_max_size", "Connections the pool may open.");
    static SIZE: Metric = Metric::new("db_pool_size", "Connections open.");
    static AVAILABLE: Metric = Metric::new("db_pool_available", "Open connections idle.");
    static WAITING: Metric = Metric::new("db_pool_waiting", "Requests waiting for a connection.");
    let status = pool.status();
    MAX_SIZE.set(&[], status.max_size as f64);
    SIZE.set(&[], status.size as f64);
    AVAILABLE.set(&[], status.available as f64);
    WAITING.set(&[], status.waiting as f64);
    Response::builder()
        .content_type("text/plain; version=0.0.4")
        .body(crate::metrics::render())
}
