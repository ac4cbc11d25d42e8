//! Outbound webhooks, against a real local HTTP receiver: signed like
//! Stripe's, retried with backoff, acknowledged once, disabled after
//! repeated failure; endpoint URLs that reach inside refused.

use crate::helpers::{spawn_app_with, tomorrow_at};
use crate::notify_helpers::{Receiver, verify};
use reqwest::StatusCode;
use serde_json::Value;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_receiver_failing_three_times_acknowledges_the_event_once_and_every_attempt_is_signed() {
    let app = spawn_app_with(|_| {}).await;
    let receiver = Receiver::start(vec![500, 500, 500]).await;
    let pro = app.pro(0).await;
    let (status, endpoint) = app
        .add_endpoint(&pro.token, &receiver.url, &["booking.confirmed"])
        .await;
    assert_eq!(status, StatusCode::CREATED, "{endpoint}");
    let secret = endpoint["secret"]
        .as_str()
        .expect("the secret, shown once")
        .to_owned();
    assert!(secret.starts_with("whsec_"));
    let id = endpoint["id"].as_str().expect("id");

    let client = app.user("client").await;
    let (status, booking) = app
        .booked(Some(&client), "b1", &pro.id, tomorrow_at(10), 30)
        .await;
    assert_eq!(status, StatusCode::CREATED);
    app.deliver().await;

    let hits = receiver.hits();
    assert_eq!(hits.len(), 4, "three 500s, then the 200");
    assert_eq!(
        hits.iter().filter(|h| h.answered == 200).count(),
        1,
        "acknowledged once"
    );
    for hit in &hits {
        assert!(
            verify(&secret, &hit.signature, &hit.body),
            "signed: {}",
            hit.signature
        );
        assert!(!verify("whsec_wrong", &hit.signature, &hit.body));
        assert_eq!(hit.body, hits[0].body, "the same event every time");
        assert_eq!(hit.event_type, "booking.confirmed");
    }
    let event: Value = serde_json::from_str(&hits[0].body).expect("json");
    assert_eq!(event["type"], "booking.confirmed");
    assert_eq!(
        event["id"].as_str(),
        Some(hits[0].event_id.as_str()),
        "the delivery key"
    );
    assert_eq!(event["data"]["booking"]["id"], booking["id"]);
    assert_eq!(
        event["data"]["professional"]["id"].as_str(),
        Some(pro.id.as_str())
    );

    let (status, page) = app
        .get_json(&pro.token, &format!("/webhook-endpoints/{id}/deliveries"))
        .await;
    assert_eq!(status, StatusCode::OK);
    let delivery = &page["items"][0];
    assert_eq!(page["items"].as_array().map(Vec::len), Some(1));
    assert_eq!(delivery["status"], "sent");
    assert_eq!(delivery["attempts"], 4);
    assert_eq!(delivery["last_status_code"], 200);
    assert_eq!(delivery["event_type"], "booking.confirmed");

    // Types it did not ask for are not sent; the secret is not shown again.
    let res = app
        .cancel(&client, booking["id"].as_str().expect("id"))
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    app.deliver().await;
    assert_eq!(receiver.hits().len(), 4);
    let (_, listed) = app.get_json(&pro.token, "/webhook-endpoints").await;
    assert_eq!(listed["items"][0]["id"].as_str(), Some(id));
    assert!(listed["items"][0].get("secret").is_none());
    // Nobody else sees it.
    let other = app.user("client").await;
    let (status, _) = app
        .get_json(&other, &format!("/webhook-endpoints/{id}"))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = app
        .get_json(&other, &format!("/webhook-endpoints/{id}/deliveries"))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_endpoint_failing_again_and_again_is_disabled_and_an_admin_retries_what_died() {
    let app = spawn_app_with(|c| c.notify.webhook_disable_after = 3).await;
    let receiver = Receiver::start(vec![500; 3]).await;
    let pro = app.pro(0).await;
    let (_, endpoint) = app.add_endpoint(&pro.token, &receiver.url, &["*"]).await;
    let id = endpoint["id"].as_str().expect("id").to_owned();
    let client = app.user("client").await;
    app.booked(Some(&client), "b1", &pro.id, tomorrow_at(10), 30)
        .await;
    app.deliver().await;
    assert_eq!(receiver.hits().len(), 3);
    let (_, now) = app
        .get_json(&pro.token, &format!("/webhook-endpoints/{id}"))
        .await;
    assert_eq!(now["status"], "disabled");
    assert_eq!(now["consecutive_failures"], 3);
    let (_, page) = app
        .get_json(&pro.token, &format!("/webhook-endpoints/{id}/deliveries"))
        .await;
    assert_eq!(page["items"][0]["status"], "dead");
    // A disabled endpoint hears nothing new.
    app.booked(Some(&client), "b2", &pro.id, tomorrow_at(12), 30)
        .await;
    app.deliver().await;
    assert_eq!(receiver.hits().len(), 3);

    // Only an admin sees and retries dead deliveries.
    let (status, _) = app.get_json(&pro.token, "/admin/deliveries/dead").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let admin = app.user("client").await;
    app.sql("UPDATE users SET role = 'admin' WHERE id = (SELECT user_id FROM sessions ORDER BY created_at DESC LIMIT 1)")
        .await;
    let (status, dead) = app.get_json(&admin, "/admin/deliveries/dead").await;
    assert_eq!(status, StatusCode::OK, "{dead}");
    let webhook: Vec<&Value> = (dead["items"].as_array().expect("items").iter())
        .filter(|d| d["channel"] == "webhook")
        .collect();
    assert_eq!(webhook.len(), 1);
    let res = app
        .http
        .post(app.url(&format!("/webhook-endpoints/{id}/enable")))
        .bearer_auth(&pro.token)
        .send()
        .await
        .expect("enable");
    assert_eq!(res.status(), StatusCode::OK);
    let res = app
        .http
        .post(app.url(&format!(
            "/admin/deliveries/{}/retry",
            webhook[0]["id"].as_str().expect("id")
        )))
        .bearer_auth(&admin)
        .send()
        .await
        .expect("retry");
    assert_eq!(res.status(), StatusCode::OK);
    app.deliver().await;
    let hits = receiver.hits();
    assert_eq!(hits.len(), 4);
    assert_eq!(hits[3].answered, 200);
    assert_eq!(
        hits[3].event_id, hits[0].event_id,
        "the same event, retried"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn endpoint_urls_that_reach_inside_are_refused() {
    let app = spawn_app_with(|c| c.notify.allow_private_urls = false).await;
    let token = app.user("client").await;
    for url in [
        "http://127.0.0.1:8080/hook",
        "http://localhost/hook",
        "http://169.254.169.254/latest/meta-data",
        "http://10.0.0.7/hook",
        "http://[::1]/hook",
        "http://0.0.0.0/",
        "ftp://example.com/hook",
        "https://user:pass@example.com/hook",
        "not a url",
    ] {
        let (status, body) = app.add_endpoint(&token, url, &["booking.confirmed"]).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{url}: {body}");
        assert_eq!(body["code"], "url_not_allowed", "{url}");
    }
    let (status, body) = app
        .add_endpoint(&token, "https://93.184.216.34/hook", &["booking.nope"])
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(body["errors"][0]["field"], "event_types");
    let (status, _) = app
        .add_endpoint(&token, "https://93.184.216.34/hook", &[])
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, body) = app
        .add_endpoint(&token, "https://93.184.216.34/hook", &["*"])
        .await;
    assert_eq!(
        status,
        StatusCode::CREATED,
        "a public address is fine: {body}"
    );
}
