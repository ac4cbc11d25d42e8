//! The one way to run a SERIALIZABLE transaction: bounded retry on
//! serialization failures and deadlocks.

use diesel::result::{DatabaseErrorKind, Error};
use std::time::Duration;

/// Attempts before a serialization failure is given up on and reported.
pub const MAX_ATTEMPTS: u32 = 25;

/// Whether a failed transaction may succeed if simply run again.
///
/// 40001 (serialization failure), 40P01 (deadlock: diesel only reports its
/// message), and unique/exclusion violations raised by a concurrent transaction
/// that committed first (a fresh snapshot then sees the winner and answers
/// with a clean domain outcome instead of an error).
pub fn is_retryable(err: &Error) -> bool {
    match err {
        Error::DatabaseError(kind, info) => {
            matches!(
                kind,
                DatabaseErrorKind::SerializationFailure
                    | DatabaseErrorKind::UniqueViolation
                    | DatabaseErrorKind::ExclusionViolation
            ) || info.message().contains("deadlock detected")
        }
        _ => false,
    }
}

/// A short, jittered, growing pause between attempts.
pub async fn backoff(attempt: u32) {
    let base = 2u64.saturating_pow(attempt.min(6));
    let jitter = u64::from(uuid::Uuid::new_v4().as_bytes()[0]) % (base + 1);
    tokio::time::sleep(Duration::from_millis(base + jitter)).await;
}

/// Runs `$body` (an `async |conn| -> Result<T, E>` closure, `E: From<diesel::result::Error>
/// + RetryableError`) in a SERIALIZABLE transaction on `$conn`, retrying a bounded
/// number of times when [`is_retryable`] says so.
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
        let mut attempt: u32 = 0;
        loop {
            attempt += 1;
            let result = $conn.build_transaction()$(.$isolation())*.run($body).await;
            match result {
                Err(ref e)
                    if attempt < $crate::tx::MAX_ATTEMPTS
                        && $crate::tx::RetryableError::is_retryable(e) =>
                {
                    $crate::tx::backoff(attempt).await;
                }
                other => break other,
            }
        }
    }};
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
