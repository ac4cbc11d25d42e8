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
    #[error("{}", off_sale_words(*.tier_id, .off_sale))]
    NotOnSale {
        tier_id: Uuid,
        off_sale: slotwise_db::events::OffSale,
    },
    #[error("not enough tickets left in tier {tier_id}: {available} available")]
    SoldOut { tier_id: Uuid, available: i64 },
    #[error("these seats are held or sold: {}", .0.join(", "))]
    SeatUnavailable(Vec<String>),
    #[error(
        "you already hold {held} unpaid orders (at most {cap}); pay or wait until a hold expires"
    )]
    TooManyUnpaidHolds { held: i64, cap: i64 },
    #[error("{0}")]
    Voucher(#[from] super::voucher::VoucherError),
}

/// Why a listing or a resale is refused, in the domain's terms; `api::listings`
/// turns each into its problem+json.
#[derive(Debug, thiserror::Error)]
pub enum ResaleError {
    #[error("listing not found")]
    ListingNotFound,
    #[error("event not found")]
    EventNotFound,
    #[error("you cannot buy your own listing")]
    OwnListing,
    #[error("the listing was sold or withdrawn")]
    Unavailable,
    #[error("this event's tickets cannot be resold (any more)")]
    NotAllowed,
    #[error("a buyer is paying for this listing; try again once the hold ends")]
    Locked,
    #[error("withdraw the ticket's listing first")]
    TicketListed,
    #[error("price_cents must be between 1 and {0}")]
    PriceOutOfRange(i64),
    #[error("{}", over_cap(*.cap, *.percent))]
    OverCap { cap: i64, percent: Option<i32> },
    #[error("the listing changed since version {0}; read it again")]
    StaleVersion(i64),
    #[error(transparent)]
    Custody(#[from] crate::custody::CustodyError),
    #[error(transparent)]
    Order(#[from] OrderError),
    #[error(transparent)]
    Failure(#[from] crate::failure::Failure),
}

fn over_cap(cap: i64, percent: Option<i32>) -> String {
    match percent {
        Some(percent) => format!("at most {percent}% of the face value: {cap} cents"),
        None => format!("at most {cap} cents for this ticket"),
    }
}

crate::failure_sources!(ResaleError);

fn off_sale_words(tier_id: Uuid, off_sale: &slotwise_db::events::OffSale) -> String {
    use slotwise_db::events::OffSale;
    match off_sale {
        OffSale::Opens(at) => format!(
            "tier {tier_id} is not on sale yet: it opens at {}",
            at.to_rfc3339()
        ),
        OffSale::Closed(at) => format!(
            "tier {tier_id} is no longer on sale: sales ended at {}",
            at.to_rfc3339()
        ),
    }
}
