//! The trace a PaymentIntent was made in (`intent_traces`), for the webhook
//! that settles it to link back to. Only written while traces are exported.

use crate::schema::intent_traces;
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};

pub struct IntentTrace;

/// How long a trace link is kept: longer than any payment takes to settle.
pub const KEPT_DAYS: i32 = 7;

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

    /// Forgets up to `batch` links older than [`KEPT_DAYS`].
    pub async fn purge_old(conn: &mut AsyncPgConnection, batch: i64) -> QueryResult<usize> {
        diesel::sql_query(
            "DELETE FROM intent_traces WHERE intent_id IN (
                 SELECT intent_id FROM intent_traces
                 WHERE created_at < now() - make_interval(days => $1)
                 LIMIT $2 FOR UPDATE SKIP LOCKED)",
        )
        .bind::<diesel::sql_types::Integer, _>(KEPT_DAYS)
        .bind::<diesel::sql_types::BigInt, _>(batch)
        .execute(conn)
        .await
    }
}
