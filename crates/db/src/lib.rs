//! Slotwise's database library: the only place SQL lives.
//!
//! Models are plain structs with async query methods returning `QueryResult`,
//! in the manner of crates.io's `crates_io_database`.

pub mod account_tokens;
pub mod availability;
pub mod bookings;
pub(crate) mod cached_sql;
pub mod checkins;
pub mod citus;
pub mod event_search;
pub mod events;
pub mod idempotency;
pub mod intent_traces;
pub mod listings;
pub mod migrate;
pub mod notify;
pub mod orders;
pub mod payable_rows;
pub mod pool;
pub mod predicates;
pub mod professionals;
pub mod refunds;
pub mod schedules;
pub mod schema;
pub mod search;
pub mod slots;
pub mod status;
pub mod stripe_events;
#[cfg(feature = "testing")]
pub mod testing;
pub mod text_enum;
pub mod tx;
pub mod users;
pub mod vouchers;
pub mod waitlist;

pub use diesel::QueryResult;
pub use diesel::result::Error as DbError;
pub use diesel_async::AsyncPgConnection;
pub use pool::{DbConn, DbPool, PoolError, build_pool};

/// A unique constraint refused the write (a taken email, slug or key).
pub fn is_unique_violation(err: &DbError) -> bool {
    matches!(
        err,
        DbError::DatabaseError(diesel::result::DatabaseErrorKind::UniqueViolation, _)
    )
}

/// An exclusion constraint refused the write (overlapping windows or bookings).
pub fn is_exclusion_violation(err: &DbError) -> bool {
    matches!(
        err,
        DbError::DatabaseError(diesel::result::DatabaseErrorKind::ExclusionViolation, _)
    )
}
