use crate::helpers::{spawn_app, tomorrow_at};
use chrono::Duration;
use reqwest::StatusCode;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_retry_replays_the_first_answer_byte_for_byte() {
    let app = spawn_app().await;
    let client = app.user("client").await;
    let pro = app.pro(100).await;
    let first = app
        .book(Some(&client), "retry-me", &pro.id, tomorrow_at(10), 30)
        .await;
    assert_eq!(first.status(), StatusCode::CREATED);
    assert!(first.headers().get("idempotent-replayed").is_none());
    let first_body = first.bytes().await.expect("body");
    for key in ["retry-me", "\"retry-me\""] {
        let again = app
            .book(Some(&client), key, &pro.id, tomorrow_at(10), 30)
            .await;
        assert_eq!(again.status(), StatusCode::CREATED);
        assert_eq!(again.headers()["idempotent-replayed"], "true");
        assert_eq!(again.bytes().await.expect("body"), first_body);
    }
    assert_eq!(app.count_bookings("true").await, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_same_key_with_another_body_is_422() {
    let app = spawn_app().await;
    let client = app.user("client").await;
    let pro = app.pro(100).await;
    let (status, _) = app
        .booked(Some(&client), "k", &pro.id, tomorrow_at(10), 30)
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let (status, problem) = app
        .booked(Some(&client), "k", &pro.id, tomorrow_at(12), 30)
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(problem["code"], "idempotency_key_reused");
    assert_eq!(app.count_bookings("true").await, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn errors_are_replayed_too() {
    let app = spawn_app().await;
    let alice = app.user("client").await;
    let bob = app.user("client").await;
    let pro = app.pro(100).await;
    let (status, _) = app
        .booked(Some(&alice), "a", &pro.id, tomorrow_at(10), 30)
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let lost = app
        .book(Some(&bob), "b", &pro.id, tomorrow_at(10), 30)
        .await;
    assert_eq!(lost.status(), StatusCode::CONFLICT);
    let lost_body = lost.bytes().await.expect("body");
    // Even after the slot frees up, the key keeps its first answer.
    let mut conn = app.state.pool.get().await.expect("conn");
    {
        use diesel_async::SimpleAsyncConnection;
        conn.batch_execute("UPDATE bookings SET status = 'cancelled'")
            .await
            .expect("free the slot");
    }
    let replay = app
        .book(Some(&bob), "b", &pro.id, tomorrow_at(10), 30)
        .await;
    assert_eq!(replay.status(), StatusCode::CONFLICT);
    assert_eq!(replay.headers()["idempotent-replayed"], "true");
    assert_eq!(replay.headers()["content-type"], "application/problem+json");
    assert_eq!(replay.bytes().await.expect("body"), lost_body);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keys_are_scoped_to_the_caller() {
    let app = spawn_app().await;
    let alice = app.user("client").await;
    let bob = app.user("client").await;
    let pro = app.pro(100).await;
    let (status, a) = app
        .booked(Some(&alice), "shared", &pro.id, tomorrow_at(10), 30)
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let (status, b) = app
        .booked(Some(&bob), "shared", &pro.id, tomorrow_at(11), 30)
        .await;
    assert_eq!(status, StatusCode::CREATED);
    assert_ne!(a["id"], b["id"]);
    let free = app.pro(0).await;
    let (status, anon) = app
        .booked(None, "shared", &free.id, tomorrow_at(12), 30)
        .await;
    assert_eq!(status, StatusCode::CREATED);
    assert_ne!(anon["id"], a["id"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_expired_key_may_be_used_afresh() {
    let app = spawn_app().await;
    let client = app.user("client").await;
    let pro = app.pro(100).await;
    let (status, first) = app
        .booked(Some(&client), "old", &pro.id, tomorrow_at(10), 30)
        .await;
    assert_eq!(status, StatusCode::CREATED);
    {
        use diesel_async::SimpleAsyncConnection;
        let mut conn = app.state.pool.get().await.expect("conn");
        conn.batch_execute("UPDATE idempotency_keys SET expires_at = now() - interval '1 second'")
            .await
            .expect("age key");
    }
    let (status, second) = app
        .booked(
            Some(&client),
            "old",
            &pro.id,
            tomorrow_at(10) + Duration::hours(2),
            30,
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    assert_ne!(first["id"], second["id"]);
}
