//! What goes wrong below the domain: the database, the pool, Stripe out of
//! reach, an injected crash, a broken invariant. Every module's error wraps
//! it (`#[from] Failure`, or is it, for the jobs); `api/` alone says it as a
//! problem (503 with a retry for what passes, 500 for the rest).

use crate::faults::CrashPoint;
use slotwise_db::{DbError, PoolError};

#[derive(Debug, thiserror::Error)]
pub enum Failure {
    #[error(transparent)]
    Database(#[from] DbError),
    #[error(transparent)]
    Pool(#[from] PoolError),
    /// Stripe did not answer in time, or at all: the same request, or the
    /// job that finishes it, tries again.
    #[error("{0}")]
    StripeUnavailable(&'static str),
    /// SERIALIZABLE kept failing the transaction: too many at once.
    #[error("too much contention; retry")]
    Contention,
    /// A test stopped the request here (`fault-injection`).
    #[error("injected crash at {0:?}")]
    Crashed(CrashPoint),
    /// Something our own records promise was not so (logged where found).
    #[error("broken invariant: {0}")]
    Broken(&'static str),
}

/// `?` on a database or pool error into a module error with a
/// `Failure(#[from] Failure)` variant: `failure_sources!(ResaleError);`.
#[macro_export]
macro_rules! failure_sources {
    ($error:ty) => {
        impl From<slotwise_db::DbError> for $error {
            fn from(e: slotwise_db::DbError) -> Self {
                Self::Failure(e.into())
            }
        }

        impl From<slotwise_db::PoolError> for $error {
            fn from(e: slotwise_db::PoolError) -> Self {
                Self::Failure(e.into())
            }
        }
    };
}
