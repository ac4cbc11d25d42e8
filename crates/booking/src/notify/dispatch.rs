//! The fan-out job: each new outbox row becomes its deliveries, in one
//! transaction with marking the row dispatched (rows claimed `FOR UPDATE SKIP
//! LOCKED`, so instances split the work; a delivery made twice is refused by
//! its unique key).

use super::TOPICS;
use crate::AppState;
use crate::failure::Failure;
use slotwise_db::notify::deliveries::{self, Delivery, EMAIL, NATS, Undispatched, WEBHOOK};
use slotwise_db::notify::endpoints::Endpoint;
use slotwise_db::{AsyncPgConnection, DbError, read_committed};
use std::collections::BTreeSet;
use uuid::Uuid;

pub(crate) const BATCH: i64 = 200;

/// Fans out up to one batch of outbox rows; how many.
pub async fn dispatch_once(state: &AppState) -> Result<usize, Failure> {
    let mut conn = state.pool.get().await?;
    let notifier = &state.notifier;
    let count = read_committed!(conn, async |conn: &mut AsyncPgConnection| {
        let rows = deliveries::claim_undispatched(conn, BATCH).await?;
        if rows.is_empty() {
            return Ok::<_, DbError>(0);
        }
        let owners: Vec<Uuid> = (rows.iter().filter_map(|r| r.owner_id))
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        let endpoints = if owners.is_empty() {
            Vec::new()
        } else {
            Endpoint::enabled_of(conn, &owners).await?
        };
        let mut new = Vec::new();
        for row in &rows {
            new.extend(targets(row, &endpoints, notifier));
        }
        if !new.is_empty() {
            deliveries::insert(conn, &new).await?;
        }
        let ids: Vec<Uuid> = rows.iter().map(|r| r.id).collect();
        deliveries::mark_dispatched(conn, &ids).await?;
        Ok(rows.len())
    })?;
    Ok(count)
}

/// The deliveries one outbox row makes.
fn targets(
    row: &Undispatched,
    endpoints: &[Endpoint],
    notifier: &super::notifier::Notifier,
) -> Vec<Delivery> {
    let mut out = Vec::new();
    if notifier.mailer.is_some()
        && let Some(email) = &row.email
        && TOPICS.contains(&row.topic.as_str())
    {
        out.push(Delivery::new(row.id, EMAIL, email.to_lowercase(), None));
    }
    let heard_by = (endpoints.iter())
        .filter(|_| !super::is_private(&row.topic))
        .filter(|e| Some(e.owner_id) == row.owner_id)
        .filter(|e| e.event_types.iter().any(|t| t == &row.topic || t == "*"));
    for endpoint in heard_by {
        out.push(Delivery::new(
            row.id,
            WEBHOOK,
            endpoint.id.to_string(),
            Some(endpoint.id),
        ));
    }
    if super::is_private(&row.topic) {
        return out;
    }
    if let Some(bus) = &notifier.bus {
        out.push(Delivery::new(row.id, NATS, bus.subject(&row.topic), None));
    }
    out
}
