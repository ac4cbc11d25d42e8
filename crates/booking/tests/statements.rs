//! The statements booking requests really send (recorded with diesel's
//! instrumentation, in a test binary of its own so that no other test's
//! statements mix in), checked two ways:
//! - each names its table's distribution column (docs/SCALING.md):
//!   `professional_id` for bookings, their history and availability,
//!   `event_id` for an event's tiers, stock, seats, orders and tickets, the
//!   caller's `scope` for idempotency keys, so each would run on one Citus
//!   shard and the booking and order paths need no change to run on Citus;
//! - each plans to index scans on a fresh, empty, analyzed database with the
//!   session settings production uses (`enable_seqscan = off`): a sequential
//!   scan at SERIALIZABLE locks the whole table and makes concurrent bookings
//!   fail each other. So do the statements of one round of every background
//!   job, which would otherwise read the whole table every few seconds.

#[allow(dead_code)]
#[path = "api/helpers.rs"]
mod helpers;

use diesel::connection::{Instrumentation, InstrumentationEvent, set_default_instrumentation};
use diesel_async::SimpleAsyncConnection;
use helpers::{spawn_app, status_and_json, tomorrow_at};
use reqwest::StatusCode;
use serde_json::json;
use std::collections::BTreeMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};

static RECORDING: AtomicBool = AtomicBool::new(false);
static STATEMENTS: Mutex<Vec<String>> = Mutex::new(Vec::new());

fn recorder() -> Option<Box<dyn Instrumentation>> {
    Some(Box::new(|event: InstrumentationEvent<'_>| {
        if let InstrumentationEvent::StartQuery { query, .. } = event
            && RECORDING.load(Ordering::SeqCst)
        {
            let sql = query.to_string();
            let sql = sql.split(" -- binds").next().unwrap_or_default();
            STATEMENTS.lock().expect("statements").push(sql.to_owned());
        }
    }))
}

/// The distribution column of each table Citus distributes
/// (`slotwise_db::citus::DISTRIBUTED`, less the tables these requests never touch).
const DISTRIBUTED: [(&str, &str); 17] = [
    ("bookings", "professional_id"),
    ("booking_transitions", "professional_id"),
    ("availability_windows", "professional_id"),
    ("idempotency_keys", "scope"),
    ("events", "id"),
    ("ticket_tiers", "event_id"),
    ("tier_stock", "event_id"),
    ("seats", "event_id"),
    ("orders", "event_id"),
    ("order_items", "event_id"),
    ("tickets", "event_id"),
    ("order_transitions", "event_id"),
    ("refunds", "scope_id"),
    ("listings", "event_id"),
    ("payouts", "event_id"),
    ("ticket_moves", "event_id"),
    ("event_slugs", "slug"),
];

/// Whether the statement pins `column` to one value: an INSERT that sets it,
/// or a WHERE that compares it with a parameter.
fn pins(sql: &str, column: &str) -> bool {
    let plain = sql.replace('"', "");
    if plain.trim_start().starts_with("INSERT") {
        let columns = plain.split(" VALUES").next().unwrap_or_default();
        return columns.contains(column);
    }
    plain.split_once("WHERE").is_some_and(|(_, filter)| {
        filter.contains(&format!(".{column} = $")) || filter.contains(&format!(" {column} = $"))
    })
}

/// The one read on the booking and order paths that spans professionals (or
/// events), so every shard: counting the caller's unpaid holds for the
/// per-user and per-IP caps. On Citus it is a multi-shard count (allowed;
/// docs/SCALING.md says what it costs).
fn is_hold_count(sql: &str) -> bool {
    let plain = sql.replace('"', "");
    (plain.starts_with("SELECT COUNT(*) FROM bookings")
        && (plain.contains("bookings.client_id = $") || plain.contains("bookings.client_ip = $")))
        || (plain.starts_with("SELECT COUNT(*) FROM orders")
            && plain.contains("orders.buyer_id = $"))
}

