//! The waiting list of a sold-out tier (issue 28): offers in join order,
//! held before the public sees them, passed on when ignored.

use crate::event_helpers::{ga_event, tier_id};
use crate::helpers::{TestApp, spawn_app, status_and_json};
use reqwest::StatusCode;
use serde_json::{Value, json};

/// A new account whose address is confirmed (a waiting list takes no other).
async fn verified(app: &TestApp) -> String {
    app.signup(&format!("{}@example.com", uuid::Uuid::new_v4().simple()))
        .await
}

async fn join(app: &TestApp, token: &str, event: &Value, tier: &str) -> (StatusCode, Value) {
    let id = event["id"].as_str().expect("id");
    let res = (app.http.post(app.url(&format!("/events/{id}/waitlist"))))
        .bearer_auth(token)
        .json(&json!({ "tier_id": tier, "quantity": 1 }))
        .send()
        .await
        .expect("join");
    status_and_json(res).await
}

/// 100 people wait; 10 units come back as holds run out: exactly the first
/// 10 in line get offers, held away from the public; an ignored offer passes
/// to the 11th; an accepted one becomes an order; nothing is oversold.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn returned_units_go_to_the_first_in_line_and_an_ignored_offer_moves_on() {
    let app = spawn_app().await;
    let organizer = verified(&app).await;
    let event = ga_event(&app, &organizer, 10, 1500).await;
    let tier = tier_id(&event, 0);
    // Ten unpaid holds take the tier.
    for i in 0..10 {
        let buyer = verified(&app).await;
        let (status, _) = app
            .order(
                &buyer,
                &format!("hold-{i}"),
                &event,
                json!({ "items": [{ "tier_id": tier, "quantity": 1 }] }),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED);
    }
    let mut line = Vec::new();
    for _ in 0..100 {
        let person = verified(&app).await;
        let (status, entry) = join(&app, &person, &event, &tier).await;
        assert_eq!(status, StatusCode::CREATED, "{entry}");
        line.push(person);
    }
    // Joining twice keeps one place.
    let (status, again) = join(&app, &line[4], &event, &tier).await;
    assert_eq!(
        (status, again["place"].as_i64()),
        (StatusCode::OK, Some(5)),
        "{again}"
    );

    // The holds run out: their units go to the first ten, not the public.
    app.sql("UPDATE orders SET expires_at = now() - interval '1 second'")
        .await;
    slotwise_booking::jobs::holds::expire_holds_once(&app.state)
        .await
        .expect("expire");
    let offered = app
        .sql_text("SELECT string_agg(status, ',' ORDER BY joined_at, id) FROM waitlist_entries")
        .await;
    let statuses: Vec<&str> = offered.split(',').collect();
    assert_eq!(statuses[..10], ["offered"; 10]);
    assert!(statuses[10..].iter().all(|s| *s == "waiting"), "{offered}");
    let stranger = verified(&app).await;
    let (status, answer) = app
        .order(
            &stranger,
            "stranger",
            &event,
            json!({ "items": [{ "tier_id": tier, "quantity": 1 }] }),
        )
        .await;
    assert_eq!(
        (status, answer["code"].as_str()),
        (StatusCode::CONFLICT, Some("sold_out"))
    );
    assert_eq!(
        app.sql_i64("SELECT count(*) FROM outbox WHERE topic = 'waitlist.offered'")
            .await,
        10
    );
    // Each is mailed to its person alone, with the link to buy through.
    app.deliver().await;
    let first = app
        .sql_text(
            "SELECT o.id::text || ' ' || u.email || ' ' || w.id FROM outbox o \
             JOIN waitlist_entries w ON w.id = o.subject_id JOIN users u ON u.id = w.user_id \
             WHERE o.topic = 'waitlist.offered' ORDER BY w.joined_at, w.id LIMIT 1",
        )
        .await;
    let [outbox_id, email, entry] = first.split(' ').collect::<Vec<_>>()[..] else {
        panic!("{first}");
    };
    let mail = crate::notify_helpers::received(outbox_id).expect("the offer reached the SMTP sink");
    assert_eq!(mail.to, email);
    let id = event["id"].as_str().expect("id");
    assert!(
        mail.text.contains(&format!("/#/events/{id}?offer={entry}")),
        "{}",
        mail.text
    );
    assert_eq!(
        app.sql_i64("SELECT count(*) FROM deliveries d JOIN outbox o ON o.id = d.outbox_id \
                     WHERE o.topic = 'waitlist.offered' AND d.channel = 'email' AND d.status = 'sent'")
            .await,
        10
    );

    // The first ignores the offer: it passes to the eleventh.
    app.sql(
        "UPDATE waitlist_entries SET offered_until = now() - interval '1 second' \
         WHERE (joined_at, id) = (SELECT joined_at, id FROM waitlist_entries ORDER BY joined_at, id LIMIT 1)",
    )
    .await;
    let lapsed = slotwise_booking::waitlist::lapse_due_once(&app.state)
        .await
        .expect("lapse");
    assert_eq!(lapsed, 1);
    let now = app
        .sql_text("SELECT string_agg(status, ',' ORDER BY joined_at, id) FROM (SELECT * FROM waitlist_entries ORDER BY joined_at, id LIMIT 12) w")
        .await;
    assert_eq!(
        now,
        format!("lapsed,{}offered,waiting", "offered,".repeat(9))
    );

    // The second takes theirs: an order of the held unit, at the tier's price.
    let (status, order) = app
        .order(
            &line[1],
            "offer",
            &event,
            json!({ "items": [{ "tier_id": tier, "quantity": 1 }] }),
        )
        .await;
    assert_eq!(
        (status, order["total_cents"].as_i64()),
        (StatusCode::CREATED, Some(1500)),
        "{order}"
    );
    let id = event["id"].as_str().expect("id");
    let (_, mine) = app
        .get_json(&line[1], &format!("/events/{id}/waitlist/me"))
        .await;
    assert_eq!(mine["items"][0]["status"], "bought", "{mine}");
    let (_, waiting) = app
        .get_json(&line[20], &format!("/events/{id}/waitlist/me"))
        .await;
    assert_eq!(waiting["items"][0]["place"], 10, "{waiting}");
    assert_eq!(
        app.sql_i64("SELECT count(*) FROM tier_stock WHERE held + sold > capacity")
            .await,
        0
    );
    assert_eq!(
        app.sql_i64("SELECT sum(held + sold)::bigint FROM tier_stock")
            .await,
        10
    );

    // The third leaves with their offer: it goes to the next person waiting.
    let res = (app
        .http
        .delete(app.url(&format!("/events/{id}/waitlist/me/{tier}"))))
    .bearer_auth(&line[2])
    .send()
    .await
    .expect("leave");
    let (status, left) = status_and_json(res).await;
    assert_eq!(
        (status, left["items"][0]["status"].as_str()),
        (StatusCode::OK, Some("left")),
        "{left}"
    );
    let (_, next) = app
        .get_json(&line[11], &format!("/events/{id}/waitlist/me"))
        .await;
    assert_eq!(next["items"][0]["status"], "offered", "{next}");
    let (_, moved) = app
        .get_json(&line[20], &format!("/events/{id}/waitlist/me"))
        .await;
    assert_eq!(moved["items"][0]["place"], 9, "{moved}");
    assert_eq!(
        app.sql_i64("SELECT count(*) FROM tier_stock WHERE held + sold > capacity")
            .await,
        0
    );
}

