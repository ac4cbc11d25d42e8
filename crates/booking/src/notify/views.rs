//! What the notification endpoints answer.

use chrono::{DateTime, Utc};
use poem_openapi::Object;
use slotwise_db::notify::deliveries::Delivery;
use slotwise_db::notify::endpoints::Endpoint;
use uuid::Uuid;

/// A webhook endpoint.
#[derive(Debug, Object)]
pub struct EndpointView {
    pub id: Uuid,
    pub url: String,
    /// Event types it receives (`*`: all of them).
    pub event_types: Vec<String>,
    pub description: String,
    /// `enabled`, or `disabled` after repeated failed deliveries (re-enable it with `POST .../enable`).
    pub status: String,
    /// Deliveries failed in a row since the last success.
    pub consecutive_failures: i32,
    pub disabled_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    /// The signing secret, answered only when the endpoint is made: keep it.
    #[oai(skip_serializing_if_is_none)]
    pub secret: Option<String>,
}

impl EndpointView {
    pub fn new(endpoint: Endpoint, show_secret: bool) -> Self {
        EndpointView {
            id: endpoint.id,
            status: if endpoint.disabled_at.is_some() {
                "disabled"
            } else {
                "enabled"
            }
            .to_owned(),
            url: endpoint.url,
            event_types: endpoint.event_types,
            description: endpoint.description,
            consecutive_failures: endpoint.consecutive_failures,
            disabled_at: endpoint.disabled_at,
            created_at: endpoint.created_at,
            secret: show_secret.then_some(endpoint.secret),
        }
    }
}

/// One delivery of one event to one target.
#[derive(Debug, Object)]
pub struct DeliveryView {
    pub id: Uuid,
    /// The event's id: the `id` of the body delivered, the same on every attempt.
    pub event_id: Uuid,
    #[oai(skip_serializing_if_is_none)]
    pub event_type: Option<String>,
    /// `email`, `webhook` or `nats`.
    pub channel: String,
    /// `pending` (to be tried at `next_attempt_at`), `sent` or `dead` (gave up).
    pub status: String,
    pub attempts: i32,
    /// The HTTP status of the last attempt's answer, if one came.
    pub last_status_code: Option<i32>,
    pub last_error: Option<String>,
    pub next_attempt_at: DateTime<Utc>,
    pub created_at: DateTime<Utc>,
    pub sent_at: Option<DateTime<Utc>>,
    /// For an admin: the address, endpoint id or subject.
    #[oai(skip_serializing_if_is_none)]
    pub target: Option<String>,
}

impl DeliveryView {
    pub fn new(d: Delivery, event_type: Option<String>, show_target: bool) -> Self {
        DeliveryView {
            id: d.id,
            event_id: d.outbox_id,
            event_type,
            channel: d.channel,
            status: d.status,
            attempts: d.attempts,
            last_status_code: d.last_status_code,
            last_error: d.last_error,
            next_attempt_at: d.next_attempt_at,
            created_at: d.created_at,
            sent_at: d.sent_at,
            target: show_target.then_some(d.target),
        }
    }
}

#[derive(Debug, Object)]
pub struct EndpointList {
    pub items: Vec<EndpointView>,
}

#[derive(Debug, Object)]
pub struct DeliveryPage {
    /// Newest first.
    pub items: Vec<DeliveryView>,
    /// Pass as `cursor` for the next page; absent on the last.
    pub next_cursor: Option<String>,
}
