//! Selling tools (issue 28): on-sale windows.

use crate::event_helpers::{publish, tier_id};
use crate::helpers::{spawn_app, status_and_json};
use chrono::{Duration, SubsecRound, Utc};
use reqwest::StatusCode;
use serde_json::json;

/// A tier is sold only inside its window: before it, 409 `not_on_sale` with
/// `opens_at`; after it, with `closed_at`; an order that also names a tier on
/// sale holds nothing of it. The event page says which tiers are on sale.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tier_is_sold_only_inside_its_on_sale_window() {
    let app = spawn_app().await;
    let organizer = app.signup("organizer@example.com").await;
    let buyer = app.signup("buyer@example.com").await;
    let opens = (Utc::now() + Duration::hours(1)).trunc_subsecs(0);
    let event = publish(
        &app,
        &organizer,
        json!({ "tiers": [
            { "name": "General", "price_cents": 0, "capacity": 10 },
            { "name": "Early", "price_cents": 0, "capacity": 10, "sales_start": opens.to_rfc3339() },
            { "name": "Door", "price_cents": 0, "capacity": 10,
              "sales_start": (Utc::now() - Duration::hours(2)).to_rfc3339(),
              "sales_end": (Utc::now() - Duration::hours(1)).to_rfc3339() },
        ] }),
    )
    .await;
    let on_sale: Vec<bool> = (event["tiers"].as_array().expect("tiers").iter())
        .map(|t| t["on_sale"].as_bool().expect("on_sale"))
        .collect();
    assert_eq!(on_sale, vec![true, false, false], "{event}");
    let (general, early, door) = (tier_id(&event, 0), tier_id(&event, 1), tier_id(&event, 2));

    let (status, problem) = app
        .order(
            &buyer,
            "early",
            &event,
            json!({ "items": [{ "tier_id": early, "quantity": 1 }] }),
        )
        .await;
    assert_eq!(
        (status, problem["code"].as_str()),
        (StatusCode::CONFLICT, Some("not_on_sale")),
        "{problem}"
    );
    let said = problem["opens_at"].as_str().expect("opens_at");
    assert_eq!(
        chrono::DateTime::parse_from_rfc3339(said).expect("time"),
        opens
    );

    let (status, problem) = app
        .order(
            &buyer,
            "door",
            &event,
            json!({ "items": [{ "tier_id": door, "quantity": 1 }] }),
        )
        .await;
    assert_eq!(
        (status, problem["code"].as_str()),
        (StatusCode::CONFLICT, Some("not_on_sale")),
        "{problem}"
    );
    assert!(problem["closed_at"].is_string(), "{problem}");

    // One tier on sale and one not: nothing is held of either.
    let (status, _) = app
        .order(
            &buyer,
            "both",
            &event,
            json!({ "items": [{ "tier_id": general, "quantity": 2 }, { "tier_id": early, "quantity": 1 }] }),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(
        app.sql_i64("SELECT COALESCE(sum(held + sold), 0) FROM tier_stock")
            .await,
        0
    );

    // The window opens: the same tier sells.
    app.sql(&format!(
        "UPDATE ticket_tiers SET sales_start = now() - interval '1 second' WHERE id = '{early}'"
    ))
    .await;
    let (status, order) = app
        .order(
            &buyer,
            "early-again",
            &event,
            json!({ "items": [{ "tier_id": early, "quantity": 1 }] }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{order}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_window_that_ends_before_it_starts_is_refused() {
    let app = spawn_app().await;
    let organizer = app.signup("organizer@example.com").await;
    let start = Utc::now() + Duration::days(1);
    let res = app
        .http
        .post(app.url("/events"))
        .bearer_auth(&organizer)
        .header("Idempotency-Key", "bad-window")
        .json(&json!({
            "title": "Backwards", "category": "Concert",
            "venue": { "name": "Hall", "lat": 5.5, "long": -0.2 },
            "starts_at": (Utc::now() + Duration::days(7)).to_rfc3339(),
            "tiers": [{ "name": "GA", "price_cents": 0, "capacity": 5,
                        "sales_start": start.to_rfc3339(), "sales_end": start.to_rfc3339() }],
        }))
        .send()
        .await
        .expect("publish");
    let (status, problem) = status_and_json(res).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{problem}");
    assert_eq!(problem["errors"][0]["field"], "tiers[0].sales_end");
}

/// `POST /events/{id}/vouchers` as the organizer; the created codes.
async fn vouchers(
    app: &crate::helpers::TestApp,
    organizer: &str,
    event: &serde_json::Value,
    body: serde_json::Value,
) -> serde_json::Value {
    let id = event["id"].as_str().expect("id");
    let res = (app.http.post(app.url(&format!("/events/{id}/vouchers"))))
        .bearer_auth(organizer)
        .json(&body)
        .send()
        .await
        .expect("vouchers");
    let (status, created) = status_and_json(res).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    created
}

/// 50 buyers race for a code with `max_uses = 10`: exactly 10 orders hold
/// it, each at the discounted price (its PaymentIntent too); the others are
/// told it is used up and hold nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fifty_buyers_racing_for_ten_uses_of_a_code_make_ten_discounted_orders() {
    let app = spawn_app().await;
    let organizer = app.user("client").await;
    let event = crate::event_helpers::ga_event(&app, &organizer, 100, 2000).await;
    let tier = tier_id(&event, 0);
    vouchers(
        &app,
        &organizer,
        &event,
        json!({ "code": "half", "percent_off": 50, "max_uses": 10 }),
    )
    .await;
    let mut buyers = Vec::new();
    for _ in 0..50 {
        buyers.push(app.user("client").await);
    }
    let attempts = buyers.iter().enumerate().map(|(i, buyer)| {
        let (app, event, tier) = (&app, &event, &tier);
        async move {
            let body =
                json!({ "items": [{ "tier_id": tier, "quantity": 1 }], "voucher": " Half " });
            app.order(buyer, &format!("race-{i}"), event, body).await
        }
    });
    let (mut won, mut used_up) = (Vec::new(), 0);
    for (status, answer) in futures::future::join_all(attempts).await {
        match (status, answer["code"].as_str()) {
            (StatusCode::CREATED, _) => won.push(answer),
            (StatusCode::CONFLICT, Some("voucher_used_up")) => used_up += 1,
            other => panic!("unexpected {other:?}: {answer}"),
        }
    }
    assert_eq!((won.len(), used_up), (10, 40));
    assert!(
        won.iter()
            .all(|o| o["total_cents"] == 1000 && o["discount_cents"] == 1000),
        "{won:?}"
    );
    let intent = app
        .stripe_get(&format!(
            "payment_intents/{}",
            crate::helpers::intent_of(&won[0])
        ))
        .await;
    assert_eq!(intent["amount"], 1000);
    assert_eq!(app.sql_i64("SELECT uses::bigint FROM vouchers").await, 10);
    assert_eq!(
        app.sql_i64("SELECT count(*) FROM orders WHERE voucher_id IS NOT NULL")
            .await,
        10
    );
    assert_eq!(
        app.sql_i64("SELECT sum(held)::bigint FROM tier_stock")
            .await,
        10
    );
}

/// A hold that runs out gives its code's use back; the next buyer takes it.
/// Refused codes (unknown, wrong tier, too many tickets, expired) hold nothing
/// and say nothing of other codes; a code that makes an order free confirms
/// it at once; a partial refund gives back the discounted price.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_code_is_given_back_on_expiry_refused_clearly_and_refunds_pay_what_was_paid() {
    let app = spawn_app().await;
    let (organizer, first, second) = (
        app.user("client").await,
        app.user("client").await,
        app.user("client").await,
    );
    let event = publish(
        &app,
        &organizer,
        json!({ "tiers": [
            { "name": "General", "price_cents": 2500, "capacity": 50 },
            { "name": "Crew", "price_cents": 4000, "capacity": 5, "hidden": true },
        ] }),
    )
    .await;
    let (general, crew) = (tier_id(&event, 0), tier_id(&event, 1));
    vouchers(
        &app,
        &organizer,
        &event,
        json!({ "code": "ONCE", "amount_off_cents": 1000, "max_uses": 1,
        "tier_ids": [general], "max_per_order": 2 }),
    )
    .await;
    vouchers(
        &app,
        &organizer,
        &event,
        json!({ "code": "OLD", "percent_off": 10,
        "valid_from": (Utc::now() - Duration::days(2)).to_rfc3339(),
        "valid_until": (Utc::now() - Duration::days(1)).to_rfc3339() }),
    )
    .await;
    vouchers(
        &app,
        &organizer,
        &event,
        json!({ "code": "CREW", "percent_off": 100, "tier_ids": [crew], "max_uses": 5 }),
    )
    .await;
    let order = |buyer: String,
                 key: &'static str,
                 tier: String,
                 quantity: i64,
                 code: &'static str| {
        let (app, event) = (&app, &event);
        async move {
            let body =
                json!({ "items": [{ "tier_id": tier, "quantity": quantity }], "voucher": code });
            app.order(&buyer, key, event, body).await
        }
    };

    // Refusals, each with its code; nothing is held.
    for (key, tier, quantity, code, status, problem) in [
        (
            "u1",
            &general,
            1,
            "NOPE",
            StatusCode::UNPROCESSABLE_ENTITY,
            "voucher_invalid",
        ),
        (
            "u2",
            &general,
            3,
            "ONCE",
            StatusCode::UNPROCESSABLE_ENTITY,
            "voucher_order_limit",
        ),
        (
            "u3",
            &general,
            1,
            "OLD",
            StatusCode::CONFLICT,
            "voucher_expired",
        ),
        (
            "u4",
            &general,
            1,
            "CREW",
            StatusCode::UNPROCESSABLE_ENTITY,
            "voucher_not_applicable",
        ),
    ] {
        let (got, answer) = order(first.clone(), key, tier.clone(), quantity, code).await;
        assert_eq!(
            (got, answer["code"].as_str()),
            (status, Some(problem)),
            "{code}: {answer}"
        );
    }
    assert_eq!(
        app.sql_i64("SELECT COALESCE(sum(held + sold), 0) FROM tier_stock")
            .await,
        0
    );
    assert_eq!(
        app.sql_i64("SELECT sum(uses)::bigint FROM vouchers").await,
        0
    );

    // A hidden tier: not listed to others, unknown without its code.
    let public = app
        .get_json(
            &second,
            &format!("/events/{}", event["id"].as_str().expect("id")),
        )
        .await
        .1;
    assert_eq!(
        public["tiers"].as_array().map(Vec::len),
        Some(1),
        "{public}"
    );
    let (status, answer) = app
        .order(
            &second,
            "crew-plain",
            &event,
            json!({ "items": [{ "tier_id": crew, "quantity": 1 }] }),
        )
        .await;
    assert_eq!(
        (status, answer["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("unknown_tier"))
    );
    // With it, free: confirmed at once, tickets issued, nothing to pay.
    let (status, free) = order(second.clone(), "crew", crew.clone(), 2, "crew").await;
    assert_eq!(
        (
            status,
            free["status"].as_str(),
            free["total_cents"].as_i64()
        ),
        (StatusCode::CREATED, Some("confirmed"), Some(0)),
        "{free}"
    );
    assert_eq!(free["tickets"].as_array().map(Vec::len), Some(2));

    // ONCE: the first buyer holds it; the second is told it is used up.
    let (status, held) = order(first.clone(), "once-1", general.clone(), 2, "once").await;
    assert_eq!(
        (status, held["total_cents"].as_i64()),
        (StatusCode::CREATED, Some(3000)),
        "{held}"
    );
    let (status, answer) = order(second.clone(), "once-2", general.clone(), 1, "once").await;
    assert_eq!(
        (status, answer["code"].as_str()),
        (StatusCode::CONFLICT, Some("voucher_used_up"))
    );
    // The first hold runs out: the use comes back, and the second buyer pays 1500.
    let id = held["id"].as_str().expect("id");
    app.sql(&format!(
        "UPDATE orders SET expires_at = now() - interval '1 second' WHERE id = '{id}'"
    ))
    .await;
    slotwise_booking::jobs::holds::expire_holds_once(&app.state)
        .await
        .expect("expire");
    assert_eq!(
        app.sql_i64("SELECT uses::bigint FROM vouchers WHERE code = 'ONCE'")
            .await,
        0
    );
    let (status, taken) = order(second.clone(), "once-3", general.clone(), 2, "once").await;
    assert_eq!(
        (status, taken["total_cents"].as_i64()),
        (StatusCode::CREATED, Some(3000)),
        "{taken}"
    );
    app.pay(crate::helpers::intent_of(&taken), "pm_card_visa")
        .await;
    let id = taken["id"].as_str().expect("id");
    let paid = app
        .wait_for_order(&second, id, |o| o["status"] == "confirmed")
        .await;
    // One of two tickets refunded: its discounted price, 1500, not 2500.
    let ticket = paid["tickets"][0]["id"]
        .as_str()
        .expect("ticket")
        .to_owned();
    let res = (app.http.post(app.url(&format!("/orders/{id}/refunds"))))
        .bearer_auth(&second)
        .header("Idempotency-Key", "refund-one")
        .json(&json!({ "ticket_ids": [ticket] }))
        .send()
        .await
        .expect("refund");
    let (status, refund) = status_and_json(res).await;
    assert_eq!(
        (status, refund["amount_cents"].as_i64()),
        (StatusCode::CREATED, Some(1500)),
        "{refund}"
    );

    // The organizer's view: uses and what each code brought in.
    let id = event["id"].as_str().expect("id");
    let (status, list) = app
        .get_json(&organizer, &format!("/events/{id}/vouchers"))
        .await;
    assert_eq!(status, StatusCode::OK);
    let once = (list["items"].as_array().expect("items").iter())
        .find(|v| v["code"] == "ONCE")
        .expect("ONCE")
        .clone();
    assert_eq!(
        (
            once["uses"].as_i64(),
            once["stats"]["orders"].as_i64(),
            once["stats"]["discount_cents"].as_i64()
        ),
        (Some(1), Some(1), Some(2000)),
        "{once}"
    );
    // Nobody else sees an organizer's codes.
    let (status, _) = app
        .get_json(&second, &format!("/events/{id}/vouchers"))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

/// What a hostile review found, each now held: a late payment keeps a
/// seated order's discounted prices; every ticket refunded one by one gives
/// the code's use back (once); a hidden tier outside its window is unknown
/// without its code; a stale token still reads the public event page.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn late_payments_ticket_refunds_and_hidden_windows_keep_codes_honest() {
    // Webhooks are sent by hand, so that the payment lands after the expiry.
    let app = crate::helpers::spawn_unregistered_app(|_| {}).await;
    let (organizer, buyer, other) = (
        app.user("client").await,
        app.user("client").await,
        app.user("client").await,
    );
    let seated = crate::event_helpers::seated_event(&app, &organizer, 1, 2, 10_000).await;
    vouchers(
        &app,
        &organizer,
        &seated,
        json!({ "code": "NINETY", "percent_off": 90, "max_uses": 1 }),
    )
    .await;
    let (status, held) = app
        .order(
            &buyer,
            "seats",
            &seated,
            json!({ "seats": ["A1", "A2"], "voucher": "ninety" }),
        )
        .await;
    assert_eq!(
        (status, held["total_cents"].as_i64()),
        (StatusCode::CREATED, Some(2000)),
        "{held}"
    );
    // Paid at Stripe, the hold runs out, then the payment's news lands: the
    // seats are taken again at 1000 each.
    let id = held["id"].as_str().expect("id").to_owned();
    app.pay(crate::helpers::intent_of(&held), "pm_card_visa")
        .await;
    app.sql(&format!(
        "UPDATE orders SET expires_at = now() - interval '1 second' WHERE id = '{id}'"
    ))
    .await;
    slotwise_booking::jobs::holds::expire_holds_once(&app.state)
        .await
        .expect("expire");
    assert_eq!(
        app.sql_i64("SELECT uses::bigint FROM vouchers WHERE code = 'NINETY'")
            .await,
        0
    );
    let intent = app
        .stripe_get(&format!(
            "payment_intents/{}",
            crate::helpers::intent_of(&held)
        ))
        .await;
    let res = app
        .send_event(
            &crate::helpers::event("payment_intent.succeeded", intent),
            None,
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let paid = app
        .wait_for_order(&buyer, &id, |o| o["status"] == "confirmed")
        .await;
    let prices: Vec<i64> = (paid["tickets"].as_array().expect("tickets").iter())
        .map(|t| t["price_cents"].as_i64().expect("price"))
        .collect();
    assert_eq!(prices, vec![1000, 1000], "{paid}");
    assert_eq!(
        app.sql_i64("SELECT uses::bigint FROM vouchers WHERE code = 'NINETY'")
            .await,
        1
    );
    // Both tickets refunded one by one: the use comes back, once.
    for (i, ticket) in paid["tickets"]
        .as_array()
        .expect("tickets")
        .iter()
        .enumerate()
    {
        let res = (app.http.post(app.url(&format!("/orders/{id}/refunds"))))
            .bearer_auth(&buyer)
            .header("Idempotency-Key", format!("refund-{i}"))
            .json(&json!({ "ticket_ids": [ticket["id"]] }))
            .send()
            .await
            .expect("refund");
        let (status, refund) = status_and_json(res).await;
        assert_eq!(
            (status, refund["amount_cents"].as_i64()),
            (StatusCode::CREATED, Some(1000)),
            "{refund}"
        );
    }
    assert_eq!(
        app.sql_i64("SELECT uses::bigint FROM vouchers WHERE code = 'NINETY'")
            .await,
        0
    );
    let (status, again) = app
        .order(
            &other,
            "seats-again",
            &seated,
            json!({ "seats": ["A1"], "voucher": "NINETY" }),
        )
        .await;
    assert_eq!(
        (status, again["total_cents"].as_i64()),
        (StatusCode::CREATED, Some(1000)),
        "{again}"
    );

    // A hidden tier whose window has not opened: unknown without its code.
    let event = publish(
        &app,
        &organizer,
        json!({ "tiers": [{ "name": "Open", "price_cents": 0, "capacity": 5 },
                          { "name": "Friends", "price_cents": 0, "capacity": 5, "hidden": true,
                            "sales_start": (Utc::now() + Duration::days(1)).to_rfc3339() }] }),
    )
    .await;
    let friends = tier_id(&event, 1);
    let (status, answer) = app
        .order(
            &other,
            "friends",
            &event,
            json!({ "items": [{ "tier_id": friends, "quantity": 1 }] }),
        )
        .await;
    assert_eq!(
        (status, answer["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("unknown_tier")),
        "{answer}"
    );
    // A stale token reads the public page as anyone (hidden tier left out).
    let res = (app
        .http
        .get(app.url(&format!("/events/{}", event["id"].as_str().expect("id")))))
    .bearer_auth("not-a-session")
    .send()
    .await
    .expect("get");
    let (status, page) = status_and_json(res).await;
    assert_eq!(
        (status, page["tiers"].as_array().map(Vec::len)),
        (StatusCode::OK, Some(1)),
        "{page}"
    );
}
