use crate::helpers::{spawn_app, tomorrow_at};
use futures::future::join_all;
use reqwest::StatusCode;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fifty_clients_racing_for_one_slot_get_exactly_one_booking() {
    let app = spawn_app().await;
    let pro = app.pro(100).await;
    let mut tokens = Vec::new();
    for _ in 0..5 {
        tokens.push(app.user("client").await);
    }
    let attempts = (0..50).map(|i| {
        let token = tokens[i % tokens.len()].clone();
        let app = &app;
        let pro = &pro;
        async move {
            app.book(
                Some(&token),
                &format!("race-{i}"),
                &pro.id,
                tomorrow_at(10),
                60,
            )
            .await
        }
    });
    let responses = join_all(attempts).await;
    let mut created = 0;
    let mut conflicts = 0;
    for res in responses {
        match res.status() {
            StatusCode::CREATED => created += 1,
            StatusCode::CONFLICT => {
                let body: serde_json::Value = res.json().await.expect("json");
                assert_eq!(body["code"], "booking_conflict");
                conflicts += 1;
            }
            other => panic!("unexpected {other}: {:?}", res.text().await),
        }
    }
    assert_eq!((created, conflicts), (1, 49));
    assert_eq!(app.count_bookings("true").await, 1);
    // Racers queue on the availability window's row lock rather than
    // deadlocking on each other's exclusion-constraint entries.
    assert_eq!(app.deadlocks_once_pool_closed().await, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn twenty_concurrent_retries_of_one_key_make_one_booking() {
    let app = spawn_app().await;
    let pro = app.pro(100).await;
    let token = app.user("client").await;
    let attempts =
        (0..20).map(|_| app.book(Some(&token), "same-key", &pro.id, tomorrow_at(10), 60));
    let responses = join_all(attempts).await;
    let mut bodies = Vec::new();
    for res in responses {
        match res.status() {
            StatusCode::CREATED => bodies.push(res.bytes().await.expect("body")),
            StatusCode::CONFLICT => {
                let body: serde_json::Value = res.json().await.expect("json");
                assert_eq!(body["code"], "idempotency_key_in_use");
            }
            other => panic!("unexpected {other}: {:?}", res.text().await),
        }
    }
    assert!(!bodies.is_empty());
    assert!(
        bodies.iter().all(|b| *b == bodies[0]),
        "every 201 carries the same booking"
    );
    let later = app
        .book(Some(&token), "same-key", &pro.id, tomorrow_at(10), 60)
        .await;
    assert_eq!(later.status(), StatusCode::CREATED);
    assert_eq!(later.headers()["idempotent-replayed"], "true");
    assert_eq!(later.bytes().await.expect("body"), bodies[0]);
    assert_eq!(app.count_bookings("true").await, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_requests_on_a_hundred_keys_from_fifty_clients_make_a_hundred_bookings() {
    use futures::StreamExt;
    use std::collections::HashMap;
    let app = spawn_app().await;
    let token = app.user("client").await;
    let mut pros = Vec::new();
    for _ in 0..5 {
        pros.push(app.pro(0).await);
    }
    // Key k always asks for the same slot: pro k % 5, the (k / 5)-th half hour.
    let requests = (0..1000).map(|i| {
        let k = i % 100;
        let pro = &pros[k % 5];
        let start = tomorrow_at(8) + chrono::Duration::minutes(30 * (k / 5) as i64);
        let (app, token) = (&app, &token);
        async move {
            let res = app
                .book(Some(token), &format!("scale-{k}"), &pro.id, start, 30)
                .await;
            (k, res.status(), res.bytes().await.expect("body"))
        }
    });
    let answers: Vec<_> = futures::stream::iter(requests)
        .buffer_unordered(50)
        .collect()
        .await;
    let mut first: HashMap<usize, bytes::Bytes> = HashMap::new();
    for (k, status, body) in answers {
        assert_eq!(
            status,
            StatusCode::CREATED,
            "{}",
            String::from_utf8_lossy(&body)
        );
        let seen = first.entry(k).or_insert_with(|| body.clone());
        assert_eq!(*seen, body, "key {k} answered differently");
    }
    assert_eq!(first.len(), 100);
    assert_eq!(app.count_bookings("true").await, 100);
}