/// The reads that find a row from the id in a URL alone (`/tickets/{id}`,
/// `/listings/{id}`, `/orders/{id}`), before everything else is done by its
/// full key: on Citus they ask every shard (docs/SCALING.md). Never a lock
/// or a write.
fn is_lookup_by_id(sql: &str) -> bool {
    let plain = sql.replace('"', "");
    plain.starts_with("SELECT")
        && !plain.contains(" FOR ")
        && ["tickets", "listings", "orders"].iter().any(|t| {
            plain.contains(&format!("WHERE (({t}.id = $"))
                || plain.contains(&format!("WHERE ({t}.id = $"))
        })
}

fn tables(sql: &str) -> Vec<&'static str> {
    let words: Vec<&str> = sql
        .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .collect();
    DISTRIBUTED
        .iter()
        .map(|(table, _)| *table)
        .filter(|table| words.contains(table))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn booking_statements_name_their_shard_and_plan_to_index_scans() {
    set_default_instrumentation(recorder).expect("instrumentation");
    let app = spawn_app().await;
    let client = app.user("client").await;
    let pro = app.pro(100).await;
    let book = |key: &'static str, hour: i64, payment_method: Option<&'static str>| {
        let mut body = json!({
            "professional_id": pro.id, "start_time": tomorrow_at(hour).to_rfc3339(),
            "duration_minutes": 30,
        });
        if let Some(pm) = payment_method {
            body["payment_method"] = json!(pm);
        }
        app.http
            .post(app.url("/bookings"))
            .bearer_auth(&client)
            .header("Idempotency-Key", key)
            .json(&body)
            .send()
    };

    RECORDING.store(true, Ordering::SeqCst);
    let mut statuses = Vec::new();
    for (key, hour, pm) in [
        ("paid-now", 9, Some("pm_card_visa")),
        ("pay-later", 10, None),
        ("pay-later", 10, None), // a replay
        ("same-slot", 10, None), // a conflict
        ("declined", 11, Some("pm_card_chargeCustomerFail")),
    ] {
        let (status, _) = status_and_json(book(key, hour, pm).await.expect("book")).await;
        statuses.push(status);
    }
    RECORDING.store(false, Ordering::SeqCst);
    let (orders, paid) = order_tickets(&app, &client).await;
    let after = after_purchase(&app, &client, &paid).await;
    assert_eq!(
        statuses,
        [
            StatusCode::CREATED,
            StatusCode::CREATED,
            StatusCode::CREATED,
            StatusCode::CONFLICT,
            StatusCode::PAYMENT_REQUIRED
        ]
    );
    assert_eq!(app.count_bookings("status = 'confirmed'").await, 1);
    assert_eq!(
        after,
        [
            StatusCode::CREATED,
            StatusCode::CREATED,
            StatusCode::CREATED,
            StatusCode::CREATED
        ],
        "listed, bought, refunded, given"
    );
    assert_eq!(
        orders,
        [
            StatusCode::CREATED,
            StatusCode::CREATED,
            StatusCode::CREATED,
            StatusCode::CREATED,
            StatusCode::CONFLICT,
            StatusCode::CONFLICT,
        ]
    );

    let statements = STATEMENTS.lock().expect("statements").clone();
    let mut seen: BTreeMap<&str, usize> = BTreeMap::new();
    let lookups = statements.iter().filter(|sql| is_lookup_by_id(sql)).count();
    eprintln!("{lookups} reads by a URL's id alone (every shard on Citus)");
    for sql in statements
        .iter()
        .filter(|sql| !is_hold_count(sql) && !is_lookup_by_id(sql))
    {
        for table in tables(sql) {
            let column = DISTRIBUTED
                .iter()
                .find(|(t, _)| *t == table)
                .map(|(_, c)| *c)
                .expect("column");
            assert!(
                pins(sql, column),
                "a statement on {table} without {column} would ask every shard: {sql}"
            );
            *seen.entry(table).or_default() += 1;
        }
    }
    eprintln!("statements on distributed tables, each pinned to one shard: {seen:?}");
    for (table, _) in DISTRIBUTED {
        assert!(
            seen.get(table).is_some_and(|n| *n > 0),
            "no statement on {table}: {statements:?}"
        );
    }

    // And the statements of one round of every background job.
    let booked = STATEMENTS.lock().expect("statements").len();
    RECORDING.store(true, Ordering::SeqCst);
    slotwise_booking::jobs::run_jobs_once(&app.state).await;
    // The notification jobs too: the outbox fanned out, its mail sent.
    assert!(
        slotwise_booking::notify::send::notify_until_idle(&app.state)
            .await
            .expect("notified")
            > 0
    );
    RECORDING.store(false, Ordering::SeqCst);
    let jobs: Vec<String> = STATEMENTS.lock().expect("statements")[booked..].to_vec();
    assert!(!jobs.is_empty(), "the jobs ran no statement");

    // The plans of all of them, on a fresh database.
    let fresh = spawn_app().await;
    let mut conn = fresh.state.pool.get().await.expect("conn");
    conn.batch_execute("ANALYZE").await.expect("analyze");
    let distinct: std::collections::BTreeSet<&String> = statements
        .iter()
        .chain(&jobs)
        .filter(|sql| {
            ["SELECT", "INSERT", "UPDATE", "DELETE"]
                .iter()
                .any(|verb| sql.trim_start().starts_with(verb))
        })
        .collect();
    eprintln!("{} distinct statements explained", distinct.len());
    for sql in distinct {
        let plan = generic_plan(&mut conn, sql).await;
        assert!(
            !plan.iter().any(|l| l.contains("Seq Scan")),
            "a sequential scan on the booking path or in a job:\n{sql}\n{plan:#?}"
        );
    }
}

