//! `/metrics` in Prometheus text format.

use crate::helpers::{spawn_app, tomorrow_at};
use reqwest::StatusCode;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_count_requests_by_route_outcomes_jobs_and_pool() {
    let app = spawn_app().await;
    let client = app.user("client").await;
    let pro = app.pro(0).await;
    let (status, _) = app
        .booked(Some(&client), "m1", &pro.slug, tomorrow_at(10), 30)
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let (status, _) = app
        .booked(Some(&client), "m2", &pro.slug, tomorrow_at(10), 30)
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
    slotwise_booking::jobs::run_jobs_once(&app.state).await;

    let text = app.metrics().await;
    for expected in [
        "# TYPE http_requests_total counter",
        "http_requests_total{method=\"POST\",route=\"/bookings\",status=\"201\"}",
        "http_requests_total{method=\"POST\",route=\"/bookings\",status=\"409\"}",
        "http_request_duration_seconds_bucket{method=\"POST\",route=\"/bookings\",le=\"+Inf\"}",
        "booking_outcomes_total{outcome=\"created\"}",
        "booking_outcomes_total{outcome=\"conflict\"}",
        "job_runs_total{job=\"expire_holds\",result=\"ok\"}",
        "job_duration_seconds_count{job=\"purge_keys\"}",
        "db_pool_max_size 20",
    ] {
        assert!(text.contains(expected), "missing {expected}");
    }
    assert!(
        !text.contains("route=\"/professionals/p-"),
        "routes are templates, not raw paths"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unusual_methods_share_one_series() {
    let app = spawn_app().await;
    for method in ["PROPFIND", "BREW", "X-ANYTHING"] {
        let res = app
            .http
            .request(
                reqwest::Method::from_bytes(method.as_bytes()).expect("method"),
                app.url("/bookings"),
            )
            .send()
            .await
            .expect("request");
        assert!(res.status().is_client_error(), "{method}");
    }
    let text = app.metrics().await;
    assert!(text.contains("method=\"other\""), "{text}");
    for method in ["PROPFIND", "BREW", "X-ANYTHING"] {
        assert!(!text.contains(method), "{method} is its own series");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_metrics_listen_metrics_leave_the_public_address() {
    let app = crate::helpers::spawn_app_with(|c| {
        c.hardening.metrics_listen = Some("127.0.0.1:0".to_owned());
    })
    .await;
    let res = app
        .http
        .get(app.url("/metrics"))
        .send()
        .await
        .expect("metrics");
    assert_eq!(res.status(), StatusCode::NOT_FOUND);

    // What `main` does with METRICS_LISTEN.
    let addr = slotwise_web::app::spawn_metrics(&app.state.config.hardening, &app.state.pool)
        .await
        .expect("metrics listener")
        .expect("an address");
    let res = app
        .http
        .get(format!("http://{addr}/metrics"))
        .send()
        .await
        .expect("metrics");
    assert_eq!(res.status(), StatusCode::OK);
    assert!(res.text().await.expect("text").contains("db_pool_max_size"));
}
