//! Door check-in, tried as the door, a scalper, an old holder, a stranger
//! and two doors at once would: a signed code admits once, by the device of
//! its event only; stale, void, forged and foreign codes say why not; a
//! device token does nothing else; offline scans upload later and the
//! earlier of two admissions wins.

use crate::event_helpers::{ga_event, tier_id};
use crate::helpers::{TestApp, spawn_app, status_and_json};
use chrono::{Duration, Utc};
use futures::future::join_all;
use reqwest::StatusCode;
use serde_json::{Value, json};

async fn post(app: &TestApp, token: &str, path: &str, body: Value) -> (StatusCode, Value) {
    let req = app.http.post(app.url(path)).bearer_auth(token).json(&body);
    status_and_json(req.send().await.expect("post")).await
}

/// A POST under a fresh `Idempotency-Key`.
async fn post_once(app: &TestApp, token: &str, path: &str, body: Value) -> (StatusCode, Value) {
    let key = uuid::Uuid::new_v4().to_string();
    let req = app
        .http
        .post(app.url(path))
        .bearer_auth(token)
        .header("Idempotency-Key", key);
    status_and_json(req.json(&body).send().await.expect("post")).await
}

/// A device of the event: its token.
async fn scanner(app: &TestApp, organizer: &str, event: &str, name: &str) -> (String, Value) {
    let path = format!("/events/{event}/scanners");
    let (status, device) = post(app, organizer, &path, json!({ "name": name })).await;
    assert_eq!(status, StatusCode::CREATED, "{device}");
    let token = device["token"].as_str().expect("token").to_owned();
    assert!(token.starts_with("sct_"));
    (token, device)
}

async fn scan(
    app: &TestApp,
    device: &str,
    event: &str,
    code: &str,
    scan_id: &str,
) -> (StatusCode, Value) {
    let path = format!("/events/{event}/checkins");
    post(
        app,
        device,
        &path,
        json!({ "code": code, "scan_id": scan_id }),
    )
    .await
}

/// An event of `capacity` free tickets and a buyer holding `n` of them: (event, buyer, tickets).
async fn sold(app: &TestApp, organizer: &str, n: i64) -> (Value, String, Vec<Value>) {
    let event = ga_event(app, organizer, 10, 0).await;
    let buyer = app.user("client").await;
    let body = json!({ "items": [{ "tier_id": tier_id(&event, 0), "quantity": n }] });
    let (status, order) = app
        .order(&buyer, &uuid::Uuid::new_v4().to_string(), &event, body)
        .await;
    assert_eq!(status, StatusCode::CREATED, "{order}");
    let tickets = order["tickets"].as_array().expect("tickets").clone();
    (event, buyer, tickets)
}

fn id(v: &Value) -> &str {
    v["id"].as_str().expect("id")
}

