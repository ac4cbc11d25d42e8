//! Why a booking request or a cancellation is refused, in the domain's terms;
//! `api::bookings` turns each into its problem+json (status and stable code).

use slotwise_db::status::Status;
use slotwise_db::{DbError, PoolError};
use slotwise_web::FieldError;

#[derive(Debug, thiserror::Error)]
pub enum BookingError {
    #[error("the request is not valid")]
    Invalid(Vec<FieldError>),
    #[error("booking not found")]
    NotFound,
    #[error("professional not found")]
    ProfessionalNotFound,
    #[error("the requested time is not inside one of the professional's availability windows")]
    OutsideAvailability,
    #[error(
        "another booking overlaps the requested time, or the buffer the professional keeps around bookings"
    )]
    SlotTaken,
    #[error("the professional takes bookings at least {0} minutes ahead of their start")]
    TooSoon(i32),
    #[error("the price overflows")]
    PriceOutOfRange,
    #[error(
        "paid bookings need a signed-in client: send `Authorization: Bearer <token>` from /api/users/signin"
    )]
    SignInRequired,
    #[error(
        "{whose} already {held} unpaid bookings (at most {cap}); pay or cancel one, or wait until a hold expires"
    )]
    TooManyUnpaidHolds {
        whose: &'static str,
        held: i64,
        cap: i64,
    },
    #[error("a client cannot cancel a booking at or after its start; ask the professional")]
    Started,
    #[error("a {0} booking cannot be cancelled")]
    NotCancellable(Status),
    #[error(transparent)]
    Database(#[from] DbError),
    #[error(transparent)]
    Pool(#[from] PoolError),
}
