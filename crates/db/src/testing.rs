//! Fresh databases for tests: each test gets its own copy of a migrated,
//! analyzed template, so tests run in parallel and see what production sees
//! on day one (empty tables with statistics).

use crate::migrate::MIGRATIONS;
use diesel::migration::MigrationSource;
use diesel_async::{AsyncConnection, AsyncPgConnection, SimpleAsyncConnection};
use std::hash::{DefaultHasher, Hash, Hasher};

/// Server to create test databases on (`TEST_DATABASE_SERVER`, default the local one).
pub fn server_url() -> String {
    std::env::var("TEST_DATABASE_SERVER")
        .ok()
        .filter(|v| !v.is_empty())
        .unwrap_or_else(|| "postgres://postgres@127.0.0.1:5432".to_owned())
}

pub const TEST_DB_PREFIX: &str = "slotwise_test_";
pub const TEMPLATE_PREFIX: &str = "slotwise_template_";

fn template_name() -> String {
    let mut hasher = DefaultHasher::new();
    let migrations: Vec<_> =
        MigrationSource::<diesel::pg::Pg>::migrations(&MIGRATIONS).unwrap_or_default();
    for m in &migrations {
        m.name().to_string().hash(&mut hasher);
    }
    format!("{TEMPLATE_PREFIX}{:016x}", hasher.finish())
}

/// The Citus nodes tests run on (`TEST_CITUS_NODES`: `host:port` of the
/// coordinator, which `TEST_DATABASE_SERVER` names too, then the workers), if any.
pub fn citus_nodes() -> Vec<String> {
    std::env::var("TEST_CITUS_NODES")
        .unwrap_or_default()
        .split_whitespace()
        .map(str::to_owned)
        .collect()
}

/// A fresh database on the Citus cluster: created on every node with its
/// extensions, the workers registered, migrated and distributed (4 shards a
/// table). No template: a Citus database's metadata names its nodes.
async fn create_citus_database(
    nodes: &[String],
) -> Result<String, Box<dyn std::error::Error + Send + Sync>> {
    let name = format!("{TEST_DB_PREFIX}{}", uuid::Uuid::new_v4().simple());
    // One at a time: Citus updates shared catalogs as it sets a database up,
    // and two at once were seen to fail ("tuple concurrently updated").
    let mut guard =
        AsyncPgConnection::establish(&format!("postgres://postgres@{}/postgres", nodes[0])).await?;
    guard
        .batch_execute("SELECT pg_advisory_lock(7215002)")
        .await?;
    for node in nodes {
        let mut admin =
            AsyncPgConnection::establish(&format!("postgres://postgres@{node}/postgres")).await?;
        admin
            .batch_execute(&format!("CREATE DATABASE {name}"))
            .await?;
        let mut conn =
            AsyncPgConnection::establish(&format!("postgres://postgres@{node}/{name}")).await?;
        conn.batch_execute(
            "CREATE EXTENSION citus; CREATE EXTENSION postgis; CREATE EXTENSION btree_gist",
        )
        .await?;
    }
    let url = format!("postgres://postgres@{}/{name}", nodes[0]);
    let mut conn = AsyncPgConnection::establish(&url).await?;
    let (host, port) = nodes[0]
        .rsplit_once(':')
        .ok_or("TEST_CITUS_NODES: host:port")?;
    conn.batch_execute(&format!(
        "SELECT citus_set_coordinator_host('{host}', {port})"
    ))
    .await?;
    for worker in &nodes[1..] {
        let (host, port) = worker
            .rsplit_once(':')
            .ok_or("TEST_CITUS_NODES: host:port")?;
        conn.batch_execute(&format!("SELECT citus_add_node('{host}', {port})"))
            .await?;
    }
    drop(conn);
    // diesel-async's migrations block in place: on a runtime of their own, so
    // that single-threaded tests can make a database too.
    let migrated = url.clone();
    tokio::task::spawn_blocking(move || {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()?
            .block_on(async {
                crate::migrate::run_pending(&migrated).await?;
                crate::citus::distribute_url(&migrated, Some(4)).await?;
                Ok::<_, Box<dyn std::error::Error + Send + Sync>>(())
            })
    })
    .await??;
    guard
        .batch_execute("SELECT pg_advisory_unlock(7215002)")
        .await?;
    Ok(url)
}

/// Creates a new database from the migrated template and returns its URL
/// (on Citus when `TEST_CITUS_NODES` names a cluster).
pub async fn create_test_database() -> Result<String, Box<dyn std::error::Error + Send + Sync>> {
    let nodes = citus_nodes();
    if !nodes.is_empty() {
        return create_citus_database(&nodes).await;
    }
    let server = server_url();
    let template = template_name();
    let mut admin = AsyncPgConnection::establish(&format!("{server}/postgres")).await?;
    admin
        .batch_execute("SELECT pg_advisory_lock(7215001)")
        .await?;
    let exists: bool = {
        use diesel_async::RunQueryDsl;
        diesel::select(diesel::dsl::sql::<diesel::sql_types::Bool>(&format!(
            "EXISTS (SELECT 1 FROM pg_database WHERE datname = '{template}')"
        )))
        .get_result(&mut admin)
        .await?
    };
    if !exists {
        let building = format!("{template}_building");
        admin
            .batch_execute(&format!("DROP DATABASE IF EXISTS {building}"))
            .await?;
        admin
            .batch_execute(&format!("CREATE DATABASE {building}"))
            .await?;
        let url = format!("{server}/{building}");
        crate::migrate::run_pending(&url).await?;
        let mut conn = AsyncPgConnection::establish(&url).await?;
        conn.batch_execute("ANALYZE").await?;
        drop(conn);
        admin
            .batch_execute(&format!("ALTER DATABASE {building} RENAME TO {template}"))
            .await?;
    }
    admin
        .batch_execute("SELECT pg_advisory_unlock(7215001)")
        .await?;
    let name = format!("{TEST_DB_PREFIX}{}", uuid::Uuid::new_v4().simple());
    let mut last_error = None;
    for _ in 0..20 {
        match admin
            .batch_execute(&format!("CREATE DATABASE {name} TEMPLATE {template}"))
            .await
        {
            Ok(()) => return Ok(format!("{server}/{name}")),
            // Another test may be copying the template this very moment.
            Err(e) => {
                last_error = Some(e);
                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
            }
        }
    }
    Err(last_error
        .map(Into::into)
        .unwrap_or_else(|| "cannot create test database".into()))
}
