//! Gifts: to an account at once, to a new email when it signs up, taken back
//! until then; a new code on every move; one winner between gift and refund.

use crate::event_helpers::{ga_event, tier_id};
use crate::helpers::{TestApp, intent_of, spawn_app, status_and_json};
use reqwest::StatusCode;
use serde_json::{Value, json};

async fn give(app: &TestApp, token: &str, ticket: &str, email: &str) -> (StatusCode, Value) {
    let res = app
        .http
        .post(app.url(&format!("/tickets/{ticket}/transfer")))
        .bearer_auth(token)
        .header("Idempotency-Key", uuid::Uuid::new_v4().to_string())
        .json(&json!({ "to_email": email }))
        .send()
        .await
        .expect("transfer");
    status_and_json(res).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_gift_moves_at_once_or_waits_for_a_signup_with_a_new_code_each_time() {
    let app = spawn_app().await;
    let (organizer, giver) = (app.user("client").await, app.user("client").await);
    let event = ga_event(&app, &organizer, 10, 0).await;
    let (_, order) = app
        .order(
            &giver,
            "free",
            &event,
            json!({ "items": [{ "tier_id": tier_id(&event, 0), "quantity": 3 }] }),
        )
        .await;
    let tickets: Vec<(String, String)> = order["tickets"]
        .as_array()
        .expect("tickets")
        .iter()
        .map(|t| {
            (
                t["id"].as_str().expect("id").to_owned(),
                t["code"].as_str().expect("code").to_owned(),
            )
        })
        .collect();
    let friend_email = format!("friend-{}@example.com", uuid::Uuid::new_v4().simple());
    let friend = app.signup(&friend_email).await;
    let newcomer = format!("new-{}@example.com", uuid::Uuid::new_v4().simple());

    let (status, to_account) = give(&app, &giver, &tickets[0].0, &friend_email).await;
    assert_eq!(status, StatusCode::CREATED, "{to_account}");
    let (status, to_nobody) = give(&app, &giver, &tickets[1].0, &newcomer).await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(
        (to_account["status"].as_str(), to_nobody["status"].as_str()),
        (Some("sent"), Some("sent")),
        "the answers say the same"
    );

    let (status, moved) = app
        .get_json(&friend, &format!("/tickets/{}", tickets[0].0))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_ne!(
        moved["code"].as_str(),
        Some(tickets[0].1.as_str()),
        "the old code is void"
    );
    let (status, _) = app
        .get_json(&giver, &format!("/tickets/{}", tickets[0].0))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "no longer the giver's");
    let (_, pending) = app
        .get_json(&giver, &format!("/tickets/{}", tickets[1].0))
        .await;
    assert_eq!(pending["status"], "transfer_pending");

    // Taken back, given again, then claimed by signing up.
    let res = app
        .http
        .delete(app.url(&format!("/tickets/{}/transfer", tickets[1].0)))
        .bearer_auth(&giver)
        .send()
        .await
        .expect("take back");
    let (status, back) = status_and_json(res).await;
    assert_eq!(
        (status, back["status"].as_str()),
        (StatusCode::OK, Some("valid"))
    );
    let (status, _) = give(&app, &giver, &tickets[1].0, &newcomer).await;
    assert_eq!(status, StatusCode::CREATED);
    let newcomer_token = app.signup(&newcomer).await;
    let (status, claimed) = app
        .get_json(&newcomer_token, &format!("/tickets/{}", tickets[1].0))
        .await;
    assert_eq!(
        (status, claimed["status"].as_str()),
        (StatusCode::OK, Some("valid"))
    );
    let kinds: Vec<&str> = claimed["history"]
        .as_array()
        .expect("history")
        .iter()
        .filter_map(|m| m["kind"].as_str())
        .collect();
    assert_eq!(
        kinds,
        [
            "issued",
            "gift_pending",
            "gift_taken_back",
            "gift_pending",
            "claimed"
        ],
        "every move on record"
    );
    let res = app
        .http
        .delete(app.url(&format!("/tickets/{}/transfer", tickets[1].0)))
        .bearer_auth(&giver)
        .send()
        .await
        .expect("too late");
    assert_eq!(
        res.status(),
        StatusCode::NOT_FOUND,
        "claimed: the giver cannot take it back"
    );
    // A gifted ticket can be listed by its new holder.
    let res = app
        .http
        .post(app.url(&format!("/tickets/{}/listing", tickets[0].0)))
        .bearer_auth(&friend)
        .json(&json!({ "price_cents": 500 }))
        .send()
        .await
        .expect("list");
    let (status, listing) = status_and_json(res).await;
    assert_eq!(status, StatusCode::CREATED, "{listing}");
    // Someone else's ticket cannot be given.
    let (status, _) = give(&app, &friend, &tickets[2].0, &newcomer).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_gift_and_a_refund_of_one_ticket_at_once_exactly_one_wins() {
    let app = spawn_app().await;
    let (organizer, buyer) = (app.user("client").await, app.user("client").await);
    let friend_email = format!("friend-{}@example.com", uuid::Uuid::new_v4().simple());
    app.signup(&friend_email).await;
    let event = ga_event(&app, &organizer, 10, 1500).await;
    for round in 0..3 {
        let (_, order) = app
            .order(
                &buyer,
                &format!("o{round}"),
                &event,
                json!({ "items": [{ "tier_id": tier_id(&event, 0), "quantity": 1 }] }),
            )
            .await;
        app.pay(intent_of(&order), "pm_card_visa").await;
        let id = order["id"].as_str().expect("id");
        let order = app
            .wait_for_order(&buyer, id, |o| o["status"] == "confirmed")
            .await;
        let ticket = order["tickets"][0]["id"]
            .as_str()
            .expect("ticket")
            .to_owned();
        let refund = app
            .http
            .post(app.url(&format!("/orders/{id}/refunds")))
            .bearer_auth(&buyer)
            .header("Idempotency-Key", format!("r{round}"))
            .json(&json!({ "ticket_ids": [ticket] }))
            .send();
        let (gift, refund) = tokio::join!(give(&app, &buyer, &ticket, &friend_email), refund);
        let (refund_status, refund_body) = status_and_json(refund.expect("refund")).await;
        let wins = [
            gift.0 == StatusCode::CREATED,
            refund_status == StatusCode::CREATED,
        ];
        assert_eq!(
            wins.iter().filter(|w| **w).count(),
            1,
            "gift {gift:?}, refund {refund_status} {refund_body}"
        );
        if wins[0] {
            assert!(
                ["ticket_transferred", "ticket_not_refundable"]
                    .contains(&refund_body["code"].as_str().unwrap_or_default()),
                "{refund_body}"
            );
        } else {
            assert_eq!(gift.1["code"], "ticket_not_transferable", "{:?}", gift.1);
        }
    }
}
