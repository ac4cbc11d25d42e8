//! Deliveries: one per outbox row and target (an address, an endpoint, a bus
//! subject; `UNIQUE (outbox_id, channel, target)`), sent at least once.
//!
//! A sender *claims* due ones `FOR UPDATE SKIP LOCKED`, taking a lease (the
//! row's `next_attempt_at` moves past the send's timeout) so that several
//! instances never send one at the same time, and a sender that dies
//! mid-send leaves the row to be sent again when its lease ends.

use crate::schema::{deliveries, outbox};
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{Int4, Int8, Nullable, Text, Timestamptz, Uuid as SqlUuid};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

pub const PENDING: &str = "pending";
pub const SENT: &str = "sent";
pub const DEAD: &str = "dead";

pub const EMAIL: &str = "email";
pub const WEBHOOK: &str = "webhook";
pub const NATS: &str = "nats";

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = deliveries)]
pub struct Delivery {
    pub id: Uuid,
    pub outbox_id: Uuid,
    pub channel: String,
    pub target: String,
    pub endpoint_id: Option<Uuid>,
    pub status: String,
    pub attempts: i32,
    pub next_attempt_at: DateTime<Utc>,
    pub last_status_code: Option<i32>,
    pub last_error: Option<String>,
    pub created_at: DateTime<Utc>,
    pub sent_at: Option<DateTime<Utc>>,
}

impl Delivery {
    pub fn new(outbox_id: Uuid, channel: &str, target: String, endpoint_id: Option<Uuid>) -> Self {
        let now = Utc::now();
        Delivery {
            id: Uuid::now_v7(),
            outbox_id,
            channel: channel.to_owned(),
            target,
            endpoint_id,
            status: PENDING.to_owned(),
            attempts: 0,
            next_attempt_at: now,
            last_status_code: None,
            last_error: None,
            created_at: now,
            sent_at: None,
        }
    }
}

/// A delivery claimed for sending, with what it sends.
#[derive(Debug, Clone, QueryableByName)]
pub struct Due {
    #[diesel(sql_type = SqlUuid)]
    pub id: Uuid,
    #[diesel(sql_type = SqlUuid)]
    pub outbox_id: Uuid,
    #[diesel(sql_type = Text)]
    pub channel: String,
    #[diesel(sql_type = Text)]
    pub target: String,
    #[diesel(sql_type = Nullable<SqlUuid>)]
    pub endpoint_id: Option<Uuid>,
    /// This attempt's number, from 1.
    #[diesel(sql_type = Int4)]
    pub attempts: i32,
    #[diesel(sql_type = Text)]
    pub topic: String,
    #[diesel(sql_type = diesel::sql_types::Jsonb)]
    pub payload: serde_json::Value,
    #[diesel(sql_type = diesel::sql_types::Jsonb)]
    pub mail: serde_json::Value,
    #[diesel(sql_type = Timestamptz)]
    pub occurred_at: DateTime<Utc>,
    #[diesel(sql_type = Nullable<Text>)]
    pub url: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    pub secret: Option<String>,
}

/// Marks outbox rows as fanned out.
pub async fn mark_dispatched(conn: &mut AsyncPgConnection, ids: &[Uuid]) -> QueryResult<()> {
    diesel::update(outbox::table.filter(outbox::id.eq_any(ids)))
        .set(outbox::dispatched_at.eq(diesel::dsl::now))
        .execute(conn)
        .await
        .map(drop)
}

/// What fan-out reads of an outbox row: who hears of it (not what it says).
#[derive(Debug, Clone, Queryable)]
pub struct Undispatched {
    pub id: Uuid,
    pub topic: String,
    pub owner_id: Option<Uuid>,
    pub email: Option<String>,
}

/// Outbox rows not yet fanned out, oldest first, locked for this worker.
pub async fn claim_undispatched(
    conn: &mut AsyncPgConnection,
    limit: i64,
) -> QueryResult<Vec<Undispatched>> {
    outbox::table
        .filter(outbox::dispatched_at.is_null())
        .order(outbox::created_at)
        .limit(limit)
        .for_update()
        .skip_locked()
        .select((outbox::id, outbox::topic, outbox::owner_id, outbox::email))
        .load(conn)
        .await
}

/// Stores deliveries; one that exists already (same event and target) is kept.
pub async fn insert(conn: &mut AsyncPgConnection, new: &[Delivery]) -> QueryResult<usize> {
    diesel::insert_into(deliveries::table)
        .values(new)
        .on_conflict_do_nothing()
        .execute(conn)
        .await
}