/// An offer ordered with a promo code that is used up meanwhile: the order
/// is refused and the offer stays its person's, units still held for them
/// (not given back to the line); ordering it without the code then works.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_used_up_promo_code_leaves_the_offer_as_it_was() {
    let app = spawn_app().await;
    let organizer = verified(&app).await;
    let event = ga_event(&app, &organizer, 2, 1500).await;
    let (id, tier) = (event["id"].as_str().expect("id"), tier_id(&event, 0));
    let res = (app.http.post(app.url(&format!("/events/{id}/vouchers"))))
        .bearer_auth(&organizer)
        .json(&json!({ "code": "ONCE", "percent_off": 10, "max_uses": 1 }))
        .send()
        .await
        .expect("voucher");
    assert_eq!(res.status(), StatusCode::CREATED);
    let items = |n: i32| json!([{ "tier_id": tier, "quantity": n }]);
    // One buyer holds a unit with the code (its only use), another the other unit.
    let (holder, other) = (verified(&app).await, verified(&app).await);
    let (status, _) = (app.order(
        &holder,
        "h",
        &event,
        json!({ "items": items(1), "voucher": "once" }),
    ))
    .await;
    assert_eq!(status, StatusCode::CREATED);
    let (status, _) = (app.order(&other, "o", &event, json!({ "items": items(1) }))).await;
    assert_eq!(status, StatusCode::CREATED);
    let waiting = verified(&app).await;
    assert_eq!(
        join(&app, &waiting, &event, &tier).await.0,
        StatusCode::CREATED
    );
    // The other's hold runs out: its unit is offered to the one waiting.
    app.sql("UPDATE orders SET expires_at = now() - interval '1 second' WHERE voucher_id IS NULL")
        .await;
    slotwise_booking::jobs::holds::expire_holds_once(&app.state)
        .await
        .expect("expire");
    let status_of = async || {
        app.sql_text(
            "SELECT status || ' ' || (SELECT sum(held) FROM tier_stock) FROM waitlist_entries",
        )
        .await
    };
    assert_eq!(status_of().await, "offered 2");

    let (status, refused) = (app.order(
        &waiting,
        "w1",
        &event,
        json!({ "items": items(1), "voucher": "once" }),
    ))
    .await;
    assert_eq!(
        (status, refused["code"].as_str()),
        (StatusCode::CONFLICT, Some("voucher_used_up")),
        "{refused}"
    );
    assert_eq!(
        status_of().await,
        "offered 2",
        "the offer and its hold stay"
    );
    let (status, order) = (app.order(&waiting, "w2", &event, json!({ "items": items(1) }))).await;
    assert_eq!(status, StatusCode::CREATED, "{order}");
    assert_eq!(status_of().await, "bought 2");
}