fn code(v: &Value) -> &str {
    v["code"].as_str().expect("code")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_code_admits_once_says_by_whom_and_a_resent_scan_gets_the_same_answer() {
    let app = spawn_app().await;
    let organizer = app.user("client").await;
    let (event, _, tickets) = sold(&app, &organizer, 2).await;
    let (door, _) = scanner(&app, &organizer, id(&event), "North door").await;
    let ticket = &tickets[0];
    assert_eq!(code(ticket).len(), 135, "fits a version 8 QR code");

    let (status, first) = scan(&app, &door, id(&event), code(ticket), "s-1").await;
    assert_eq!(status, StatusCode::OK, "{first}");
    assert_eq!(first["code"], "admitted");
    assert_eq!(first["ticket_id"], ticket["id"]);
    assert_eq!(first["tier"], "General");
    assert_eq!(first["holder_name"], "Test");
    let (status, again) = scan(&app, &door, id(&event), code(ticket), "s-1").await;
    assert_eq!(
        (status, &again),
        (StatusCode::OK, &first),
        "the same scan, the same answer"
    );

    let (status, second) = scan(&app, &door, id(&event), code(ticket), "s-2").await;
    assert_eq!(status, StatusCode::CONFLICT, "{second}");
    assert_eq!(second["code"], "already_checked_in");
    assert_eq!(second["checkin"]["device"], "North door");
    let at = |v: &Value| {
        let text = v.as_str().expect("time");
        chrono::DateTime::parse_from_rfc3339(text).expect("RFC 3339")
    };
    assert_eq!(
        at(&second["checkin"]["checked_in_at"]),
        at(&first["checked_in_at"])
    );
    // A scan id reused for another code is not a replay.
    let (status, reused) = scan(&app, &door, id(&event), code(&tickets[1]), "s-1").await;
    assert_eq!(
        (status, reused["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("scan_id_reused"))
    );
    let admitted = app.count_rows("checkins WHERE result = 'admitted'").await;
    assert_eq!(admitted, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn old_void_forged_garbled_and_foreign_codes_are_refused_saying_why() {
    let app = spawn_app().await;
    let organizer = app.user("client").await;
    let (event, buyer, tickets) = sold(&app, &organizer, 3).await;
    let (other_event, _, other_tickets) = sold(&app, &organizer, 1).await;
    let (door, _) = scanner(&app, &organizer, id(&event), "Door").await;
    let e = id(&event);

    // Given away: the giver's code is stale, the friend's admits.
    let friend_email = format!("friend-{}@example.com", uuid::Uuid::new_v4().simple());
    let friend = app.signup(&friend_email).await;
    let gift = app
        .http
        .post(app.url(&format!("/tickets/{}/transfer", id(&tickets[0]))))
        .bearer_auth(&buyer)
        .header("Idempotency-Key", "gift")
        .json(&json!({ "to_email": friend_email }))
        .send()
        .await
        .expect("gift");
    assert_eq!(gift.status(), StatusCode::CREATED);
    let (status, old) = scan(&app, &door, e, code(&tickets[0]), "old").await;
    assert_eq!(status, StatusCode::GONE, "{old}");
    assert_eq!(
        (old["code"].as_str(), old["checkin"]["reason"].as_str()),
        (Some("ticket_void"), Some("moved"))
    );
    let (_, theirs) = app
        .get_json(&friend, &format!("/tickets/{}", id(&tickets[0])))
        .await;
    assert_ne!(code(&theirs), code(&tickets[0]));
    let (status, _) = scan(&app, &door, e, code(&theirs), "new").await;
    assert_eq!(status, StatusCode::OK);

    // Revoked by the organizer.
    let revoke = post_once(
        &app,
        &organizer,
        &format!("/tickets/{}/revoke", id(&tickets[1])),
        json!({}),
    )
    .await;
    assert_eq!(revoke.0, StatusCode::OK, "{}", revoke.1);
    let (status, revoked) = scan(&app, &door, e, code(&tickets[1]), "revoked").await;
    assert_eq!(
        (status, revoked["checkin"]["reason"].as_str()),
        (StatusCode::GONE, Some("revoked"))
    );

    // Forged: the right shape, one byte changed; garbled: not a code at all.
    let mut forged: Vec<char> = code(&tickets[2]).chars().collect();
    forged[60] = if forged[60] == 'A' { 'B' } else { 'A' };
    let forged: String = forged.into_iter().collect();
    let (status, answer) = scan(&app, &door, e, &forged, "forged").await;
    assert_eq!(
        (status, answer["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("forged_code"))
    );
    let (status, answer) = scan(&app, &door, e, "hello; DROP TABLE tickets", "junk").await;
    assert_eq!(
        (status, answer["code"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_code"))
    );
    // Another event's ticket at this door.
    let (status, answer) = scan(&app, &door, e, code(&other_tickets[0]), "foreign").await;
    assert_eq!(
        (status, answer["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("wrong_event"))
    );
    // Nothing of it admitted anyone but the friend.
    assert_eq!(
        app.count_rows("checkins WHERE result = 'admitted'").await,
        1
    );
    let _ = other_event;

    // The event cancelled: every code is void, saying so.
    let cancelled = post(&app, &organizer, &format!("/events/{e}/cancel"), json!({})).await;
    assert_eq!(cancelled.0, StatusCode::OK, "{}", cancelled.1);
    let (status, answer) = scan(&app, &door, e, code(&tickets[2]), "cancelled").await;
    assert_eq!(
        (status, answer["checkin"]["reason"].as_str()),
        (StatusCode::GONE, Some("event_cancelled"))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_device_token_checks_in_its_event_only_and_strangers_get_nothing() {
    let app = spawn_app().await;
    let organizer = app.user("client").await;
    let stranger = app.user("client").await;
    let (event, buyer, tickets) = sold(&app, &organizer, 1).await;
    let (other, _, _) = sold(&app, &organizer, 1).await;
    let (door, device) = scanner(&app, &organizer, id(&event), "Door").await;
    let e = id(&event);

    // The device is not a session, nor a device of the other event.
    for path in [
        "/tickets".to_owned(),
        format!("/events/{e}/scanners"),
        format!("/events/{e}/checkins/stats"),
    ] {
        let (status, _) = app.get_json(&door, &path).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{path}");
    }
    let (status, _) = scan(&app, &door, id(&other), code(&tickets[0]), "x").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    // Sessions are not devices: not the buyer's, not even the organizer's.
    for token in [&buyer, &organizer, &stranger] {
        let (status, _) = scan(&app, token, e, code(&tickets[0]), "y").await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
    }
    // Only the organizer manages devices and reads the list and the counts.
    let (status, _) = post(
        &app,
        &stranger,
        &format!("/events/{e}/scanners"),
        json!({ "name": "Mine" }),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    for path in [
        format!("/events/{e}/checkin-list"),
        format!("/events/{e}/checkins?conflicts=true"),
        format!("/events/{e}/scanners"),
    ] {
        let (status, _) = app.get_json(&buyer, &path).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{path}");
    }
    let (status, listed) = app
        .get_json(&organizer, &format!("/events/{e}/scanners"))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        listed["items"][0].get("token").is_none(),
        "the token is shown once: {listed}"
    );

    // Revoked: the token stops at once.
    let res = app
        .http
        .delete(app.url(&format!("/events/{e}/scanners/{}", id(&device))))
        .bearer_auth(&organizer)
        .send()
        .await
        .expect("revoke");
    assert_eq!(res.status(), StatusCode::OK);
    let (status, _) = scan(&app, &door, e, code(&tickets[0]), "z").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_doors_scanning_one_code_at_once_admit_it_once() {
    let app = spawn_app().await;
    let organizer = app.user("client").await;
    let (event, _, tickets) = sold(&app, &organizer, 1).await;
    let e = id(&event);
    let (north, _) = scanner(&app, &organizer, e, "North").await;
    let (south, _) = scanner(&app, &organizer, e, "South").await;
    let attempts = (0..20).map(|i| {
        let door = if i % 2 == 0 { &north } else { &south };
        let (app, code) = (&app, code(&tickets[0]));
        async move { scan(app, door, e, code, &format!("race-{i}")).await }
    });
    let answers = join_all(attempts).await;
    let admitted = answers.iter().filter(|(s, _)| *s == StatusCode::OK).count();
    assert_eq!(admitted, 1, "{answers:?}");
    for (status, answer) in &answers {
        assert!(
            *status == StatusCode::OK || answer["code"] == "already_checked_in",
            "{status} {answer}"
        );
    }
    assert_eq!(
        app.count_rows("checkins WHERE result = 'admitted'").await,
        1
    );
    assert_eq!(
        app.count_rows("tickets WHERE entries = 1 AND inside").await,
        1
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn offline_scans_upload_later_and_the_earlier_admission_wins_as_a_listed_conflict() {
    let app = spawn_app().await;
    let organizer = app.user("client").await;
    let (event, _, tickets) = sold(&app, &organizer, 3).await;
    let e = id(&event);
    let (north, north_device) = scanner(&app, &organizer, e, "North").await;
    let (south, south_device) = scanner(&app, &organizer, e, "South").await;

    // The list a device keeps offline: the key and each ticket's counter.
    let (status, list) = app
        .get_json(&south, &format!("/events/{e}/checkin-list"))
        .await;
    assert_eq!(status, StatusCode::OK, "{list}");
    assert_eq!(list["tickets"].as_array().expect("tickets").len(), 3);
    assert_eq!(list["tickets"][0]["counter"], 0);
    assert_eq!(list["public_key"].as_str().expect("key").len(), 43);

    // North admits ticket 0 online now; South (at the door for an hour),
    // offline, had admitted it ten minutes earlier, and ticket 1 too.
    app.sql("UPDATE scanners SET created_at = now() - interval '1 hour'")
        .await;
    let (status, _) = scan(&app, &north, e, code(&tickets[0]), "n-1").await;
    assert_eq!(status, StatusCode::OK);
    let earlier = (Utc::now() - Duration::minutes(10)).to_rfc3339();
    let later = (Utc::now() - Duration::minutes(1)).to_rfc3339();
    let batch = json!({ "scans": [
        { "code": code(&tickets[0]), "scan_id": "s-1", "scanned_at": earlier },
        { "code": code(&tickets[1]), "scan_id": "s-2", "scanned_at": later },
    ]});
    let path = format!("/events/{e}/checkins/batch");
    let (status, answers) = post(&app, &south, &path, batch.clone()).await;
    assert_eq!(status, StatusCode::OK, "{answers}");
    assert_eq!(answers["answers"][0]["code"], "admitted", "{answers}");
    assert_eq!(answers["answers"][1]["code"], "admitted");
    // Uploaded twice (the device lost the answer): the same answers, nothing new.
    let (_, again) = post(&app, &south, &path, batch).await;
    assert_eq!(again, answers);

    // North's later offline scan of ticket 1 loses to South's.
    let batch = json!({ "scans": [{ "code": code(&tickets[1]), "scan_id": "n-2", "scanned_at": Utc::now().to_rfc3339() }] });
    let (_, lost) = post(&app, &north, &path, batch).await;
    assert_eq!(lost["answers"][0]["code"], "conflict", "{lost}");
    assert_eq!(lost["answers"][0]["device"], "South");

    let (status, conflicts) = app
        .get_json(&organizer, &format!("/events/{e}/checkins?conflicts=true"))
        .await;
    assert_eq!(status, StatusCode::OK);
    let items = conflicts["items"].as_array().expect("items");
    assert_eq!(items.len(), 2, "{conflicts}");
    for c in items {
        assert_eq!(c["scanner_id"], north_device["id"], "North lost both: {c}");
        assert_eq!(c["winner"]["scanner_id"], south_device["id"]);
    }
    assert_eq!(
        app.count_rows("checkins WHERE result = 'admitted'").await,
        2
    );

    let (status, stats) = app
        .get_json(&organizer, &format!("/events/{e}/checkins/stats"))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        (stats["checked_in"].as_i64(), stats["valid"].as_i64()),
        (Some(2), Some(3))
    );
    assert_eq!(stats["tiers"][0]["tier"], "General");
    assert_eq!(stats["conflicts"], 2);
    assert_eq!(
        stats["devices"].as_array().expect("devices").len(),
        1,
        "{stats}"
    );
    assert_eq!(stats["devices"][0]["admitted"], 2);
    let in_slices: i64 = (stats["slices"].as_array().expect("slices").iter())
        .map(|s| s["admitted"].as_i64().expect("n"))
        .sum();
    assert_eq!(in_slices, 2);

    // A sync since the first list carries what changed: both admissions.
    let cursor = list["cursor"].as_str().expect("cursor");
    let res = app
        .http
        .get(app.url(&format!("/events/{e}/checkin-list")))
        .query(&[("since", cursor)])
        .bearer_auth(&south)
        .send()
        .await
        .expect("sync");
    let (_, delta) = status_and_json(res).await;
    let inside: Vec<&Value> = (delta["tickets"].as_array().expect("tickets").iter())
        .filter(|t| t["inside"] == true)
        .collect();
    assert_eq!(inside.len(), 2, "{delta}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reentry_is_off_by_default_and_a_used_ticket_is_not_given_or_refunded() {
    let app = spawn_app().await;
    let organizer = app.user("client").await;
    let (event, buyer, tickets) = sold(&app, &organizer, 1).await;
    let e = id(&event);
    let (door, _) = scanner(&app, &organizer, e, "Door").await;
    let out = |scan_id: &'static str| {
        let (app, door) = (&app, &door);
        let path = format!("/events/{e}/checkins");
        let body = json!({ "code": code(&tickets[0]), "scan_id": scan_id, "direction": "out" });
        async move { post(app, door, &path, body).await }
    };
    let (status, _) = scan(&app, &door, e, code(&tickets[0]), "in-1").await;
    assert_eq!(status, StatusCode::OK);
    let (status, refused) = out("out-1").await;
    assert_eq!(
        (status, refused["code"].as_str()),
        (StatusCode::CONFLICT, Some("reentry_off"))
    );

    // Used: not given away, listed or refunded.
    let path = format!("/tickets/{}/transfer", id(&tickets[0]));
    let (status, gift) = post_once(
        &app,
        &buyer,
        &path,
        json!({ "to_email": "someone@example.com" }),
    )
    .await;
    assert_eq!(
        (status, gift["code"].as_str()),
        (StatusCode::CONFLICT, Some("ticket_checked_in")),
        "{gift}"
    );
    let path = format!("/tickets/{}/listing", id(&tickets[0]));
    let (status, listing) = post_once(&app, &buyer, &path, json!({ "price_cents": 100 })).await;
    assert_eq!(
        (status, listing["code"].as_str()),
        (StatusCode::CONFLICT, Some("ticket_checked_in")),
        "{listing}"
    );

    // The organizer turns re-entry on: out, then in again (a second entry).
    let res = app
        .http
        .patch(app.url(&format!("/events/{e}")))
        .bearer_auth(&organizer)
        .header("If-Match", format!("\"{}\"", event["version"]))
        .json(&json!({ "reentry": true }))
        .send()
        .await
        .expect("patch");
    let (status, patched) = status_and_json(res).await;
    assert_eq!(
        (status, patched["reentry"].as_bool()),
        (StatusCode::OK, Some(true)),
        "{patched}"
    );
    let (status, left) = out("out-2").await;
    assert_eq!(
        (status, left["code"].as_str()),
        (StatusCode::OK, Some("checked_out")),
        "{left}"
    );
    let (status, _) = out("out-3").await;
    assert_eq!(status, StatusCode::CONFLICT, "not inside");
    let (status, back) = scan(&app, &door, e, code(&tickets[0]), "in-2").await;
    assert_eq!(
        (status, back["code"].as_str()),
        (StatusCode::OK, Some("admitted"))
    );
    let (status, _) = scan(&app, &door, e, code(&tickets[0]), "in-3").await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(
        app.count_rows("checkins WHERE result = 'admitted'").await,
        2
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_listed_ticket_used_at_the_door_leaves_the_market_and_old_codes_still_admit() {
    let app = spawn_app().await;
    let organizer = app.user("client").await;
    let (event, seller, tickets) = sold(&app, &organizer, 2).await;
    let e = id(&event);
    let (door, _) = scanner(&app, &organizer, e, "Door").await;

    // Listed, then its seller walks in with it: nobody can buy it any more.
    let path = format!("/tickets/{}/listing", id(&tickets[0]));
    let (status, listing) = post(&app, &seller, &path, json!({ "price_cents": 500 })).await;
    assert_eq!(status, StatusCode::CREATED, "{listing}");
    let (status, _) = scan(&app, &door, e, code(&tickets[0]), "in").await;
    assert_eq!(status, StatusCode::OK);
    let buyer = app.user("client").await;
    let path = format!("/listings/{}/orders", id(&listing));
    let (status, refused) = post_once(&app, &buyer, &path, json!({})).await;
    assert_eq!(status, StatusCode::CONFLICT, "{refused}");
    assert_eq!(
        app.count_rows("listings WHERE status = 'withdrawn'").await,
        1
    );

    // A code issued before codes were signed (random hex) still admits its
    // holder, online, and only while it is the ticket's current one.
    let old = "0123456789abcdef0123456789abcdef";
    app.sql(&format!(
        "UPDATE tickets SET code = '{old}' WHERE id = '{}'",
        id(&tickets[1])
    ))
    .await;
    let (status, admitted) = scan(&app, &door, e, old, "legacy").await;
    assert_eq!(
        (status, admitted["ticket_id"].as_str()),
        (StatusCode::OK, Some(id(&tickets[1])))
    );
    let (status, guessed) = scan(&app, &door, e, "fedcba9876543210fedcba9876543210", "guess").await;
    assert_eq!(
        (status, guessed["code"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_code"))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn device_clocks_do_not_decide_and_an_offline_admission_of_a_void_code_is_a_conflict() {
    let app = spawn_app().await;
    let organizer = app.user("client").await;
    let (event, _, tickets) = sold(&app, &organizer, 3).await;
    let e = id(&event);
    let (door, _) = scanner(&app, &organizer, e, "Door").await;

    // Online, the server's clock: a phone set to 2000 changes nothing.
    let path = format!("/events/{e}/checkins");
    let body =
        json!({ "code": code(&tickets[0]), "scan_id": "a", "scanned_at": "2000-01-01T00:00:00Z" });
    let (status, admitted) = post(&app, &door, &path, body).await;
    assert_eq!(status, StatusCode::OK);
    let at = chrono::DateTime::parse_from_rfc3339(admitted["checked_in_at"].as_str().expect("at"))
        .expect("time");
    assert!(
        Utc::now().signed_duration_since(at) < Duration::minutes(1),
        "{at}"
    );

    // Offline: a time before the device existed is refused for that scan
    // only; a revoked ticket let in offline is listed as a conflict.
    let revoke = post_once(
        &app,
        &organizer,
        &format!("/tickets/{}/revoke", id(&tickets[2])),
        json!({}),
    )
    .await;
    assert_eq!(revoke.0, StatusCode::OK, "{}", revoke.1);
    let batch = json!({ "scans": [
        { "code": code(&tickets[1]), "scan_id": "b", "scanned_at": "2000-01-01T00:00:00Z" },
        { "code": code(&tickets[2]), "scan_id": "c", "scanned_at": Utc::now().to_rfc3339() },
    ]});
    let (status, answers) = post(&app, &door, &format!("/events/{e}/checkins/batch"), batch).await;
    assert_eq!(status, StatusCode::OK, "{answers}");
    assert_eq!(answers["answers"][0]["code"], "scanned_at_invalid");
    assert_eq!(answers["answers"][1]["code"], "ticket_void");
    let (_, conflicts) = app
        .get_json(&organizer, &format!("/events/{e}/checkins?conflicts=true"))
        .await;
    let items = conflicts["items"].as_array().expect("items");
    assert!(
        items.iter().any(|c| c["ticket_id"] == tickets[2]["id"]
            && c["detail"].as_str().is_some_and(|d| d.contains("revoked"))),
        "{conflicts}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_batch_of_two_hundred_scans_fits_the_body_limit() {
    let app = spawn_app().await;
    let organizer = app.user("client").await;
    let (event, _, tickets) = sold(&app, &organizer, 1).await;
    let e = id(&event);
    let (door, _) = scanner(&app, &organizer, e, "Door").await;
    let at = Utc::now().to_rfc3339();
    let scans = |n: usize| -> Vec<Value> {
        (0..n)
            .map(|i| json!({ "code": code(&tickets[0]), "scan_id": format!("offline-scan-{i:05}"), "direction": "in", "scanned_at": at }))
            .collect()
    };
    let path = format!("/events/{e}/checkins/batch");
    let (status, answers) = post(&app, &door, &path, json!({ "scans": scans(200) })).await;
    assert_eq!(status, StatusCode::OK, "{answers}");
    assert_eq!(answers["answers"].as_array().expect("answers").len(), 200);
    let (status, _) = post(&app, &door, &path, json!({ "scans": scans(201) })).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(
        app.count_rows("checkins WHERE result = 'admitted'").await,
        1
    );
}