/// Up to `limit` due deliveries, each leased for `lease` and counted as an attempt.
pub async fn claim_due(
    conn: &mut AsyncPgConnection,
    limit: i64,
    lease: std::time::Duration,
) -> QueryResult<Vec<Due>> {
    let lease_ms = i64::try_from(lease.as_millis()).unwrap_or(i64::MAX);
    diesel::sql_query(
        "WITH claimed AS ( \
           UPDATE deliveries d SET attempts = d.attempts + 1, \
             next_attempt_at = now() + $1 * interval '1 millisecond' \
           WHERE d.id IN (SELECT id FROM deliveries WHERE status = 'pending' AND next_attempt_at <= now() \
             ORDER BY next_attempt_at LIMIT $2 FOR UPDATE SKIP LOCKED) \
           RETURNING d.id, d.outbox_id, d.channel, d.target, d.endpoint_id, d.attempts) \
         SELECT c.*, o.topic, o.payload, o.mail, o.created_at AS occurred_at, e.url, e.secret \
         FROM claimed c JOIN outbox o ON o.id = c.outbox_id \
         LEFT JOIN webhook_endpoints e ON e.id = c.endpoint_id",
    )
    .bind::<Int8, _>(lease_ms)
    .bind::<Int8, _>(limit)
    .load(conn)
    .await
}

/// Sent: done for good.
pub async fn mark_sent(
    conn: &mut AsyncPgConnection,
    id: Uuid,
    status_code: Option<i32>,
) -> QueryResult<()> {
    diesel::update(deliveries::table.find(id))
        .set((
            deliveries::status.eq(SENT),
            deliveries::sent_at.eq(diesel::dsl::now),
            deliveries::last_status_code.eq(status_code),
            deliveries::last_error.eq(None::<String>),
        ))
        .execute(conn)
        .await
        .map(drop)
}

/// Failed this attempt: tried again at `retry_at`, or dead when that is `None`.
pub async fn mark_failed(
    conn: &mut AsyncPgConnection,
    id: Uuid,
    status_code: Option<i32>,
    error: &str,
    retry_at: Option<DateTime<Utc>>,
) -> QueryResult<()> {
    let status = if retry_at.is_some() { PENDING } else { DEAD };
    diesel::update(
        deliveries::table
            .find(id)
            .filter(deliveries::status.eq(PENDING)),
    )
    .set((
        deliveries::status.eq(status),
        deliveries::next_attempt_at.eq(retry_at.unwrap_or_else(Utc::now)),
        deliveries::last_status_code.eq(status_code),
        deliveries::last_error.eq(error),
    ))
    .execute(conn)
    .await
    .map(drop)
}

/// Every pending delivery of an endpoint that was just disabled: dead.
pub async fn kill_pending_of_endpoint(
    conn: &mut AsyncPgConnection,
    endpoint_id: Uuid,
) -> QueryResult<usize> {
    diesel::update(
        deliveries::table
            .filter(deliveries::endpoint_id.eq(endpoint_id))
            .filter(deliveries::status.eq(PENDING)),
    )
    .set((
        deliveries::status.eq(DEAD),
        deliveries::last_error.eq("endpoint disabled after repeated failures"),
    ))
    .execute(conn)
    .await
}

/// Dead deliveries, newest first, `before` an id for paging.
pub async fn dead(
    conn: &mut AsyncPgConnection,
    before: Option<Uuid>,
    limit: i64,
) -> QueryResult<Vec<Delivery>> {
    let mut query = deliveries::table
        .filter(deliveries::status.eq(DEAD))
        .order(deliveries::id.desc())
        .limit(limit)
        .select(Delivery::as_select())
        .into_boxed();
    if let Some(before) = before {
        query = query.filter(deliveries::id.lt(before));
    }
    query.load(conn).await
}

/// A dead delivery tried again from its first attempt; `None` unless it was dead.
pub async fn retry(conn: &mut AsyncPgConnection, id: Uuid) -> QueryResult<Option<Delivery>> {
    diesel::update(
        deliveries::table
            .find(id)
            .filter(deliveries::status.eq(DEAD)),
    )
    .set((
        deliveries::status.eq(PENDING),
        deliveries::attempts.eq(0),
        deliveries::next_attempt_at.eq(diesel::dsl::now),
    ))
    .returning(Delivery::as_returning())
    .get_result(conn)
    .await
    .optional()
}

/// An endpoint's deliveries, newest first.
pub async fn of_endpoint(
    conn: &mut AsyncPgConnection,
    endpoint_id: Uuid,
    before: Option<Uuid>,
    limit: i64,
) -> QueryResult<Vec<(Delivery, String)>> {
    let mut query = deliveries::table
        .inner_join(outbox::table)
        .filter(deliveries::endpoint_id.eq(endpoint_id))
        .order(deliveries::id.desc())
        .limit(limit)
        .select((Delivery::as_select(), outbox::topic))
        .into_boxed();
    if let Some(before) = before {
        query = query.filter(deliveries::id.lt(before));
    }
    query.load(conn).await
}

/// Seconds the oldest unsent notification has waited (0 when none waits):
/// an outbox row not fanned out or a delivery still pending.
pub async fn oldest_waiting_secs(conn: &mut AsyncPgConnection) -> QueryResult<f64> {
    #[derive(QueryableByName)]
    struct Age {
        #[diesel(sql_type = diesel::sql_types::Double)]
        secs: f64,
    }
    let age: Age = diesel::sql_query(
        "SELECT COALESCE(EXTRACT(EPOCH FROM now() - LEAST( \
           (SELECT min(created_at) FROM outbox WHERE dispatched_at IS NULL), \
           (SELECT min(created_at) FROM deliveries WHERE status = 'pending'))), 0)::float8 AS secs",
    )
    .get_result(conn)
    .await?;
    Ok(age.secs)
}