async fn hold_one(app: &TestApp, event: &Value, key: &str) {
    let buyer = verified(app).await;
    let tier = tier_id(event, 0);
    let body = json!({ "items": [{ "tier_id": tier, "quantity": 1 }] });
    let (status, order) = app.order(&buyer, key, event, body).await;
    assert_eq!(status, StatusCode::CREATED, "{order}");
}

async fn expire_one(app: &TestApp) {
    app.sql(
        "UPDATE orders SET expires_at = now() - interval '1 second' \
         WHERE id = (SELECT id FROM orders WHERE status = 'pending' ORDER BY created_at LIMIT 1)",
    )
    .await;
    slotwise_booking::jobs::holds::expire_holds_once(&app.state)
        .await
        .expect("expire");
}

async fn statuses(app: &TestApp) -> String {
    app.sql_text(
        "SELECT string_agg(status || ':' || quantity, ',' ORDER BY joined_at, id) FROM waitlist_entries",
    )
    .await
}

/// The review's line-jumper: the first person asks for more than can ever
/// come back. They are offered what came back (a partial offer), so the
/// units never sit free for the public while people wait.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_first_in_line_is_offered_what_came_back_even_when_they_asked_for_more() {
    let app = spawn_app().await;
    let organizer = verified(&app).await;
    let event = ga_event(&app, &organizer, 2, 1500).await;
    let (id, tier) = (event["id"].as_str().expect("id"), tier_id(&event, 0));
    hold_one(&app, &event, "a").await;
    hold_one(&app, &event, "b").await;
    let greedy = verified(&app).await;
    let res = (app.http.post(app.url(&format!("/events/{id}/waitlist"))))
        .bearer_auth(&greedy)
        .json(&json!({ "tier_id": tier, "quantity": 10 }))
        .send()
        .await
        .expect("join");
    assert_eq!(res.status(), StatusCode::CREATED);
    let next = verified(&app).await;
    assert_eq!(
        join(&app, &next, &event, &tier).await.0,
        StatusCode::CREATED
    );

    expire_one(&app).await;
    assert_eq!(statuses(&app).await, "offered:1,waiting:1");
    let stranger = verified(&app).await;
    let body = json!({ "items": [{ "tier_id": tier, "quantity": 1 }] });
    let (status, _) = app.order(&stranger, "s", &event, body.clone()).await;
    assert_eq!(status, StatusCode::CONFLICT, "the unit is the line's");
    // The offer is bought as offered: one ticket.
    let (status, order) = app.order(&greedy, "g", &event, body).await;
    assert_eq!(status, StatusCode::CREATED, "{order}");
    expire_one(&app).await;
    assert_eq!(statuses(&app).await, "bought:1,offered:1");
}

