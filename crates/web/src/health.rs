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
