//! Idempotency keys: a caller's key, the fingerprint of the request it first
//! came with, how far that request got (its recovery point), and the answer a
//! retry replays.

use crate::schema::idempotency_keys;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

/// Recovery point of a request whose answer is stored.
pub const FINISHED: &str = "finished";

/// Inserted with `None` as NULL (no nullable column here has another default),
/// so the INSERT is one prepared statement, not parsed and planned each time.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = idempotency_keys, treat_none_as_default_value = false)]
pub struct IdempotencyRecord {
    pub scope: String,
    pub key: String,
    pub fingerprint: Vec<u8>,
    pub request_method: String,
    pub request_path: String,
    pub request_body: serde_json::Value,
    pub user_id: Option<Uuid>,
    pub recovery_point: String,
    pub locked_at: Option<DateTime<Utc>>,
    pub payable_id: Option<Uuid>,
    pub response_status: Option<i32>,
    pub response_body: Option<serde_json::Value>,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    /// What kind of payable `payable_id` names.
    pub payable_kind: Option<crate::status::PayableKind>,
}

impl IdempotencyRecord {
    /// (A shared connection: it may be pipelined with the request's other
    /// reads before its transaction.)
    pub async fn find(
        mut conn: &AsyncPgConnection,
        scope: &str,
        key: &str,
    ) -> QueryResult<Option<IdempotencyRecord>> {
        idempotency_keys::table
            .find((scope, key))
            .select(IdempotencyRecord::as_select())
            .first(&mut conn)
            .await
            .optional()
    }

    /// Stores the record unless the key is already taken; false when taken.
    pub async fn insert_if_absent(
        conn: &mut AsyncPgConnection,
        record: &IdempotencyRecord,
    ) -> QueryResult<bool> {
        diesel::insert_into(idempotency_keys::table)
            .values(record)
            .on_conflict_do_nothing()
            .execute(conn)
            .await
            .map(|n| n == 1)
    }

    /// Forgets one key past its expiry, so the caller may use it afresh.
    pub async fn delete_if_expired(
        conn: &mut AsyncPgConnection,
        scope: &str,
        key: &str,
        now: DateTime<Utc>,
    ) -> QueryResult<bool> {
        diesel::delete(idempotency_keys::table.find((scope, key)))
            .filter(idempotency_keys::expires_at.le(now))
            .execute(conn)
            .await
            .map(|n| n > 0)
    }

    /// Deletes up to `batch` expired keys; returns how many went. Safe to run
    /// from several instances at once (a key another one deleted first is
    /// simply gone). The candidates are read without locks, then deleted one
    /// caller (`scope`, the column keys are distributed by on Citus) at a time.
    pub async fn purge_expired(conn: &mut AsyncPgConnection, batch: i64) -> QueryResult<usize> {
        let expired: Vec<(String, String)> = idempotency_keys::table
            .filter(idempotency_keys::expires_at.le(diesel::dsl::now))
            .select((idempotency_keys::scope, idempotency_keys::key))
            .limit(batch)
            .load(conn)
            .await?;
        let mut by_scope: std::collections::BTreeMap<String, Vec<String>> = Default::default();
        for (scope, key) in expired {
            by_scope.entry(scope).or_default().push(key);
        }
        let mut deleted = 0;
        for (scope, keys) in by_scope {
            deleted += diesel::delete(
                idempotency_keys::table
                    .filter(idempotency_keys::scope.eq(scope))
                    .filter(idempotency_keys::key.eq_any(keys))
                    .filter(idempotency_keys::expires_at.le(diesel::dsl::now)),
            )
            .execute(conn)
            .await?;
        }
        Ok(deleted)
    }
}

/// Recovery point of a paid booking stored with its key, before Stripe was asked.
pub const BOOKING_CREATED: &str = "booking_created";

impl IdempotencyRecord {
    /// Takes over an unfinished key whose lease ran out before `stale_before`;
    /// false when it is finished or someone holds a live lease.
    pub async fn claim_stale(
        conn: &mut AsyncPgConnection,
        scope: &str,
        key: &str,
        stale_before: DateTime<Utc>,
    ) -> QueryResult<bool> {
        diesel::update(idempotency_keys::table.find((scope, key)))
            .filter(idempotency_keys::response_status.is_null())
            .filter(idempotency_keys::locked_at.lt(stale_before))
            .set(idempotency_keys::locked_at.eq(diesel::dsl::now))
            .execute(conn)
            .await
            .map(|n| n == 1)
    }

    /// Claims up to `limit` abandoned keys (unfinished, lease run out) for this worker;
    /// each claim is a fresh lease, so claim only what can be finished within one.
    pub async fn claim_abandoned(
        conn: &mut AsyncPgConnection,
        stale_before: DateTime<Utc>,
        limit: i64,
    ) -> QueryResult<Vec<IdempotencyRecord>> {
        // Candidates unlocked, then each locked by its key (scope: the shard on Citus).
        let abandoned = || {
            idempotency_keys::table
                .filter(idempotency_keys::response_status.is_null())
                .filter(idempotency_keys::locked_at.lt(stale_before))
        };
        let due: Vec<(String, String)> = abandoned()
            .select((idempotency_keys::scope, idempotency_keys::key))
            .limit(limit)
            .load(conn)
            .await?;
        let mut claimed = Vec::with_capacity(due.len());
        for (scope, key) in due {
            let free: Option<String> = abandoned()
                .filter(idempotency_keys::scope.eq(&scope))
                .filter(idempotency_keys::key.eq(&key))
                .select(idempotency_keys::key)
                .for_update()
                .skip_locked()
                .first(conn)
                .await
                .optional()?;
            if free.is_none() {
                continue;
            }
            let record = diesel::update(idempotency_keys::table.find((scope, key)))
                .set(idempotency_keys::locked_at.eq(diesel::dsl::now))
                .returning(IdempotencyRecord::as_returning())
                .get_result(conn)
                .await?;
            claimed.push(record);
        }
        Ok(claimed)
    }

    /// The record, locked until the end of the caller's transaction.
    pub async fn lock(
        conn: &mut AsyncPgConnection,
        scope: &str,
        key: &str,
    ) -> QueryResult<Option<IdempotencyRecord>> {
        idempotency_keys::table
            .find((scope, key))
            .select(IdempotencyRecord::as_select())
            .for_update()
            .first(conn)
            .await
            .optional()
    }

    /// Stores the final answer and releases the key.
    pub async fn finish(
        conn: &mut AsyncPgConnection,
        scope: &str,
        key: &str,
        status: i32,
        body: &serde_json::Value,
    ) -> QueryResult<()> {
        diesel::update(idempotency_keys::table.find((scope, key)))
            .set((
                idempotency_keys::response_status.eq(status),
                idempotency_keys::response_body.eq(body),
                idempotency_keys::recovery_point.eq(FINISHED),
                idempotency_keys::locked_at.eq(None::<DateTime<Utc>>),
            ))
            .execute(conn)
            .await
            .map(drop)
    }
}