/// Joining needs a confirmed address (offers are mailed) and a tier on
/// sale; once a tier's sales end, returned units are not offered from it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_line_takes_confirmed_addresses_and_offers_only_while_the_tier_is_on_sale() {
    let app = spawn_app().await;
    let organizer = verified(&app).await;
    let event = ga_event(&app, &organizer, 1, 1500).await;
    let tier = tier_id(&event, 0);
    hold_one(&app, &event, "a").await;
    let unconfirmed = app
        .unverified_signup(&format!("{}@example.com", uuid::Uuid::new_v4().simple()))
        .await;
    let (status, problem) = join(&app, &unconfirmed, &event, &tier).await;
    assert_eq!(
        (status, problem["code"].as_str()),
        (StatusCode::FORBIDDEN, Some("email_not_verified")),
        "{problem}"
    );
    let waiting = verified(&app).await;
    assert_eq!(
        join(&app, &waiting, &event, &tier).await.0,
        StatusCode::CREATED
    );
    app.sql(&format!(
        "UPDATE ticket_tiers SET sales_start = now() - interval '2 hours', \
         sales_end = now() - interval '1 hour' WHERE id = '{tier}'"
    ))
    .await;
    let late = verified(&app).await;
    let (status, problem) = join(&app, &late, &event, &tier).await;
    assert_eq!(
        (status, problem["code"].as_str()),
        (StatusCode::CONFLICT, Some("not_on_sale")),
        "{problem}"
    );
    expire_one(&app).await;
    assert_eq!(
        statuses(&app).await,
        "waiting:1",
        "no offer of a tier off sale"
    );
}

/// Switched off, the line closes (live offers stay theirs); a cancelled
/// event closes its offers too and gives their units back.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn switching_the_list_off_or_cancelling_the_event_closes_the_line() {
    let app = spawn_app().await;
    let organizer = verified(&app).await;
    let event = ga_event(&app, &organizer, 1, 1500).await;
    let (id, tier) = (event["id"].as_str().expect("id"), tier_id(&event, 0));
    hold_one(&app, &event, "a").await;
    for _ in 0..2 {
        let person = verified(&app).await;
        assert_eq!(
            join(&app, &person, &event, &tier).await.0,
            StatusCode::CREATED
        );
    }
    expire_one(&app).await;
    assert_eq!(statuses(&app).await, "offered:1,waiting:1");
    let res = (app.http.put(app.url(&format!("/events/{id}/waitlist"))))
        .bearer_auth(&organizer)
        .json(&json!({ "open": false }))
        .send()
        .await
        .expect("switch");
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(statuses(&app).await, "offered:1,closed:1");

    let res = (app.http.post(app.url(&format!("/events/{id}/cancel"))))
        .bearer_auth(&organizer)
        .send()
        .await
        .expect("cancel");
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(statuses(&app).await, "closed:1,closed:1");
    assert_eq!(
        app.sql_i64("SELECT sum(held)::bigint FROM tier_stock")
            .await,
        0,
        "the closed offer's unit is given back"
    );
}
