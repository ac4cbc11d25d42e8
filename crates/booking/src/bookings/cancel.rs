//! Cancelling a booking: who may, when, and what each gets back.

use super::error::BookingError;
use crate::AppState;
use crate::payments::Payable;
use chrono::{DateTime, Duration, Utc};
use slotwise_db::bookings::{Booking, BookingKey};
use slotwise_db::status::Status;
use slotwise_db::{AsyncPgConnection, DbError, serializable};

impl AppState {
    /// Cancels a booking: a pending one releases its slot and its PaymentIntent;
    /// a confirmed one is refunded as [`CancelledBy::refund_cents`] says.
    pub async fn cancel_booking(
        &self,
        booking_id: BookingKey,
        actor: uuid::Uuid,
        by: CancelledBy,
    ) -> Result<Booking, BookingError> {
        let source = format!("user:{actor}");
        let late_percent = self.config.late_cancel_refund_percent;
        let mut conn = self.pool.get().await?;
        // Decide on the status as locked now, not as read before (a payment may have just arrived).
        let outcome = serializable!(conn, async |conn: &mut AsyncPgConnection| {
            let Some(current) = Booking::lock(conn, booking_id).await? else {
                return Ok::<_, DbError>(Cancel::NotFound);
            };
            let now = Utc::now();
            if by == CancelledBy::Client && current.start_time <= now {
                return Ok(Cancel::Started);
            }
            let before = current.status;
            let Some(cancelled) = <Booking as Payable>::transition(
                conn,
                booking_id,
                &[Status::Pending, Status::Confirmed],
                Status::Cancelled,
                by.reason(),
                &source,
            )
            .await?
            else {
                return Ok(Cancel::Refused(current));
            };
            let refund = by.refund_cents(&current, now, late_percent);
            if before == Status::Confirmed && cancelled.payment_intent_id.is_some() && refund > 0 {
                Booking::request_refund(conn, booking_id, refund, by.refund_reason()).await?;
            }
            Ok(Cancel::Done { before, cancelled })
        })?;
        drop(conn);
        let (before, booking) = match outcome {
            Cancel::NotFound => return Err(BookingError::NotFound),
            Cancel::Started => return Err(BookingError::Started),
            Cancel::Refused(booking) => return Err(BookingError::NotCancellable(booking.status)),
            Cancel::Done { before, cancelled } => (before, cancelled),
        };
        match (before, &booking.payment_intent_id) {
            (Status::Pending, Some(intent)) => {
                // If the payment raced ahead, its webhook finds the booking cancelled and refunds it.
                if let Ok(intent) = self.stripe.cancel_intent(intent).await {
                    let mut conn = self.pool.get().await?;
                    Booking::record_payment(&mut conn, booking_id, &intent.status, None).await?;
                }
            }
            // Stripe may be down: the refund stays owed and the refund job makes it.
            (Status::Confirmed, Some(_)) => {
                let _ = self.settle_refund::<Booking>(booking_id).await;
            }
            _ => {}
        }
        let mut conn = self.pool.get().await?;
        Ok(Booking::get(&mut conn, booking_id)
            .await?
            .unwrap_or(booking))
    }
}

/// What cancelling found, decided on the locked booking.
enum Cancel {
    NotFound,
    /// The client asked at or after the start.
    Started,
    /// Not pending or confirmed.
    Refused(Booking),
    Done {
        before: Status,
        cancelled: Booking,
    },
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
