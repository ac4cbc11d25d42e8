use crate::helpers::{day_after_tomorrow_at, near_center, slugs, spawn_app};
use reqwest::StatusCode;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn radius_category_and_max_rate_filter_and_results_are_nearest_first() {
    let app = spawn_app().await;
    app.pro("near", "Plumber", 100, 1.0, None).await;
    app.pro("mid", "Plumber", 100, 12.0, None).await;
    app.pro("far", "Plumber", 100, 30.0, None).await;
    app.pro("homebody", "Plumber", 100, 5.0, Some(2.0)).await;
    app.pro("traveller", "Plumber", 100, 8.0, Some(9.0)).await;
    app.pro("tutor", "Tutor", 100, 2.0, None).await;
    app.pro("pricey", "Plumber", 900, 3.0, None).await;

    let mut query = near_center(20.0);
    query.push(("category", "Plumber".into()));
    query.push(("rate_per_minute", "500".into()));
    query.push(("travel_mode", "car".into()));
    let (status, page) = app.search(&query).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(slugs(&page), vec!["near", "traveller", "mid"]);
    let near = &page["items"][0];
    assert!(
        (near["distance_km"].as_f64().expect("km") - 1.0).abs() < 0.02,
        "{near}"
    );
    assert_eq!(near["travel_mode"], "driving");
    assert_eq!(near["travel_time_minutes"], 2);
    assert_eq!(near["location"]["long"], -0.187);
    assert_eq!(page["next_cursor"], serde_json::Value::Null);

    let (_, everything) = app.search(&near_center(50.0)).await;
    assert_eq!(
        slugs(&everything),
        vec!["near", "tutor", "pricey", "traveller", "mid", "far"]
    );

    let mut by_price = near_center(50.0);
    by_price.push(("sort", "price".into()));
    by_price.push(("category", "Plumber".into()));
    let (_, page) = app.search(&by_price).await;
    assert_eq!(
        slugs(&page),
        vec!["near", "traveller", "mid", "far", "pricey"]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pages_cover_every_result_once_in_order() {
    let app = spawn_app().await;
    let start = day_after_tomorrow_at(8);
    for i in 0..23 {
        // Pairs at the same spot make ties that only the id can order.
        let pro = app
            .pro(
                &format!("p{i:02}"),
                "Trainer",
                50,
                f64::from(i / 2) * 0.7,
                None,
            )
            .await;
        app.window(pro, start, 8).await;
    }
    let mut all_query = near_center(25.0);
    all_query.push(("limit", "100".into()));
    let (_, all) = app.search(&all_query).await;
    let expected = slugs(&all);
    assert_eq!(expected.len(), 23);

    // Free time pages from the windows' index, the rest from the professionals'.
    let at = (start + chrono::Duration::hours(1)).to_rfc3339();
    for available in [None, Some(at)] {
        for sort in ["distance", "price"] {
            let mut seen = Vec::new();
            let mut cursor: Option<String> = None;
            loop {
                let mut query = near_center(25.0);
                query.push(("limit", "5".into()));
                query.push(("sort", sort.into()));
                if let Some(at) = &available {
                    query.push(("available_at", at.clone()));
                }
                if let Some(c) = &cursor {
                    query.push(("cursor", c.clone()));
                }
                let (status, page) = app.search(&query).await;
                assert_eq!(status, StatusCode::OK);
                seen.extend(slugs(&page));
                match page["next_cursor"].as_str() {
                    Some(c) => cursor = Some(c.to_owned()),
                    None => break,
                }
            }
            assert_eq!(seen, expected, "sort={sort} available_at={available:?}");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_available_at_a_booked_or_unavailable_professional_disappears() {
    let app = spawn_app().await;
    let start = day_after_tomorrow_at(8);
    let free = app.pro("free", "Plumber", 100, 1.0, None).await;
    let booked = app.pro("booked", "Plumber", 100, 2.0, None).await;
    let cancelled = app.pro("cancelled", "Plumber", 100, 3.0, None).await;
    app.pro("no-window", "Plumber", 100, 4.0, None).await;
    for pro in [free, booked, cancelled] {
        app.window(pro, start, 8).await;
    }
    app.booking(booked, start + chrono::Duration::minutes(90), 60, "pending")
        .await;
    app.booking(
        cancelled,
        start + chrono::Duration::minutes(90),
        60,
        "cancelled",
    )
    .await;

    let mut query = near_center(10.0);
    query.push((
        "available_at",
        (start + chrono::Duration::hours(1)).to_rfc3339(),
    ));
    query.push(("duration_minutes", "60".into()));
    let (status, page) = app.search(&query).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(slugs(&page), vec!["free", "cancelled"]);

    let mut later = near_center(10.0);
    later.push((
        "available_at",
        (start + chrono::Duration::hours(3)).to_rfc3339(),
    ));
    let (_, page) = app.search(&later).await;
    assert_eq!(slugs(&page), vec!["free", "booked", "cancelled"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_queries_are_400_problems_with_field_errors() {
    let app = spawn_app().await;
    let cases: Vec<(Vec<(&str, String)>, &str)> = vec![
        (vec![("lat", "5.6".into())], "lat"),
        (vec![("lat", "95".into()), ("long", "0".into())], "lat"),
        (near_center(0.0), "location_radius_km"),
        (near_center(501.0), "location_radius_km"),
        (vec![("cursor", "not-a-cursor".into())], "cursor"),
        (vec![("limit", "0".into())], "limit"),
        (vec![("rate_per_minute", "-5".into())], "rate_per_minute"),
        (
            vec![
                ("available_at", "2030-01-01T10:00:00Z".into()),
                ("duration_minutes", "1000".into()),
            ],
            "duration_minutes",
        ),
    ];
    for (query, field) in cases {
        let (status, problem) = app.search(&query).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{query:?}");
        assert_eq!(problem["errors"][0]["field"], field, "{query:?}: {problem}");
    }
    for query in [
        vec![("travel_mode", "teleport".to_owned())],
        vec![("lat", "north".to_owned())],
    ] {
        let (status, problem) = app.search(&query).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{query:?}");
        assert_eq!(problem["code"], "validation_failed");
        assert_eq!(problem["errors"][0]["field"], query[0].0);
    }
    let res = app
        .http
        .delete(format!("{}/search/professionals", app.base))
        .send()
        .await
        .expect("delete");
    assert_eq!(res.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(res.headers()["allow"], "GET");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn professionals_are_found_by_id_or_slug() {
    let app = spawn_app().await;
    let id = app.pro("ama", "Tutor", 10, 0.0, None).await;
    let (status, by_slug) = app.get("/professionals/ama", &[]).await;
    assert_eq!(status, StatusCode::OK);
    let (_, by_id) = app.get(&format!("/professionals/{id}"), &[]).await;
    assert_eq!(by_slug, by_id);
    assert_eq!(by_id["category"], "Tutor");
    let (status, problem) = app.get("/professionals/nobody", &[]).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(problem["code"], "not_found");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_available_at_the_buffer_and_notice_of_a_schedule_count() {
    use diesel_async::SimpleAsyncConnection;
    let app = spawn_app().await;
    let start = day_after_tomorrow_at(8);
    let buffered = app.pro("buffered", "Plumber", 100, 1.0, None).await;
    let plain = app.pro("plain", "Plumber", 100, 2.0, None).await;
    let far_notice = app.pro("far-notice", "Plumber", 100, 3.0, None).await;
    for pro in [buffered, plain, far_notice] {
        app.window(pro, start, 8).await;
        app.booking(pro, start + chrono::Duration::minutes(120), 60, "confirmed")
            .await;
    }
    let mut conn = app.state.pool.get().await.expect("conn");
    conn.batch_execute(&format!(
        "INSERT INTO professional_schedules (professional_id, timezone, weekly, buffer_minutes, min_notice_minutes, materialized_until, extend_on) \
         VALUES ('{buffered}', 'UTC', '[]', 15, 0, current_date, current_date + 365), \
                ('{far_notice}', 'UTC', '[]', 0, 43200, current_date, current_date + 365)"
    ))
    .await
    .expect("schedules");
    // 09:00-09:50 ends 10 minutes before the 10:00 booking: inside a 15-minute buffer.
    let mut query = near_center(10.0);
    query.push((
        "available_at",
        (start + chrono::Duration::hours(1)).to_rfc3339(),
    ));
    query.push(("duration_minutes", "50".into()));
    let (status, page) = app.search(&query).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert_eq!(
        slugs(&page),
        vec!["plain"],
        "buffered keeps 15 minutes free; far-notice wants 30 days"
    );
}

/// A search's text is built from the filters it uses, with every value bound,
/// so diesel keeps it as one prepared statement per shape and connection
/// (a plain `sql_query` was parsed and planned on every request). Two searches
/// of one shape with other values, on one connection: one prepared statement.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn searches_of_one_shape_share_one_prepared_statement() {
    use diesel_async::RunQueryDsl;
    use slotwise_db::search::{Point, SearchQuery, SearchSort, search_professionals};
    let app = spawn_app().await;
    app.pro("near", "Plumber", 100, 1.0, None).await;
    let mut conn = app.state.pool.get().await.expect("conn");
    for (lat, category) in [(5.6037, "Plumber"), (5.7, "Tutor")] {
        let query = SearchQuery {
            near: Some((Point { lat, long: -0.187 }, 25.0)),
            category: Some(category.to_owned()),
            max_rate_per_minute: Some(500),
            free_during: None,
            sort: SearchSort::Distance,
            after: None,
            limit: 21,
        };
        search_professionals(&mut conn, &query)
            .await
            .expect("search");
    }
    let prepared: i64 = diesel::select(diesel::dsl::sql::<diesel::sql_types::BigInt>(
        "(SELECT count(*) FROM pg_prepared_statements WHERE statement LIKE 'WITH reach%')",
    ))
    .get_result(&mut conn)
    .await
    .expect("count");
    assert_eq!(prepared, 1);
}

/// A window carries its professional's category and place for the search's
/// index; moving or changing category carries them along (the composite
/// foreign key cascades), and a window whose copy disagrees is refused.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_available_at_a_professional_is_found_where_and_as_what_they_are_now() {
    use slotwise_db::professionals::{Professional, ProfessionalChanges};
    let app = spawn_app().await;
    let start = day_after_tomorrow_at(8);
    let mover = app.pro("mover", "Plumber", 100, 1.0, None).await;
    let stays = app.pro("stays", "Plumber", 100, 2.0, None).await;
    for pro in [mover, stays] {
        app.window(pro, start, 8).await;
    }
    let free_at = |category: &str, at: chrono::DateTime<chrono::Utc>| {
        let mut query = near_center(10.0);
        query.push(("category", category.to_owned()));
        query.push(("available_at", at.to_rfc3339()));
        query
    };
    let at = start + chrono::Duration::hours(1);
    let (_, page) = app.search(&free_at("Plumber", at)).await;
    assert_eq!(slugs(&page), vec!["mover", "stays"]);
    // Nobody works before eight: the empty page.
    let (status, page) = app
        .search(&free_at("Plumber", start - chrono::Duration::hours(3)))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(slugs(&page), Vec::<String>::new());
    assert!(page["next_cursor"].is_null(), "{page}");

    let mut conn = app.state.pool.get().await.expect("conn");
    let moved = ProfessionalChanges {
        lat: Some(crate::helpers::CENTER.0 + 50.0 * crate::helpers::KM),
        ..ProfessionalChanges::default()
    };
    Professional::update_if_version(&mut conn, mover, 1, &moved)
        .await
        .expect("move")
        .expect("version");
    let retrained = ProfessionalChanges {
        category: Some("Tutor".into()),
        ..ProfessionalChanges::default()
    };
    Professional::update_if_version(&mut conn, stays, 1, &retrained)
        .await
        .expect("retrain")
        .expect("version");
    let (_, page) = app.search(&free_at("Plumber", at)).await;
    assert_eq!(slugs(&page), Vec::<String>::new(), "{page}");
    let (_, page) = app.search(&free_at("Tutor", at)).await;
    assert_eq!(slugs(&page), vec!["stays"]);
    let mut far = free_at("Plumber", at);
    far[2] = ("location_radius_km", "60".into());
    let (_, page) = app.search(&far).await;
    assert_eq!(slugs(&page), vec!["mover"]);

    // A window whose copy of the category is not its professional's.
    use diesel_async::RunQueryDsl;
    let wrong = diesel::sql_query(format!(
        "INSERT INTO availability_windows (id, professional_id, start_time, end_time, category, geog) \
         SELECT gen_random_uuid(), id, now() + interval '9 days', now() + interval '10 days', 'Plumber', geog \
         FROM professionals WHERE id = '{stays}'"
    ))
    .execute(&mut conn)
    .await
    .expect_err("refused");
    assert!(
        wrong
            .to_string()
            .contains("availability_windows_place_fkey"),
        "{wrong}"
    );
}