/// Ticket orders, recorded: paid at once, paid later, free, seats, a replay,
/// a seat taken and a tier sold out, after their events are published.
async fn order_tickets(
    app: &helpers::TestApp,
    buyer: &str,
) -> (Vec<StatusCode>, serde_json::Value) {
    let organizer = app.user("client").await;
    let publish = |body: serde_json::Value| {
        app.http
            .post(app.url("/events"))
            .bearer_auth(&organizer)
            .header("Idempotency-Key", uuid::Uuid::new_v4().to_string())
            .json(&body)
            .send()
    };
    RECORDING.store(true, Ordering::SeqCst);
    let starts = (chrono::Utc::now() + chrono::Duration::days(3)).to_rfc3339();
    let venue = json!({ "name": "Hall", "lat": 5.6, "long": -0.19 });
    let (_, ga) = status_and_json(
        publish(json!({ "title": "GA", "category": "Concert", "venue": venue, "starts_at": starts,
            "tiers": [{ "name": "Paid", "price_cents": 1000, "capacity": 10 }, { "name": "Free", "price_cents": 0, "capacity": 3 }] }))
        .await
        .expect("publish"),
    )
    .await;
    let (_, seated) = status_and_json(
        publish(json!({ "title": "Seats", "category": "Theatre", "venue": venue, "starts_at": starts,
            "seats": [{ "label": "A1", "price_cents": 500 }, { "label": "A2", "price_cents": 500 }] }))
        .await
        .expect("publish"),
    )
    .await;
    let (paid, free) = (&ga["tiers"][0]["id"], &ga["tiers"][1]["id"]);
    let order = |event: &serde_json::Value, key: &'static str, body: serde_json::Value| {
        let id = event["id"].as_str().unwrap_or_default().to_owned();
        app.http
            .post(app.url(&format!("/events/{id}/orders")))
            .bearer_auth(buyer)
            .header("Idempotency-Key", key)
            .json(&body)
            .send()
    };
    let mut statuses = Vec::new();
    let mut paid_now = serde_json::Value::Null;
    for (event, key, body) in [
        (
            &ga,
            "o-now",
            json!({ "items": [{ "tier_id": paid, "quantity": 2 }], "payment_method": "pm_card_visa" }),
        ),
        (
            &ga,
            "o-later",
            json!({ "items": [{ "tier_id": paid, "quantity": 1 }] }),
        ),
        (
            &ga,
            "o-free",
            json!({ "items": [{ "tier_id": free, "quantity": 2 }] }),
        ),
        (&seated, "o-seats", json!({ "seats": ["A1"] })),
        (&seated, "o-taken", json!({ "seats": ["A1", "A2"] })),
        (
            &ga,
            "o-sold-out",
            json!({ "items": [{ "tier_id": free, "quantity": 2 }] }),
        ),
    ] {
        let (status, json) = status_and_json(order(event, key, body).await.expect("order")).await;
        if key == "o-now" {
            paid_now = json;
        }
        statuses.push(status);
    }
    RECORDING.store(false, Ordering::SeqCst);
    (statuses, paid_now)
}

