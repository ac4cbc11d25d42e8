//! Why an order is refused, in the domain's terms; `api::orders` turns each
//! into its problem+json (status and stable code).

use uuid::Uuid;

#[derive(Debug, Clone, thiserror::Error)]
pub enum OrderError {
    #[error("event not found")]
    EventNotFound,
    #[error("the event was cancelled")]
    EventCancelled,
    #[error("the event has already started")]
    EventOver,
    #[error("give `items` (general admission) or `seats` (named seats), not both")]
    Mixed,
    #[error("give `items` with a quantity of at least 1, or `seats`")]
    Empty,
    #[error("this event sells named seats: order with `seats`")]
    SeatedEvent,
    #[error("this event sells general admission: order with `items`")]
    NotSeated,
    #[error("at most {max} tickets per order (asked for {asked})")]
    MaxPerOrder { max: i32, asked: i64 },
    #[error("no such tier in this event: {0:?}")]
    UnknownTier(Vec<Uuid>),
    #[error("no such seats in this event: {}", .0.join(", "))]
    UnknownSeats(Vec<String>),
    #[error("not enough tickets left in tier {tier_id}: {available} available")]
    SoldOut { tier_id: Uuid, available: i64 },
    #[error("these seats are held or sold: {}", .0.join(", "))]
    SeatUnavailable(Vec<String>),
    #[error(
        "you already hold {held} unpaid orders (at most {cap}); pay or wait until a hold expires"
    )]
    TooManyUnpaidHolds { held: i64, cap: i64 },
}
