//! The one way to run a transaction: bounded retry on serialization failures
//! and deadlocks, a span for traces, and SERIALIZABLE where it is safe.

use diesel::result::{DatabaseErrorKind, Error};
use std::time::Duration;

/// Attempts before a serialization failure is given up on and reported.
pub const MAX_ATTEMPTS: u32 = 25;

/// Whether a failed transaction may succeed if simply run again.
///
/// 40001 (serialization failure), 40P01 (deadlock: diesel only reports its
/// message; Citus's detector cancels one transaction of a deadlock across
/// nodes before anything of it commits), and unique/exclusion violations raised by a concurrent transaction
/// that committed first (a fresh snapshot then sees the winner and answers
/// with a clean domain outcome instead of an error).
///
/// Not Citus's XX000 "could not commit transaction for shard ... on at least
/// one active node": seen on a real cluster, it can follow a commit that went
/// through on another node (docs/SCALING.md), so running the transaction
/// again is not safe. On Citus, [`serializable!`] runs at READ COMMITTED
/// instead, where that failure does not arise.
pub fn is_retryable(err: &Error) -> bool {
    match err {
        Error::DatabaseError(kind, info) => {
            matches!(
                kind,
                DatabaseErrorKind::SerializationFailure
                    | DatabaseErrorKind::UniqueViolation
                    | DatabaseErrorKind::ExclusionViolation
            ) || info.message().contains("deadlock detected")
                || info.message().contains("distributed deadlock")
        }
        _ => false,
    }
}

static ON_CITUS: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Notes that the database is a Citus cluster (the pool's connection setup
/// finds out): from then on [`serializable!`] runs at READ COMMITTED.
///
/// Citus does not make a transaction that writes several nodes SERIALIZABLE,
/// and a serialization failure found on one node at commit was seen to leave
/// the other node's writes committed (a key without its booking). At READ
/// COMMITTED Citus commits such a transaction with two-phase commit, and what
/// SERIALIZABLE protected on one server is held by row locks and constraints:
/// a booking locks its window and the exclusion constraint refuses overlaps,
/// a key is unique, stock and seats are locked rows.
pub fn set_on_citus(on: bool) {
    ON_CITUS.store(on, std::sync::atomic::Ordering::Relaxed);
}

/// Whether the pool found the citus extension (see [`set_on_citus`]).
pub fn on_citus() -> bool {
    ON_CITUS.load(std::sync::atomic::Ordering::Relaxed)
}

/// Whether a transaction asked to run at `isolation` does (see [`set_on_citus`]).
pub fn isolation_applies(isolation: &str) -> bool {
    !(isolation == "serializable" && on_citus())
}

/// A short, jittered, growing pause between attempts.
pub async fn backoff(attempt: u32) {
    let base = 2u64.saturating_pow(attempt.min(6));
    let jitter = u64::from(uuid::Uuid::new_v4().as_bytes()[0]) % (base + 1);
    tokio::time::sleep(Duration::from_millis(base + jitter)).await;
}

/// Runs `$body` (an `async |conn| -> Result<T, E>` closure, `E: From<diesel::result::Error>
/// + RetryableError`) in a SERIALIZABLE transaction on `$conn` (READ COMMITTED on
/// Citus: [`set_on_citus`]), retrying a bounded number of times when
/// [`is_retryable`] says so.
///
/// A macro rather than a function because diesel-async's transaction bound on
/// async closures cannot be named outside the crate.
#[macro_export]
macro_rules! serializable {
    ($conn:expr, $body:expr) => {
        $crate::retry_transaction!($conn, [serializable], $body)
    };
}

/// Like [`serializable!`] at READ COMMITTED: for work that takes row locks
/// (`FOR UPDATE`) on the rows it changes and needs no predicate locks.
#[macro_export]
macro_rules! read_committed {
    ($conn:expr, $body:expr) => {
        $crate::retry_transaction!($conn, [], $body)
    };
}

#[doc(hidden)]
#[macro_export]
macro_rules! retry_transaction {
    ($conn:expr, [$($isolation:ident)*], $body:expr) => {{
        let isolation = if $crate::tx::isolation_applies(stringify!($($isolation)*)) {
            stringify!($($isolation)*)
        } else {
            ""
        };
        let span = $crate::tx::span(isolation);
        $crate::tx::traced(&span, async {
            let mut attempt: u32 = 0;
            loop {
                attempt += 1;
                let builder = $conn.build_transaction();
                $(let builder = if isolation.is_empty() { builder } else { builder.$isolation() };)*
                let mut builder = builder;
                let result = builder.run($body).await;
                match result {
                    Err(ref e)
                        if attempt < $crate::tx::MAX_ATTEMPTS
                            && $crate::tx::RetryableError::is_retryable(e) =>
                    {
                        $crate::tx::backoff(attempt).await;
                    }
                    other => {
                        $crate::tx::finish(&span, attempt, other.is_ok());
                        break other;
                    }
                }
            }
        })
        .await
    }};
}

/// The span of one transaction with its retries, for traces only (it is
/// never built when traces are off: no layer takes its target).
pub fn span(isolation: &str) -> tracing::Span {
    tracing::info_span!(
        target: "slotwise_trace",
        "db.transaction",
        db.system = "postgresql",
        db.isolation_level = if isolation.is_empty() { "read committed" } else { isolation },
        db.retries = tracing::field::Empty,
        otel.status_code = tracing::field::Empty,
    )
}

/// Runs `work` inside `span`.
pub async fn traced<T>(span: &tracing::Span, work: impl Future<Output = T>) -> T {
    tracing::Instrument::instrument(work, span.clone()).await
}

/// Records the retries and, when the transaction rolled back, the error.
pub fn finish(span: &tracing::Span, attempts: u32, committed: bool) {
    if !span.is_disabled() {
        span.record("db.retries", attempts - 1);
        if !committed {
            span.record("otel.status_code", "error");
        }
    }
}

/// Errors that can say whether the transaction that produced them is worth retrying.
pub trait RetryableError {
    fn is_retryable(&self) -> bool;
}

impl RetryableError for Error {
    fn is_retryable(&self) -> bool {
        is_retryable(self)
    }
}
