//! The event bus: every notification is also published to the machine's
//! NATS JetStream (`scripts/test` makes sure it runs), each event once.

use crate::helpers::{spawn_app_with, tomorrow_at};
use async_nats::jetstream;
use futures::StreamExt;
use reqwest::StatusCode;
use serde_json::Value;
use slotwise_booking::faults::CrashPoint;
use slotwise_booking::notify::bus::Bus;
use std::collections::BTreeMap;

fn nats_url() -> String {
    std::env::var("TEST_NATS_URL").unwrap_or_else(|_| "nats://127.0.0.1:4222".to_owned())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_subscriber_sees_each_event_once_also_when_the_relay_crashed_after_publishing() {
    // A stream of this test's own (subjects `<prefix>.>`); no lease, so a
    // crash's unmarked delivery is due again at once.
    let prefix = format!("t{}", &uuid::Uuid::new_v4().simple().to_string()[..12]);
    let app = spawn_app_with(|c| {
        c.notify.nats_url = Some(nats_url());
        c.notify.subject_prefix = prefix.clone();
        c.notify.smtp_url = None;
        c.notify.lease = std::time::Duration::ZERO;
    })
    .await;
    let client = app.user("client").await;
    let pro = app.pro(0).await;
    for hour in [9, 11, 13] {
        let (status, _) = app
            .booked(
                Some(&client),
                &format!("k{hour}"),
                &pro.id,
                tomorrow_at(hour),
                30,
            )
            .await;
        assert_eq!(status, StatusCode::CREATED);
    }
    app.state.faults.arm(CrashPoint::AfterNotificationSent);
    assert!(
        slotwise_booking::notify::send::notify_until_idle(&app.state)
            .await
            .is_err(),
        "one publish was not marked"
    );
    app.deliver().await;
    let resent = app
        .sql_i64("SELECT count(*) FROM deliveries WHERE channel = 'nats' AND status = 'sent' AND attempts = 2")
        .await;
    assert_eq!(resent, 1, "the crashed one was published again");

    let js = jetstream::new(async_nats::connect(nats_url()).await.expect("NATS"));
    let mut stream = js
        .get_stream(Bus::stream_name(&prefix))
        .await
        .expect("the service made the stream");
    let info = stream.info().await.expect("info");
    assert_eq!(
        info.state.messages, 3,
        "JetStream dropped the re-send by its Nats-Msg-Id"
    );
    let consumer = stream
        .create_consumer(jetstream::consumer::pull::Config::default())
        .await
        .expect("consumer");
    let mut messages = consumer
        .fetch()
        .max_messages(10)
        .messages()
        .await
        .expect("fetch");
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    while let Some(message) = messages.next().await {
        let message = message.expect("message");
        assert_eq!(
            message.subject.as_str(),
            format!("{prefix}.booking.confirmed")
        );
        let event: Value = serde_json::from_slice(&message.payload).expect("json");
        let id = event["id"].as_str().expect("id").to_owned();
        let msg_id = message
            .headers
            .as_ref()
            .and_then(|h| h.get("Nats-Msg-Id"))
            .map(|v| v.to_string());
        assert_eq!(
            msg_id.as_deref(),
            Some(id.as_str()),
            "the outbox row id is the message id"
        );
        *seen.entry(id).or_default() += 1;
    }
    let outbox: Vec<String> = app
        .outbox("booking.confirmed")
        .await
        .into_iter()
        .map(|(id, _)| id)
        .collect();
    assert_eq!(
        seen.keys().cloned().collect::<Vec<_>>(),
        outbox,
        "every event on the bus"
    );
    assert!(seen.values().all(|&n| n == 1), "each once: {seen:?}");
    js.delete_stream(Bus::stream_name(&prefix))
        .await
        .expect("clean up");
}
