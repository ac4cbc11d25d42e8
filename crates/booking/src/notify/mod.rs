//! Notifications (SPEC "Notifications"): the outbox and what delivers it.
//!
//! - A change a person cares about writes an outbox row in its own
//!   transaction (`slotwise_db::notify::announce`; [`News`] names the
//!   payment core's ones), so a rollback announces nothing and a commit is
//!   never lost.
//! - `dispatch`: a job fans each new row out into deliveries: a mail to its
//!   recipient, a POST to each webhook endpoint of its owner that asked for
//!   its type, a message on the bus (NATS JetStream) when one is configured.
//! - `send`: a job sends due deliveries (claimed `FOR UPDATE SKIP LOCKED`
//!   with a lease), at least once, with exponential backoff and jitter, dead
//!   after `NOTIFY_MAX_ATTEMPTS`. The outbox row's id is the delivery key a
//!   recipient de-duplicates on: the mail's Message-ID, the webhook body's
//!   `id`, the bus message's `Nats-Msg-Id`.

pub mod bus;
pub mod calendar;
pub mod config;
pub mod dispatch;
pub mod email;
pub mod letters;
pub mod notifier;
pub mod send;
pub mod template;
pub mod views;
pub mod webhooks;
pub mod worker;

pub use config::NotifyConfig;
use slotwise_db::status::Status;

/// What the payment core announces of a payable (a booking or an order).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum News {
    Confirmed,
    Cancelled,
    Expired,
    PaymentFailed,
    /// Money went back (all or part); the amount travels with it.
    Refunded,
}

impl News {
    /// The news of moving to `to`, if a person should hear of it. A refund is
    /// announced when Stripe made it, with its amount, not when owed.
    pub fn on(to: Status) -> Option<News> {
        match to {
            Status::Confirmed => Some(News::Confirmed),
            Status::Cancelled => Some(News::Cancelled),
            Status::Expired => Some(News::Expired),
            Status::Failed => Some(News::PaymentFailed),
            Status::Pending | Status::Refunded => None,
        }
    }

    pub const fn booking_topic(self) -> &'static str {
        match self {
            News::Confirmed => "booking.confirmed",
            News::Cancelled => "booking.cancelled",
            News::Expired => "booking.expired",
            News::PaymentFailed => "booking.payment_failed",
            News::Refunded => "booking.refunded",
        }
    }

    pub const fn order_topic(self) -> &'static str {
        match self {
            News::Confirmed => "order.confirmed",
            News::Cancelled => "order.cancelled",
            News::Expired => "order.expired",
            News::PaymentFailed => "order.payment_failed",
            News::Refunded => "order.refunded",
        }
    }
}

/// Every event type a webhook endpoint may ask for.
pub const TOPICS: [&str; 17] = [
    "booking.confirmed",
    "booking.cancelled",
    "booking.expired",
    "booking.payment_failed",
    "booking.refunded",
    "order.confirmed",
    "order.cancelled",
    "order.expired",
    "order.payment_failed",
    "order.refunded",
    "ticket.gifted",
    "listing.sold",
    "event.cancelled",
    "account.verify_email",
    "account.signup_taken",
    "account.password_reset",
    "waitlist.offered",
];

/// Topics about an account itself: mailed to its address only, never sent to
/// a webhook endpoint or the bus (their mail carries a single-use link).
pub fn is_private(topic: &str) -> bool {
    // An offer names a person's place in line: theirs alone.
    topic.starts_with("account.") || topic == "waitlist.offered"
}

/// The body a webhook endpoint and the bus receive for an outbox row: the
/// same bytes on every attempt (keys sorted), `id` the delivery key.
pub fn envelope(
    id: uuid::Uuid,
    topic: &str,
    occurred_at: chrono::DateTime<chrono::Utc>,
    payload: &serde_json::Value,
) -> String {
    serde_json::json!({
        "id": id,
        "type": topic,
        "created_at": occurred_at.to_rfc3339(),
        "data": payload,
    })
    .to_string()
}
