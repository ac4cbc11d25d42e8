//! `GET /search/events`: filters, sorts, stable pages, and plans that use the indexes.

use crate::helpers::{CENTER, KM, TestApp, slugs, spawn_app};
use chrono::{DateTime, Duration, DurationRound, Utc};
use reqwest::StatusCode;
use slotwise_db::event_search::{EventQuery, EventSort, explain};
use slotwise_db::events::{Event, PUBLISHED, Seat, Tier};
use slotwise_db::search::Point;
use uuid::Uuid;

/// Midnight UTC `days` from today.
fn day(days: i64) -> DateTime<Utc> {
    Utc::now().duration_trunc(Duration::days(1)).expect("day") + Duration::days(days)
}

struct Spec<'a> {
    slug: &'a str,
    title: &'a str,
    description: &'a str,
    category: &'a str,
    km_north: f64,
    starts_at: DateTime<Utc>,
    price: i64,
    capacity: i32,
}

impl TestApp {
    /// A general-admission event with one tier, or `seats` seats when seated.
    async fn event(&self, s: Spec<'_>, seats: usize) -> Uuid {
        let id = Uuid::now_v7();
        let now = Utc::now();
        let event = Event {
            id,
            slug: s.slug.into(),
            organizer_id: self.owner,
            title: s.title.into(),
            description: s.description.into(),
            category: s.category.into(),
            venue_name: "Venue".into(),
            lat: CENTER.0 + s.km_north * KM,
            long: CENTER.1,
            starts_at: s.starts_at,
            ends_at: None,
            currency: "usd".into(),
            max_per_order: 10,
            resale_allowed: true,
            resale_max_percent_of_face: None,
            seated: seats > 0,
            min_price_cents: s.price,
            capacity: s.capacity,
            status: PUBLISHED.into(),
            version: 1,
            created_at: now,
            updated_at: now,
            reentry: false,
            waitlist: true,
        };
        let tiers = if seats == 0 {
            vec![Tier {
                id: Uuid::now_v7(),
                event_id: id,
                name: "GA".into(),
                price_cents: s.price,
                capacity: s.capacity,
                position: 0,
                sales_start: None,
                sales_end: None,
                hidden: false,
            }]
        } else {
            Vec::new()
        };
        let seat_rows: Vec<Seat> = (0..seats)
            .map(|i| Seat {
                id: Uuid::now_v7(),
                event_id: id,
                label: format!("A{i}"),
                section: None,
                row: None,
                price_cents: s.price,
                position: i32::try_from(i).expect("i"),
                order_id: None,
                sold: false,
            })
            .collect();
        let mut conn = self.state.pool.get().await.expect("conn");
        Event::insert(&mut conn, &event, &tiers, &seat_rows)
            .await
            .expect("event");
        id
    }

    async fn sql(&self, statement: &str) {
        use diesel_async::SimpleAsyncConnection;
        let mut conn = self.state.pool.get().await.expect("conn");
        conn.batch_execute(statement).await.expect("statement");
    }
}

fn spec<'a>(slug: &'a str, km_north: f64, starts_at: DateTime<Utc>, price: i64) -> Spec<'a> {
    Spec {
        slug,
        title: slug,
        description: "",
        category: "Concert",
        km_north,
        starts_at,
        price,
        capacity: 100,
    }
}

