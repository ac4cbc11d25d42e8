//! Every query on the booking path uses an index even on a fresh, empty,
//! analyzed database: a sequential scan at SERIALIZABLE locks the whole table
//! and makes concurrent bookings fail each other.

use crate::helpers::spawn_app;
use diesel::prelude::*;
use diesel_async::RunQueryDsl;

#[derive(QueryableByName)]
struct PlanLine {
    #[diesel(sql_type = diesel::sql_types::Text, column_name = "QUERY PLAN")]
    line: String,
}

const BOOKING_PATH: [&str; 6] = [
    "SELECT * FROM idempotency_keys WHERE scope = 'user:x' AND key = 'k'",
    "SELECT * FROM professionals WHERE id = '00000000-0000-0000-0000-000000000000'",
    "SELECT * FROM professionals WHERE slug = 'pro1'",
    "SELECT id FROM availability_windows WHERE professional_id = '00000000-0000-0000-0000-000000000000' \
     AND period @> tstzrange(now(), now() + interval '1 hour') FOR NO KEY UPDATE",
    "SELECT id FROM bookings WHERE professional_id = '00000000-0000-0000-0000-000000000000' \
     AND period && tstzrange(now(), now() + interval '1 hour') AND bookings.status IN ('pending', 'confirmed')",
    "SELECT * FROM bookings WHERE id = '00000000-0000-0000-0000-000000000000'",
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn booking_path_queries_use_indexes_on_an_empty_analyzed_database() {
    let app = spawn_app().await;
    let mut conn = app.state.pool.get().await.expect("conn");
    for query in BOOKING_PATH {
        let plan: Vec<PlanLine> = diesel::sql_query(format!("EXPLAIN {query}"))
            .load(&mut conn)
            .await
            .expect("explain");
        let plan: Vec<String> = plan.into_iter().map(|l| l.line).collect();
        assert!(
            plan.iter().any(|l| l.contains("Index")),
            "{query}\n{plan:#?}"
        );
        assert!(
            !plan.iter().any(|l| l.contains("Seq Scan")),
            "{query}\n{plan:#?}"
        );
    }
}
