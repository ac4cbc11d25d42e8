//! What an operator sees of the search service: `/metrics` and the headers
//! every answer carries.

use crate::helpers::{near_center, spawn_app};
use reqwest::StatusCode;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_count_searches_by_route_template_and_show_the_pool() {
    let app = spawn_app().await;
    app.pro("near", "Plumber", 100, 1.0, None).await;
    let (status, _) = app.search(&near_center(20.0)).await;
    assert_eq!(status, StatusCode::OK);
    let res = app
        .http
        .get(format!("{}/professionals/no-such-slug", app.base))
        .send()
        .await
        .expect("get");
    assert_eq!(res.status(), StatusCode::NOT_FOUND);

    let res = app
        .http
        .get(format!("{}/metrics", app.base))
        .send()
        .await
        .expect("metrics");
    assert_eq!(res.status(), StatusCode::OK);
    let text = res.text().await.expect("text");
    for expected in [
        "http_requests_total{method=\"GET\",route=\"/search/professionals\",status=\"200\"}",
        "http_requests_total{method=\"GET\",route=\"/professionals/{id}\",status=\"404\"}",
        "http_request_duration_seconds_bucket{method=\"GET\",route=\"/search/professionals\",le=\"+Inf\"}",
        "db_pool_max_size 8",
    ] {
        assert!(text.contains(expected), "missing {expected} in\n{text}");
    }
    assert!(
        !text.contains("no-such-slug"),
        "routes are templates, not raw paths"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn answers_and_problems_carry_security_headers() {
    let app = spawn_app().await;
    for path in [
        "/search/professionals?lat=5.6&long=-0.18",
        "/search/professionals?lat=500",
    ] {
        let res = app
            .http
            .get(format!("{}{path}", app.base))
            .send()
            .await
            .expect("get");
        assert!(res.status() == StatusCode::OK || res.status() == StatusCode::BAD_REQUEST);
        assert_eq!(res.headers()["x-content-type-options"], "nosniff", "{path}");
        assert_eq!(res.headers()["x-frame-options"], "DENY", "{path}");
        assert!(res.headers().contains_key("x-request-id"), "{path}");
        assert!(
            !res.headers().contains_key("access-control-allow-origin"),
            "no CORS unless configured"
        );
    }
}