fn q(pairs: &[(&'static str, &str)]) -> Vec<(&'static str, String)> {
    pairs.iter().map(|(k, v)| (*k, (*v).to_owned())).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn place_category_dates_words_and_availability_filter_events() {
    let app = spawn_app().await;
    app.event(
        Spec {
            title: "Highlife concerts by the sea",
            description: "Palm-wine guitar",
            ..spec("highlife", 1.0, day(3), 1500)
        },
        0,
    )
    .await;
    app.event(
        Spec {
            title: "Jazz night",
            description: "Saxophone and highlife standards",
            ..spec("jazz", 5.0, day(4), 2500)
        },
        0,
    )
    .await;
    app.event(
        Spec {
            category: "Theatre",
            title: "Kasa",
            ..spec("kasa", 2.0, day(5), 3000)
        },
        4,
    )
    .await;
    app.event(spec("far-away", 80.0, day(3), 500), 0).await;
    app.event(spec("next-month", 1.0, day(40), 500), 0).await;
    let sold_out = app.event(spec("sold-out", 3.0, day(6), 900), 0).await;
    app.sql(&format!(
        "UPDATE tier_stock SET sold = capacity WHERE event_id = '{sold_out}'"
    ))
    .await;
    app.event(spec("in-the-past", 1.0, day(-2), 900), 0).await;

    let near = [("lat", "5.6037"), ("long", "-0.187"), ("radius_km", "20")];
    let (status, page) = app.get("/search/events", &q(&near)).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert_eq!(
        slugs(&page),
        ["highlife", "jazz", "kasa", "sold-out", "next-month"],
        "soonest first, past ones never"
    );
    let first = &page["items"][0];
    assert!(
        (first["distance_km"].as_f64().expect("km") - 1.0).abs() < 0.02,
        "{first}"
    );
    assert_eq!(
        (
            first["seats_left"].as_i64(),
            first["min_price_cents"].as_i64()
        ),
        (Some(100), Some(1500))
    );
    assert_eq!(
        page["items"][2]["seats_left"], 4,
        "a seated event counts its free seats"
    );
    assert_eq!(page["items"][3]["sold_out"], true);

    let mut available = q(&near);
    available.push(("available", "true".into()));
    let (_, page) = app.get("/search/events", &available).await;
    assert!(!slugs(&page).contains(&"sold-out".to_owned()));

    let mut words = q(&near);
    words.push(("q", "highlife".into()));
    let (_, page) = app.get("/search/events", &words).await;
    assert_eq!(
        slugs(&page),
        ["highlife", "jazz"],
        "title and description, stemmed"
    );
    let mut words = q(&near);
    words.push(("q", "concert -jazz".into()));
    let (_, page) = app.get("/search/events", &words).await;
    assert_eq!(slugs(&page), ["highlife"]);

    let mut theatre = q(&near);
    theatre.push(("category", "Theatre".into()));
    let (_, page) = app.get("/search/events", &theatre).await;
    assert_eq!(slugs(&page), ["kasa"]);

    let mut window = q(&near);
    window.push(("from", day(4).to_rfc3339()));
    window.push(("to", day(6).to_rfc3339()));
    let (_, page) = app.get("/search/events", &window).await;
    assert_eq!(slugs(&page), ["jazz", "kasa"]);

    let mut by_distance = q(&near);
    by_distance.push(("sort", "distance".into()));
    let (_, page) = app.get("/search/events", &by_distance).await;
    assert_eq!(
        slugs(&page),
        ["highlife", "next-month", "kasa", "sold-out", "jazz"]
    );
    let mut by_price = q(&near);
    by_price.push(("sort", "price".into()));
    let (_, page) = app.get("/search/events", &by_price).await;
    assert_eq!(
        slugs(&page),
        ["next-month", "sold-out", "highlife", "jazz", "kasa"]
    );

    let (_, everywhere) = app.get("/search/events", &[]).await;
    assert_eq!(everywhere["items"].as_array().map(Vec::len), Some(6));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pages_are_stable_across_ties_in_every_sort() {
    let app = spawn_app().await;
    for i in 0..25 {
        // Same start, same price, pairs at the same spot: only the id breaks ties.
        app.event(spec(&format!("e{i:02}"), f64::from(i / 2), day(3), 1000), 0)
            .await;
    }
    for sort in ["date", "distance", "price"] {
        let mut seen = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            let mut query = q(&[
                ("lat", "5.6037"),
                ("long", "-0.187"),
                ("radius_km", "100"),
                ("limit", "4"),
                ("sort", sort),
            ]);
            if let Some(c) = &cursor {
                query.push(("cursor", c.clone()));
            }
            let (status, page) = app.get("/search/events", &query).await;
            assert_eq!(status, StatusCode::OK, "{page}");
            seen.extend(slugs(&page));
            match page["next_cursor"].as_str() {
                Some(c) => cursor = Some(c.to_owned()),
                None => break,
            }
        }
        let mut unique = seen.clone();
        unique.sort();
        unique.dedup();
        assert_eq!((seen.len(), unique.len()), (25, 25), "{sort}: {seen:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_event_queries_are_400_with_field_errors() {
    let app = spawn_app().await;
    for (query, field) in [
        (q(&[("sort", "distance")]), "sort"),
        (q(&[("lat", "5.6")]), "lat"),
        (
            q(&[
                ("from", "2030-01-02T00:00:00Z"),
                ("to", "2030-01-01T00:00:00Z"),
            ]),
            "to",
        ),
        (q(&[("cursor", "not-a-cursor")]), "cursor"),
    ] {
        let (status, problem) = app.get("/search/events", &query).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{query:?}: {problem}");
        let fields: Vec<&str> = problem["errors"]
            .as_array()
            .expect("errors")
            .iter()
            .filter_map(|e| e["field"].as_str())
            .collect();
        assert!(fields.contains(&field), "{query:?}: {problem}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_event_search_is_answered_from_indexes() {
    let app = spawn_app().await;
    let owner = app.owner;
    // Enough events (spread over a year and ~50 km) that a full scan would cost more than an index.
    app.sql(&format!(
        "INSERT INTO events (id, slug, organizer_id, title, description, category, venue_name, lat, long,
                             starts_at, currency, seated, min_price_cents, capacity)
         SELECT gen_random_uuid(), 'gen-' || i, '{owner}', 'Event ' || i || CASE WHEN i % 50 = 0 THEN ' highlife' ELSE '' END,
                'description ' || i, (ARRAY['Concert','Theatre','Sport','Comedy'])[1 + i % 4], 'Venue',
                5.6 + (i % 97) * 0.005, -0.19 + (i % 89) * 0.005, now() + (i % 365) * interval '1 day',
                'usd', false, 100 + i % 5000, 100
         FROM generate_series(1, 20000) i;
         INSERT INTO ticket_tiers (id, event_id, name, price_cents, capacity, position)
           SELECT gen_random_uuid(), id, 'GA', min_price_cents, 100, 0 FROM events;
         INSERT INTO tier_stock (event_id, tier_id, bucket, capacity) SELECT event_id, id, 0, 100 FROM ticket_tiers;
         ANALYZE events; ANALYZE tier_stock; ANALYZE seats;"
    ))
    .await;
    let near = Some((
        Point {
            lat: 5.6037,
            long: -0.187,
        },
        10.0,
    ));
    let base = EventQuery {
        near: None,
        category: None,
        from: Utc::now(),
        to: None,
        text: None,
        available: true,
        sort: EventSort::Date,
        after: None,
        limit: 21,
    };
    let cases = [
        ("date", EventQuery { ..base.clone() }),
        (
            "date near",
            EventQuery {
                near,
                ..base.clone()
            },
        ),
        (
            "distance",
            EventQuery {
                near,
                sort: EventSort::Distance,
                ..base.clone()
            },
        ),
        (
            "price",
            EventQuery {
                sort: EventSort::Price,
                ..base.clone()
            },
        ),
        (
            "category",
            EventQuery {
                category: Some("Theatre".into()),
                ..base.clone()
            },
        ),
        (
            "words",
            EventQuery {
                text: Some("highlife".into()),
                ..base.clone()
            },
        ),
        (
            "month",
            EventQuery {
                to: Some(Utc::now() + Duration::days(30)),
                ..base.clone()
            },
        ),
    ];
    let mut conn = app.state.pool.get().await.expect("conn");
    // On Citus the coordinator's EXPLAIN shows one shard's plan, made for a
    // quarter of the rows, where a scan can be cheapest: this test is about
    // one server's plans (docs/SCALING.md). There, each query must plan and
    // run as a distributed query.
    let on_citus = !slotwise_db::testing::citus_nodes().is_empty();
    for (name, query) in cases {
        let plan = explain(&mut conn, &query).await.expect("explain");
        if on_citus {
            assert!(
                plan.iter().any(|l| l.contains("Citus")),
                "{name} is not a distributed plan:\n{}",
                plan.join("\n")
            );
            continue;
        }
        assert!(
            !plan.iter().any(|l| l.contains("Seq Scan")),
            "{name} scans a whole table:\n{}",
            plan.join("\n")
        );
    }
}
