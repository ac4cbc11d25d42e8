//! Citus: which tables are distributed, by what, and the calls that do it
//! (`booking distribute`). On a database without the citus extension nothing
//! happens, so the same command is safe everywhere. docs/SCALING.md says why
//! each table goes where it goes.

use diesel::sql_types::{BigInt, Text};
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl, SimpleAsyncConnection};

/// Replicated to every node: small, read by every booking or request, and
/// referenced by the distributed tables' foreign keys. In this order (each
/// one's foreign keys name only the ones before it).
pub const REFERENCE: [&str; 4] = ["users", "professionals", "sessions", "webhook_endpoints"];

/// Table, distribution column, and the table it is colocated with.
pub const DISTRIBUTED: [(&str, &str, Option<&str>); 7] = [
    ("bookings", "professional_id", None),
    ("availability_windows", "professional_id", Some("bookings")),
    ("booking_transitions", "professional_id", Some("bookings")),
    (
        "professional_schedules",
        "professional_id",
        Some("bookings"),
    ),
    ("idempotency_keys", "scope", None),
    ("stripe_events", "id", None),
    ("intent_traces", "intent_id", None),
];

#[derive(diesel::QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

async fn count(conn: &mut AsyncPgConnection, sql: &str, arg: &str) -> diesel::QueryResult<i64> {
    diesel::sql_query(sql)
        .bind::<Text, _>(arg)
        .get_result::<Count>(conn)
        .await
        .map(|c| c.n)
}

/// Whether the database has the citus extension.
pub async fn is_citus(conn: &mut AsyncPgConnection) -> diesel::QueryResult<bool> {
    Ok(count(
        conn,
        "SELECT count(*) AS n FROM pg_extension WHERE extname = $1",
        "citus",
    )
    .await?
        > 0)
}

/// Makes the tables above reference and distributed tables, those that are
/// not yet (idempotent); `shard_count` overrides Citus's default (32) for
/// tables distributed now. Returns what it did; nothing without citus.
pub async fn distribute(
    conn: &mut AsyncPgConnection,
    shard_count: Option<u32>,
) -> diesel::QueryResult<Vec<String>> {
    if !is_citus(conn).await? {
        return Ok(Vec::new());
    }
    if let Some(n) = shard_count {
        conn.batch_execute(&format!("SET citus.shard_count = {n}"))
            .await?;
    }
    let mut done = Vec::new();
    let known = "SELECT count(*) AS n FROM pg_dist_partition WHERE logicalrelid = $1::regclass";
    for table in REFERENCE {
        if count(conn, known, table).await? == 0 {
            conn.batch_execute(&format!("SELECT create_reference_table('{table}')"))
                .await?;
            done.push(format!("{table}: reference table"));
        }
    }
    for (table, column, colocate) in DISTRIBUTED {
        if count(conn, known, table).await? == 0 {
            let with = colocate
                .map(|c| format!(", colocate_with => '{c}'"))
                .unwrap_or_default();
            conn.batch_execute(&format!(
                "SELECT create_distributed_table('{table}', '{column}'{with})"
            ))
            .await?;
            done.push(format!("{table}: distributed by {column}"));
        }
    }
    Ok(done)
}

/// A connection for [`distribute`] (the CLI's).
pub async fn distribute_url(
    url: &str,
    shard_count: Option<u32>,
) -> Result<Vec<String>, Box<dyn std::error::Error + Send + Sync>> {
    let mut conn = AsyncPgConnection::establish(url).await?;
    Ok(distribute(&mut conn, shard_count).await?)
}
