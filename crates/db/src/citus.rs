//! Citus: which tables are distributed, by what, and the calls that do it
//! (`booking distribute`). On a database without the citus extension nothing
//! happens, so the same command is safe everywhere. docs/SCALING.md says why
//! each table goes where it goes.

use diesel::sql_types::{BigInt, Text};
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl, SimpleAsyncConnection};

/// Replicated to every node: small, read by every booking or request, and
/// referenced by the distributed tables' foreign keys. In this order (each
/// one's foreign keys name only the ones before it).
pub const REFERENCE: [&str; 5] = [
    "users",
    "professionals",
    "sessions",
    "account_tokens",
    "webhook_endpoints",
];

/// Table, distribution column, and the table it is colocated with: a
/// professional's bookings with their windows; an event with its tiers,
/// stock, seats, orders, tickets and resale (all written together).
pub const DISTRIBUTED: [(&str, &str, Option<&str>); 24] = [
    ("bookings", "professional_id", None),
    ("availability_windows", "professional_id", Some("bookings")),
    ("booking_transitions", "professional_id", Some("bookings")),
    (
        "professional_schedules",
        "professional_id",
        Some("bookings"),
    ),
    ("events", "id", None),
    ("ticket_tiers", "event_id", Some("events")),
    ("tier_stock", "event_id", Some("events")),
    ("seats", "event_id", Some("events")),
    ("orders", "event_id", Some("events")),
    ("order_items", "event_id", Some("events")),
    ("tickets", "event_id", Some("events")),
    ("order_transitions", "event_id", Some("events")),
    ("refunds", "scope_id", Some("events")),
    ("listings", "event_id", Some("events")),
    ("payouts", "event_id", Some("events")),
    ("ticket_moves", "event_id", Some("events")),
    ("scanners", "event_id", Some("events")),
    ("checkins", "event_id", Some("events")),
    ("vouchers", "event_id", Some("events")),
    ("waitlist_entries", "event_id", Some("events")),
    ("event_slugs", "slug", None),
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

#[derive(diesel::QueryableByName)]
struct Placed {
    #[diesel(sql_type = Text)]
    table_name: String,
    #[diesel(sql_type = Text)]
    citus_table_type: String,
}

/// Makes the tables above reference and distributed tables, those that are
/// not yet (idempotent); `shard_count` overrides Citus's default (32).
/// Returns what it did; nothing without citus.
///
/// One transaction: the foreign keys that touch these tables are dropped,
/// the tables placed, and the keys put back (Citus refuses to distribute a
/// table that a local table references, and a table referencing `users`
/// becomes a "Citus local table" on the coordinator the moment `users`
/// becomes a reference table). Tables not listed here stay on the
/// coordinator as Citus local tables.
pub async fn distribute(
    conn: &mut AsyncPgConnection,
    shard_count: Option<u32>,
) -> diesel::QueryResult<Vec<String>> {
    if !is_citus(conn).await? {
        return Ok(Vec::new());
    }
    let placed: Vec<Placed> = diesel::sql_query(
        "SELECT table_name::text AS table_name, citus_table_type::text AS citus_table_type
         FROM citus_tables",
    )
    .load(conn)
    .await?;
    let is = |table: &str, kind: &str| {
        placed
            .iter()
            .any(|p| p.table_name == table && p.citus_table_type == kind)
    };
    let mut calls = Vec::new();
    let mut done = Vec::new();
    for table in REFERENCE.into_iter().filter(|t| !is(t, "reference")) {
        calls.push(format!("SELECT create_reference_table('{table}');"));
        done.push(format!("{table}: reference table"));
    }
    for (table, column, colocate) in DISTRIBUTED
        .into_iter()
        .filter(|(t, ..)| !is(t, "distributed"))
    {
        let with = colocate
            .map(|c| format!(", colocate_with => '{c}'"))
            .unwrap_or_default();
        calls.push(format!(
            "SELECT create_distributed_table('{table}', '{column}'{with});"
        ));
        done.push(format!("{table}: distributed by {column}"));
    }
    if calls.is_empty() {
        return Ok(done);
    }
    // A transaction that read several shards in parallel may not then write
    // a table kept on the coordinator (the outbox, written with every
    // booking): one connection per worker inside transactions allows it.
    conn.batch_execute(
        "DO $$ BEGIN EXECUTE format('ALTER DATABASE %I SET citus.multi_shard_modify_mode TO sequential', current_database()); END $$",
    )
    .await?;
    let ours: Vec<String> = REFERENCE
        .iter()
        .chain(DISTRIBUTED.iter().map(|(t, ..)| t))
        .map(|t| format!("'{t}'"))
        .collect();
    let ours = ours.join(", ");
    let shards = shard_count
        .map(|n| format!("SET LOCAL citus.shard_count = {n};"))
        .unwrap_or_default();
    let calls = calls.join("\n");
    conn.batch_execute(&format!(
        "BEGIN;
         SET LOCAL citus.multi_shard_modify_mode TO 'sequential';
         {shards}
         CREATE TEMP TABLE slotwise_fks ON COMMIT DROP AS
           SELECT conrelid::regclass::text AS tbl, conname::text AS name,
                  pg_get_constraintdef(oid) AS def
           FROM pg_constraint
           WHERE contype = 'f' AND (conrelid::regclass::text IN ({ours})
                                    OR confrelid::regclass::text IN ({ours}));
         DO $$ DECLARE r record; BEGIN
           FOR r IN SELECT * FROM slotwise_fks LOOP
             EXECUTE format('ALTER TABLE %I DROP CONSTRAINT %I', r.tbl, r.name);
           END LOOP; END $$;
         {calls}
         DO $$ DECLARE r record; BEGIN
           FOR r IN SELECT * FROM slotwise_fks LOOP
             EXECUTE format('ALTER TABLE %I ADD CONSTRAINT %I %s', r.tbl, r.name, r.def);
           END LOOP; END $$;
         COMMIT;"
    ))
    .await?;
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
