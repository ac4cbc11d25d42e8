//! The connection pool shared by both services.

use diesel::ConnectionError;
use diesel_async::pooled_connection::deadpool::{Object, Pool};
use diesel_async::pooled_connection::{
    AsyncDieselConnectionManager, ManagerConfig, RecyclingMethod,
};
use diesel_async::{AsyncConnection, AsyncPgConnection, SimpleAsyncConnection};
use futures_util::FutureExt;
use std::time::Duration;

pub type DbPool = Pool<AsyncPgConnection>;
pub type DbConn = Object<AsyncPgConnection>;
pub use deadpool::managed::BuildError;
pub use diesel_async::pooled_connection::deadpool::PoolError;

/// Settings applied to every pooled connection.
///
/// `enable_seqscan = off`: on a fresh or small table the planner prefers a
/// sequential scan, which at SERIALIZABLE takes a whole-table predicate lock
/// and makes concurrent bookings fail each other. Every query on our paths has
/// an index, so we tell the planner to use it whatever the table size.
///
/// `jit = off`, no parallel workers: every query here is short and runs many at
/// once; compiling or spreading one costs more than it saves.
fn session_setup(statement_timeout: Duration) -> String {
    format!(
        "SET enable_seqscan = off; SET jit = off; SET max_parallel_workers_per_gather = 0; \
         SET statement_timeout = {}",
        statement_timeout.as_millis()
    )
}

/// Default `statement_timeout` (`DATABASE_STATEMENT_TIMEOUT_MS`): no query of
/// ours should take long; one that does is cut off and answered 503.
pub const DEFAULT_STATEMENT_TIMEOUT: Duration = Duration::from_secs(5);

/// How long a request waits for a free connection before it answers 503
/// (busy, retry). Longer than the time a burst takes to drain where it is
/// slowest: 200 clients racing for one slot through two instances (32
/// connections) on the 2-core Citus cluster of `scripts/citus` drained in
/// 5.4 to 5.9 s, and at the former 5 s the tail of that burst answered 503
/// instead of 409 (issue 30).
pub const POOL_WAIT: Duration = Duration::from_secs(10);

/// Builds a pool; connections are opened lazily, so this never touches the network.
pub fn build_pool(
    database_url: &str,
    max_size: usize,
    statement_timeout: Duration,
) -> Result<DbPool, BuildError> {
    let setup = session_setup(statement_timeout);
    let mut config = ManagerConfig::default();
    // No `SELECT 1` on every checkout: a dead connection fails its first query,
    // which maps to 503, and the pool drops it.
    config.recycling_method = RecyclingMethod::Fast;
    config.custom_setup = Box::new(move |url| {
        let url = url.to_owned();
        let setup = setup.clone();
        async move {
            let mut conn = AsyncPgConnection::establish(&url).await?;
            conn.batch_execute(&setup)
                .await
                .map_err(ConnectionError::CouldntSetupConfiguration)?;
            // On Citus, SERIALIZABLE transactions run at READ COMMITTED (`tx::set_on_citus`).
            if crate::citus::is_citus(&mut conn)
                .await
                .map_err(ConnectionError::CouldntSetupConfiguration)?
            {
                crate::tx::set_on_citus(true);
            }
            Ok(conn)
        }
        .boxed()
    });
    let manager = AsyncDieselConnectionManager::new_with_config(database_url, config);
    Pool::builder(manager)
        .max_size(max_size)
        .wait_timeout(Some(POOL_WAIT))
        .create_timeout(Some(Duration::from_secs(5)))
        .recycle_timeout(Some(Duration::from_secs(5)))
        .runtime(deadpool::Runtime::Tokio1)
        .build()
}

/// Whether the pool gave up waiting for a free connection (load), rather than
/// failing to reach the database.
pub fn is_busy(err: &PoolError) -> bool {
    matches!(
        err,
        deadpool::managed::PoolError::Timeout(deadpool::managed::TimeoutType::Wait)
    )
}
