//! Cancelling a booking: who may, when, and what each gets back.

use super::error::BookingError;
use crate::AppState;
use crate::payments::cancel::cancel;
use chrono::{DateTime, Duration, Utc};
use slotwise_db::bookings::{Booking, BookingKey};
use slotwise_db::{AsyncPgConnection, DbError, serializable};

/// Cancels a booking the one way every payable is cancelled
/// (`payments::cancel`): a pending one releases its slot and its
/// PaymentIntent; a confirmed one is refunded as [`CancelledBy::refund_cents`] says.
pub async fn cancel_booking(
    state: &AppState,
    booking_id: BookingKey,
    actor: uuid::Uuid,
    by: CancelledBy,
) -> Result<Booking, BookingError> {
    let source = format!("user:{actor}");
    let late_percent = state.config.late_cancel_refund_percent;
    let mut conn = state.pool.get().await?;
    // Decide on the status as locked now, not as read before (a payment may have just arrived).
    let outcome = serializable!(conn, async |conn: &mut AsyncPgConnection| {
        let Some(current) = Booking::lock(conn, booking_id).await? else {
            return Ok::<_, DbError>(Err(BookingError::NotFound));
        };
        let now = Utc::now();
        if by == CancelledBy::Client && current.start_time <= now {
            return Ok(Err(BookingError::Started));
        }
        let share = by.refund_cents(&current, now, late_percent);
        let (why, refund_reason) = (by.reason(), by.refund_reason());
        Ok(cancel(conn, &current, share, why, refund_reason, &source)
            .await?
            .ok_or(BookingError::NotCancellable(current.status)))
    })?;
    drop(conn);
    let cancelled = outcome?;
    // If the payment raced ahead, its webhook finds the booking cancelled and refunds it.
    crate::payments::cancel::after_cancel(state, &cancelled).await;
    let mut conn = state.pool.get().await?;
    Ok(Booking::get(&mut conn, booking_id)
        .await?
        .unwrap_or(cancelled.payable))
}

/// Who cancels a booking, which decides what is refunded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CancelledBy {
    /// The client who booked: not after the start; in full 24 h or more
    /// before it, else `LATE_CANCEL_REFUND_PERCENT`.
    Client,
    /// The professional's owner: always in full, even after the start.
    Professional,
    /// An admin: always in full.
    Admin,
}

impl CancelledBy {
    pub fn refund_cents(self, booking: &Booking, now: DateTime<Utc>, late_percent: i64) -> i64 {
        match self {
            CancelledBy::Client if now + Duration::hours(24) > booking.start_time => {
                booking.price_cents * late_percent / 100
            }
            _ => booking.price_cents,
        }
    }

    fn reason(self) -> &'static str {
        match self {
            CancelledBy::Client => "cancelled by client",
            CancelledBy::Professional => "cancelled by professional",
            CancelledBy::Admin => "cancelled by admin",
        }
    }

    fn refund_reason(self) -> &'static str {
        match self {
            CancelledBy::Client => "requested_by_customer",
            CancelledBy::Professional => "cancelled_by_professional",
            CancelledBy::Admin => "cancelled_by_admin",
        }
    }
}
