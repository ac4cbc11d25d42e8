//! The trace a PaymentIntent was made in (`intent_traces`), for the webhook
//! that settles it to link back to. Only written while traces are exported.

use crate::schema::intent_traces;
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};

pub struct IntentTrace;

/// How long a trace link is kept (days): longer than any payment takes to settle.
const KEPT: i64 = 7;

impl IntentTrace {
    /// Remembers `traceparent` for `intent` (the first one stays).
    pub async fn remember(
        conn: &mut AsyncPgConnection,
        intent: &str,
        traceparent: &str,
    ) -> QueryResult<()> {
        diesel::insert_into(intent_traces::table)
            .values((
                intent_traces::intent_id.eq(intent),
                intent_traces::traceparent.eq(traceparent),
            ))
            .on_conflict_do_nothing()
            .execute(conn)
            .await
            .map(drop)
    }

    pub async fn find(conn: &mut AsyncPgConnection, intent: &str) -> QueryResult<Option<String>> {
        intent_traces::table
            .find(intent)
            .select(intent_traces::traceparent)
            .first(conn)
            .await
            .optional()
    }

    /// Forgets up to `batch` links older than [`KEPT`] days (read without
    /// locks, deleted by their keys: it runs on Citus too).
    pub async fn purge_old(conn: &mut AsyncPgConnection, batch: i64) -> QueryResult<usize> {
        let old = intent_traces::created_at.lt(chrono::Utc::now() - chrono::Duration::days(KEPT));
        let ids: Vec<String> = intent_traces::table
            .filter(old)
            .select(intent_traces::intent_id)
            .limit(batch)
            .load(conn)
            .await?;
        if ids.is_empty() {
            return Ok(0);
        }
        diesel::delete(
            intent_traces::table
                .filter(intent_traces::intent_id.eq_any(ids))
                .filter(old),
        )
        .execute(conn)
        .await
    }
}
