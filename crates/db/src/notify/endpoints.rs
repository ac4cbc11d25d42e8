//! Webhook endpoints: an owner's URL, the event types it hears, its signing
//! secret, and how many deliveries in a row it failed.

use crate::schema::webhook_endpoints;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = webhook_endpoints)]
pub struct Endpoint {
    pub id: Uuid,
    pub owner_id: Uuid,
    pub url: String,
    pub event_types: Vec<String>,
    pub secret: String,
    pub description: String,
    pub consecutive_failures: i32,
    pub disabled_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

impl Endpoint {
    pub async fn insert(conn: &mut AsyncPgConnection, endpoint: &Endpoint) -> QueryResult<()> {
        diesel::insert_into(webhook_endpoints::table)
            .values(endpoint)
            .execute(conn)
            .await
            .map(drop)
    }

    /// An owner's endpoints, oldest first.
    pub async fn of_owner(conn: &mut AsyncPgConnection, owner: Uuid) -> QueryResult<Vec<Endpoint>> {
        webhook_endpoints::table
            .filter(webhook_endpoints::owner_id.eq(owner))
            .order(webhook_endpoints::created_at)
            .select(Endpoint::as_select())
            .load(conn)
            .await
    }

    /// The enabled endpoints of these owners (the audience of a batch of events).
    pub async fn enabled_of(
        conn: &mut AsyncPgConnection,
        owners: &[Uuid],
    ) -> QueryResult<Vec<Endpoint>> {
        webhook_endpoints::table
            .filter(webhook_endpoints::owner_id.eq_any(owners))
            .filter(webhook_endpoints::disabled_at.is_null())
            .select(Endpoint::as_select())
            .load(conn)
            .await
    }

    /// The owner's endpoint with this id; `None` for anyone else's.
    pub async fn find_owned(
        conn: &mut AsyncPgConnection,
        id: Uuid,
        owner: Uuid,
    ) -> QueryResult<Option<Endpoint>> {
        webhook_endpoints::table
            .filter(webhook_endpoints::id.eq(id))
            .filter(webhook_endpoints::owner_id.eq(owner))
            .select(Endpoint::as_select())
            .first(conn)
            .await
            .optional()
    }

    /// Deletes the owner's endpoint (and its delivery history); false if none.
    pub async fn delete_owned(
        conn: &mut AsyncPgConnection,
        id: Uuid,
        owner: Uuid,
    ) -> QueryResult<bool> {
        let n = diesel::delete(
            webhook_endpoints::table
                .filter(webhook_endpoints::id.eq(id))
                .filter(webhook_endpoints::owner_id.eq(owner)),
        )
        .execute(conn)
        .await?;
        Ok(n > 0)
    }

    /// The owner's endpoint enabled again, its failure count cleared; `None`
    /// for anyone else's.
    pub async fn enable_owned(
        conn: &mut AsyncPgConnection,
        id: Uuid,
        owner: Uuid,
    ) -> QueryResult<Option<Endpoint>> {
        diesel::update(
            webhook_endpoints::table
                .filter(webhook_endpoints::id.eq(id))
                .filter(webhook_endpoints::owner_id.eq(owner)),
        )
        .set((
            webhook_endpoints::disabled_at.eq(None::<DateTime<Utc>>),
            webhook_endpoints::consecutive_failures.eq(0),
        ))
        .returning(Endpoint::as_returning())
        .get_result(conn)
        .await
        .optional()
    }

    /// A delivery reached it: its failure count starts again.
    pub async fn record_success(conn: &mut AsyncPgConnection, id: Uuid) -> QueryResult<()> {
        diesel::update(
            webhook_endpoints::table
                .find(id)
                .filter(webhook_endpoints::consecutive_failures.ne(0)),
        )
        .set(webhook_endpoints::consecutive_failures.eq(0))
        .execute(conn)
        .await
        .map(drop)
    }

    /// A delivery failed; at `disable_after` failures in a row the endpoint is
    /// disabled. True when this call disabled it.
    pub async fn record_failure(
        conn: &mut AsyncPgConnection,
        id: Uuid,
        disable_after: i32,
    ) -> QueryResult<bool> {
        let failures: Option<i32> = diesel::update(webhook_endpoints::table.find(id))
            .set(
                webhook_endpoints::consecutive_failures
                    .eq(webhook_endpoints::consecutive_failures + 1),
            )
            .returning(webhook_endpoints::consecutive_failures)
            .get_result(conn)
            .await
            .optional()?;
        if failures.is_none_or(|n| n < disable_after) {
            return Ok(false);
        }
        let disabled = diesel::update(
            webhook_endpoints::table
                .find(id)
                .filter(webhook_endpoints::disabled_at.is_null()),
        )
        .set(webhook_endpoints::disabled_at.eq(diesel::dsl::now))
        .execute(conn)
        .await?;
        Ok(disabled > 0)
    }
}