/// Life after purchase, recorded: one ticket of the paid order listed and
/// bought by another buyer (a payout owed, the ticket moved), the other
/// refunded, then given to a friend by the resale's buyer.
async fn after_purchase(
    app: &helpers::TestApp,
    seller: &str,
    order: &serde_json::Value,
) -> Vec<StatusCode> {
    let ticket = |i: usize| {
        order["tickets"][i]["id"]
            .as_str()
            .unwrap_or_default()
            .to_owned()
    };
    let order_id = order["id"].as_str().unwrap_or_default().to_owned();
    let buyer = app.user("client").await;
    RECORDING.store(true, Ordering::SeqCst);
    let post = async |token: &str, path: String, key: &str, body: serde_json::Value| {
        let res = app
            .http
            .post(app.url(&path))
            .bearer_auth(token)
            .header("Idempotency-Key", key)
            .json(&body)
            .send()
            .await
            .expect(key);
        status_and_json(res).await
    };
    let (listed, listing) = post(
        seller,
        format!("/tickets/{}/listing", ticket(0)),
        "list",
        json!({ "price_cents": 1200 }),
    )
    .await;
    let listing = listing["id"].as_str().unwrap_or_default().to_owned();
    let (bought, _) = post(
        &buyer,
        format!("/listings/{listing}/orders"),
        "resale",
        json!({ "payment_method": "pm_card_visa" }),
    )
    .await;
    let (refunded, _) = post(
        seller,
        format!("/orders/{order_id}/refunds"),
        "refund",
        json!({ "ticket_ids": [ticket(1)] }),
    )
    .await;
    let (given, _) = post(
        &buyer,
        format!("/tickets/{}/transfer", ticket(0)),
        "give",
        json!({ "to_email": "friend@example.com" }),
    )
    .await;
    let statuses = vec![listed, bought, refunded, given];
    RECORDING.store(false, Ordering::SeqCst);
    statuses
}

#[derive(diesel::QueryableByName)]
struct PlanLine {
    #[diesel(sql_type = diesel::sql_types::Text, column_name = "QUERY PLAN")]
    line: String,
}

/// The plan PostgreSQL makes for `sql` whatever its parameters: prepared and
/// explained with the generic plan forced (PostgreSQL 15 has no
/// `EXPLAIN (GENERIC_PLAN)`), the parameters given as NULL.
async fn generic_plan(conn: &mut diesel_async::AsyncPgConnection, sql: &str) -> Vec<String> {
    use diesel_async::RunQueryDsl;
    let params = (1..=65535)
        .take_while(|n| sql.contains(&format!("${n}")))
        .count();
    conn.batch_execute(&format!(
        "SET plan_cache_mode = force_generic_plan; PREPARE plan_check AS {sql}"
    ))
    .await
    .unwrap_or_else(|e| panic!("prepare {sql}: {e}"));
    let args = if params == 0 {
        String::new()
    } else {
        format!("({})", vec!["NULL"; params].join(", "))
    };
    let plan: Vec<PlanLine> = diesel::sql_query(format!("EXPLAIN EXECUTE plan_check{args}"))
        .load(conn)
        .await
        .unwrap_or_else(|e| panic!("explain {sql}: {e}"));
    conn.batch_execute("DEALLOCATE plan_check; RESET plan_cache_mode")
        .await
        .expect("deallocate");
    plan.into_iter().map(|l| l.line).collect()
}
