//! Events, orders and tickets: the happy paths and every refusal.

use crate::event_helpers::{ga_event, publish, seated_event, tier_id};
use crate::helpers::{intent_of, spawn_app, status_and_json};
use reqwest::StatusCode;
use serde_json::{Value, json};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_ga_tickets_are_held_paid_through_the_webhook_and_issued_to_their_buyer_only() {
    let app = spawn_app().await;
    let organizer = app.user("client").await;
    let buyer = app.user("client").await;
    let event = publish(
        &app,
        &organizer,
        json!({ "tiers": [
            { "name": "VIP", "price_cents": 2500, "capacity": 10 },
            { "name": "Silver", "price_cents": 1000, "capacity": 100 },
        ] }),
    )
    .await;
    assert_eq!(event["tiers"][0]["available"], 10);
    assert_eq!(event["tiers"][1]["sold_out"], false);
    let vip = tier_id(&event, 0);
    let (status, order) = app
        .order(
            &buyer,
            "two-vip",
            &event,
            json!({ "items": [{ "tier_id": vip, "quantity": 2 }] }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{order}");
    assert_eq!(order["kind"], "tickets");
    assert_eq!(order["status"], "pending");
    assert_eq!(order["total_cents"], 5000);
    assert_eq!(
        order["items"],
        json!([{ "tier_id": vip, "seat": null, "quantity": 2, "unit_price_cents": 2500 }])
    );
    assert_eq!(order["tickets"], json!([]));
    assert!(order["expires_at"].is_string());
    let now = app.event_now(&event).await;
    assert_eq!(
        (
            now["tiers"][0]["held"].as_i64(),
            now["tiers"][0]["available"].as_i64()
        ),
        (Some(2), Some(8))
    );

    let intent = intent_of(&order);
    let at_stripe = app.stripe_get(&format!("payment_intents/{intent}")).await;
    assert_eq!(at_stripe["amount"], 5000);
    assert_eq!(at_stripe["metadata"]["kind"], "order");
    assert_eq!(at_stripe["metadata"]["order_id"], order["id"]);
    assert_eq!(at_stripe["metadata"]["event_id"], event["id"]);
    assert_eq!(app.pay(intent, "pm_card_visa").await["status"], "succeeded");
    let id = order["id"].as_str().expect("id");
    let paid = app
        .wait_for_order(&buyer, id, |o| o["status"] == "confirmed")
        .await;
    let tickets = paid["tickets"].as_array().expect("tickets");
    assert_eq!(tickets.len(), 2);
    for t in tickets {
        assert_eq!(t["status"], "valid");
        assert_eq!(t["tier_id"], vip.as_str());
        let code = t["code"].as_str().expect("code");
        assert!(
            code.len() == 135
                && (code.bytes()).all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'),
            "a signed code in base64url: {code}"
        );
    }
    assert_ne!(tickets[0]["code"], tickets[1]["code"]);
    let now = app.event_now(&event).await;
    assert_eq!(
        (
            now["tiers"][0]["sold"].as_i64(),
            now["tiers"][0]["held"].as_i64()
        ),
        (Some(2), Some(0))
    );
    let confirmed_by = app
        .sql_i64(&format!(
            "SELECT count(*) FROM order_transitions WHERE order_id = '{id}' AND to_status = 'confirmed' AND source LIKE 'stripe_event:evt_%'"
        ))
        .await;
    assert_eq!(
        confirmed_by, 1,
        "the confirmation is on record with its event"
    );

    let (_, mine) = app.get_json(&buyer, "/tickets").await;
    assert_eq!(mine["items"].as_array().map(Vec::len), Some(2));
    let ticket = tickets[0]["id"].as_str().expect("ticket id");
    let (status, _) = app.get_json(&buyer, &format!("/tickets/{ticket}")).await;
    assert_eq!(status, StatusCode::OK);
    let (_, orders) = app.get_json(&buyer, "/orders").await;
    assert_eq!(orders["items"][0]["id"], order["id"]);
    // Nobody else sees them.
    let stranger = app.user("client").await;
    for path in [format!("/orders/{id}"), format!("/tickets/{ticket}")] {
        let (status, problem) = app.get_json(&stranger, &path).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}: {problem}");
    }
    let (_, theirs) = app.get_json(&stranger, "/tickets").await;
    assert_eq!(theirs["items"], json!([]));
    // The key still replays the order as it was made.
    let (status, replay) = app
        .order(
            &buyer,
            "two-vip",
            &event,
            json!({ "items": [{ "tier_id": vip, "quantity": 2 }] }),
        )
        .await;
    assert_eq!((status, &replay["id"]), (StatusCode::CREATED, &order["id"]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_free_order_is_confirmed_at_once_with_its_tickets() {
    let app = spawn_app().await;
    let organizer = app.user("client").await;
    let buyer = app.user("client").await;
    let event = ga_event(&app, &organizer, 5, 0).await;
    let (status, order) = app
        .order(
            &buyer,
            "free",
            &event,
            json!({ "items": [{ "tier_id": tier_id(&event, 0), "quantity": 3 }] }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{order}");
    assert_eq!(order["status"], "confirmed");
    assert!(order.get("payment").is_none());
    assert_eq!(order["tickets"].as_array().map(Vec::len), Some(3));
    let now = app.event_now(&event).await;
    assert_eq!(
        (
            now["tiers"][0]["sold"].as_i64(),
            now["tiers"][0]["available"].as_i64()
        ),
        (Some(3), Some(2))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn seats_a1_and_a2_are_held_then_refused_to_the_next_buyer_by_name() {
    let app = spawn_app().await;
    let organizer = app.user("client").await;
    let (alice, bob) = (app.user("client").await, app.user("client").await);
    let event = seated_event(&app, &organizer, 4, 10, 4000).await;
    assert_eq!(event["seated"], true);
    assert_eq!(event["seating"]["total"], 40);
    let (status, order) = app
        .order(&alice, "a", &event, json!({ "seats": ["A1", "A2"] }))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{order}");
    assert_eq!(order["total_cents"], 8000);
    let seats: Vec<&str> = order["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|i| i["seat"].as_str())
        .collect();
    assert_eq!(seats, ["A1", "A2"]);
    let map = app.seat_statuses(&event).await;
    assert_eq!(
        (map["A1"].as_str(), map["A2"].as_str(), map["A3"].as_str()),
        ("held", "held", "available")
    );

    let (status, problem) = app
        .order(&bob, "b", &event, json!({ "seats": ["A2", "A3"] }))
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(problem["code"], "seat_unavailable");
    assert_eq!(problem["seats"], json!(["A2"]));
    assert_eq!(
        app.seat_statuses(&event).await["A3"],
        "available",
        "nothing of a refused order stays held"
    );
    let (status, problem) = app
        .order(&bob, "c", &event, json!({ "seats": ["A3", "Z9"] }))
        .await;
    assert_eq!(
        (status, &problem["code"]),
        (StatusCode::UNPROCESSABLE_ENTITY, &json!("unknown_seat"))
    );
    assert_eq!(problem["seats"], json!(["Z9"]));

    app.pay(intent_of(&order), "pm_card_visa").await;
    let id = order["id"].as_str().expect("id");
    let paid = app
        .wait_for_order(&alice, id, |o| o["status"] == "confirmed")
        .await;
    let seats: Vec<&str> = paid["tickets"]
        .as_array()
        .expect("tickets")
        .iter()
        .filter_map(|t| t["seat"].as_str())
        .collect();
    assert_eq!(seats.len(), 2);
    let map = app.seat_statuses(&event).await;
    assert_eq!((map["A1"].as_str(), map["A2"].as_str()), ("sold", "sold"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_refusal_is_a_problem_with_a_stable_code() {
    let app = spawn_app().await;
    let organizer = app.user("client").await;
    let buyer = app.user("client").await;
    let event = publish(
        &app,
        &organizer,
        json!({ "max_per_order": 4, "tiers": [
            { "name": "Gold", "price_cents": 1500, "capacity": 3 },
            { "name": "Silver", "price_cents": 800, "capacity": 50 },
        ] }),
    )
    .await;
    let (gold, silver) = (tier_id(&event, 0), tier_id(&event, 1));
    let cases: Vec<(Value, StatusCode, &str)> = vec![
        (
            json!({ "items": [{ "tier_id": silver, "quantity": 5 }] }),
            StatusCode::UNPROCESSABLE_ENTITY,
            "max_per_order",
        ),
        (
            json!({ "items": [{ "tier_id": uuid::Uuid::new_v4(), "quantity": 1 }] }),
            StatusCode::UNPROCESSABLE_ENTITY,
            "unknown_tier",
        ),
        (
            json!({ "items": [{ "tier_id": silver, "quantity": 1 }], "seats": ["A1"] }),
            StatusCode::UNPROCESSABLE_ENTITY,
            "mixed_order",
        ),
        (
            json!({ "seats": ["A1"] }),
            StatusCode::UNPROCESSABLE_ENTITY,
            "wrong_order_kind",
        ),
        (
            json!({ "items": [{ "tier_id": silver, "quantity": 0 }] }),
            StatusCode::UNPROCESSABLE_ENTITY,
            "empty_order",
        ),
        (json!({}), StatusCode::UNPROCESSABLE_ENTITY, "empty_order"),
        (
            json!({ "items": [{ "tier_id": gold, "quantity": 4 }] }),
            StatusCode::CONFLICT,
            "sold_out",
        ),
    ];
    for (i, (body, status, code)) in cases.into_iter().enumerate() {
        let (got, problem) = app
            .order(&buyer, &format!("case-{i}"), &event, body.clone())
            .await;
        assert_eq!(
            (got, problem["code"].as_str()),
            (status, Some(code)),
            "{body}: {problem}"
        );
        if code == "sold_out" {
            assert_eq!(problem["available"], 3, "the problem says what is left");
        }
    }
    // Someone else may not change or cancel it; the organizer may, with the current version.
    let id = event["id"].as_str().expect("id");
    let patch = |token: &str, version: &str| {
        app.http
            .patch(app.url(&format!("/events/{id}")))
            .bearer_auth(token)
            .header("If-Match", version.to_owned())
            .json(&json!({ "title": "Highlife Night II" }))
            .send()
    };
    let (status, _) = status_and_json(patch(&buyer, "1").await.expect("patch")).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, changed) = status_and_json(patch(&organizer, "\"1\"").await.expect("patch")).await;
    assert_eq!(
        (
            status,
            changed["title"].as_str(),
            changed["version"].as_i64()
        ),
        (StatusCode::OK, Some("Highlife Night II"), Some(2))
    );
    let (status, problem) = status_and_json(patch(&organizer, "1").await.expect("patch")).await;
    assert_eq!(
        (status, problem["code"].as_str()),
        (StatusCode::PRECONDITION_FAILED, Some("version_mismatch"))
    );
    let by_slug = app
        .http
        .get(app.url(&format!(
            "/events/{}",
            event["slug"].as_str().expect("slug")
        )))
        .send()
        .await
        .expect("get");
    assert_eq!(by_slug.status(), StatusCode::OK);

    let cancel = |token: &str| {
        app.http
            .post(app.url(&format!("/events/{id}/cancel")))
            .bearer_auth(token)
            .send()
    };
    assert_eq!(
        cancel(&buyer).await.expect("cancel").status(),
        StatusCode::FORBIDDEN
    );
    let (status, cancelled) = status_and_json(cancel(&organizer).await.expect("cancel")).await;
    assert_eq!(
        (status, cancelled["status"].as_str()),
        (StatusCode::OK, Some("cancelled"))
    );
    let (status, problem) = app
        .order(
            &buyer,
            "after",
            &event,
            json!({ "items": [{ "tier_id": silver, "quantity": 1 }] }),
        )
        .await;
    assert_eq!(
        (status, problem["code"].as_str()),
        (StatusCode::CONFLICT, Some("event_cancelled"))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancelling_an_event_cancels_pending_orders_and_refunds_paid_ones() {
    let app = spawn_app().await;
    let organizer = app.user("client").await;
    let (paid_buyer, unpaid_buyer) = (app.user("client").await, app.user("client").await);
    let event = ga_event(&app, &organizer, 20, 1200).await;
    let tier = tier_id(&event, 0);
    let (_, paid) = app
        .order(
            &paid_buyer,
            "p",
            &event,
            json!({ "items": [{ "tier_id": tier, "quantity": 2 }] }),
        )
        .await;
    let (_, unpaid) = app
        .order(
            &unpaid_buyer,
            "u",
            &event,
            json!({ "items": [{ "tier_id": tier, "quantity": 1 }] }),
        )
        .await;
    app.pay(intent_of(&paid), "pm_card_visa").await;
    let paid_id = paid["id"].as_str().expect("id");
    app.wait_for_order(&paid_buyer, paid_id, |o| o["status"] == "confirmed")
        .await;

    let id = event["id"].as_str().expect("id");
    let res = app
        .http
        .post(app.url(&format!("/events/{id}/cancel")))
        .bearer_auth(&organizer)
        .send()
        .await
        .expect("cancel");
    assert_eq!(res.status(), StatusCode::OK);
    let refunded = app
        .wait_for_order(&paid_buyer, paid_id, |o| {
            o["refund"]["refund_id"].is_string()
        })
        .await;
    assert_eq!(refunded["status"], "cancelled");
    assert_eq!(refunded["refund"]["amount_cents"], 2400);
    assert!(
        refunded["tickets"]
            .as_array()
            .expect("tickets")
            .iter()
            .all(|t| t["status"] == "refunded")
    );
    let (_, unpaid) = app
        .get_json(
            &unpaid_buyer,
            &format!("/orders/{}", unpaid["id"].as_str().expect("id")),
        )
        .await;
    assert_eq!(unpaid["status"], "cancelled");
    let now = app.event_now(&event).await;
    assert_eq!(
        (
            now["tiers"][0]["sold"].as_i64(),
            now["tiers"][0]["held"].as_i64()
        ),
        (Some(0), Some(0))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_events_load_once_with_a_nearly_sold_out_vip_tier_and_a_seat_map() {
    let app = spawn_app().await;
    assert_eq!(
        slotwise_booking::demo_events::load(&app.state)
            .await
            .expect("load"),
        2
    );
    assert_eq!(
        slotwise_booking::demo_events::load(&app.state)
            .await
            .expect("again"),
        0
    );
    let concert = app
        .event_now(&json!({ "id": slotwise_booking::demo_events::GA_SLUG }))
        .await;
    let vip = &concert["tiers"][0];
    assert_eq!(
        (
            vip["name"].as_str(),
            vip["sold"].as_i64(),
            vip["available"].as_i64()
        ),
        (Some("VIP"), Some(10), Some(2))
    );
    let play = app
        .event_now(&json!({ "id": slotwise_booking::demo_events::SEATED_SLUG }))
        .await;
    assert_eq!(play["seating"]["total"], 40);
    assert_eq!(app.seat_statuses(&play).await.len(), 40);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_organizer_lists_only_their_own_events_with_their_sales() {
    let app = spawn_app().await;
    let organizer = app.user("client").await;
    let other = app.user("client").await;
    let event = ga_event(&app, &organizer, 10, 1000).await;
    ga_event(&app, &other, 5, 500).await;
    let (status, order) = app
        .order(
            &other,
            "two",
            &event,
            json!({ "items": [{ "tier_id": tier_id(&event, 0), "quantity": 2 }] }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{order}");

    let (status, mine) = app.get_json(&organizer, "/events").await;
    assert_eq!(status, StatusCode::OK, "{mine}");
    let items = mine["items"].as_array().expect("items");
    assert_eq!(items.len(), 1, "only the caller's events: {mine}");
    assert_eq!(items[0]["id"], event["id"]);
    assert_eq!(
        items[0]["tiers"][0]["held"], 2,
        "with what is held and sold"
    );

    let anonymous = app.http.get(app.url("/events")).send().await.expect("send");
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);
}
