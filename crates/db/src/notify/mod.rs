//! Notifications' rows: the outbox written with each change
//! ([`announce`]), the deliveries it fans out into ([`deliveries`]), and the
//! webhook endpoints integrators register ([`endpoints`]).

pub mod announce;
pub mod deliveries;
pub mod endpoints;

use crate::schema::outbox;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use uuid::Uuid;

/// One thing that happened, as the outbox keeps it.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = outbox)]
pub struct OutboxRow {
    pub id: Uuid,
    pub topic: String,
    pub subject_id: Uuid,
    pub owner_id: Option<Uuid>,
    pub email: Option<String>,
    pub mail: serde_json::Value,
    pub payload: serde_json::Value,
    pub created_at: DateTime<Utc>,
    pub dispatched_at: Option<DateTime<Utc>>,
}
