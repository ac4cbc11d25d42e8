//! Money going back: owed refunds made at Stripe exactly once, and cancellation.

use crate::AppState;
use crate::faults::CrashPoint;
use chrono::{DateTime, Duration, Utc};
use slotwise_db::bookings::{Booking, BookingKey, CANCELLED, CONFIRMED, PENDING};
use slotwise_db::{AsyncPgConnection, DbError, serializable};
use slotwise_web::ApiError;

impl AppState {
    /// Makes an owed refund at Stripe and records it. Safe to repeat: Stripe's
    /// refunds of the intent are checked before a new one is made.
    pub async fn settle_refund(&self, booking_key: BookingKey) -> Result<(), ApiError> {
        let booking_id = booking_key.id;
        let booking = {
            let mut conn = self.pool.get().await?;
            Booking::get(&mut conn, booking_key)
                .await?
                .ok_or_else(|| ApiError::not_found("booking"))?
        };
        let (Some(intent), None, Some(_)) = (
            &booking.payment_intent_id,
            &booking.refund_id,
            booking.refund_requested_at,
        ) else {
            return Ok(());
        };
        self.crash_point(CrashPoint::BeforeRefund)?;
        let amount = booking.refund_amount_cents.unwrap_or(booking.price_cents);
        let key = format!("booking-refund-{booking_id}");
        let refund = self.stripe.refund(&key, intent, amount).await.map_err(|e| {
            tracing::warn!(%booking_id, error = ?e, "refund not made yet; the refund job retries");
            ApiError::unavailable("the refund could not be made yet; it will be retried")
        })?;
        let mut conn = self.pool.get().await?;
        let reason = booking
            .refund_reason
            .as_deref()
            .unwrap_or("requested_by_customer");
        if Booking::record_refund(&mut conn, booking_key, &refund.id, refund.amount, reason).await?
        {
            crate::count_outcome("refunded");
        }
        Ok(())
    }

    /// What follows applying an intent, after its transaction committed:
    /// counting, and the Stripe calls (a refund owed is recorded already; if
    /// Stripe is down now, the refund job makes it).
    pub async fn after_applied(&self, applied: &super::Applied) {
        match applied {
            super::Applied::Confirmed => crate::count_outcome("confirmed"),
            super::Applied::RefundDue(booking_id) => {
                let _ = self.settle_refund(*booking_id).await;
            }
            super::Applied::Mismatch {
                field,
                intent,
                refund,
            } => {
                count_mismatch(field, intent);
                if let Some(booking_id) = refund {
                    let _ = self.settle_refund(*booking_id).await;
                }
            }
            super::Applied::StrayPaid { intent, amount } => {
                count_mismatch("intent", intent);
                self.refund_stray(intent, *amount).await
            }
            _ => {}
        }
    }

    /// Refunds a second, stray intent of a booking that someone paid anyway.
    pub async fn refund_stray(&self, intent: &str, amount: i64) {
        let key = format!("stray-intent-refund-{intent}");
        match self.stripe.refund(&key, intent, amount).await {
            Ok(refund) => {
                tracing::warn!(%intent, refund = %refund.id, "refunded a stray paid intent")
            }
            Err(e) => {
                tracing::error!(%intent, error = ?e, "could not refund a stray paid intent; reconciliation retries")
            }
        }
    }

    /// Cancels a booking: a pending one releases its slot and its PaymentIntent;
    /// a confirmed one is refunded as [`CancelledBy::refund_cents`] says.
    pub async fn cancel_booking(
        &self,
        booking_id: BookingKey,
        actor: uuid::Uuid,
        by: CancelledBy,
    ) -> Result<Booking, ApiError> {
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
            let before = current.status.clone();
            let Some(cancelled) = Booking::transition(
                conn,
                booking_id,
                &[PENDING, CONFIRMED],
                CANCELLED,
                by.reason(),
                &source,
            )
            .await?
            else {
                return Ok(Cancel::Refused(current));
            };
            let refund = by.refund_cents(&current, now, late_percent);
            if before == CONFIRMED && cancelled.payment_intent_id.is_some() && refund > 0 {
                Booking::request_refund(conn, booking_id, refund, by.refund_reason()).await?;
            }
            Ok(Cancel::Done { before, cancelled })
        })?;
        drop(conn);
        let (before, booking) = match outcome {
            Cancel::NotFound => return Err(ApiError::not_found("booking")),
            Cancel::Started => {
                return Err(ApiError::conflict(
                    "booking_started",
                    "Booking already started",
                    "a client cannot cancel a booking at or after its start; ask the professional",
                ));
            }
            Cancel::Refused(booking) => {
                return Err(ApiError::conflict(
                    "booking_not_cancellable",
                    "Booking not cancellable",
                    format!("a {} booking cannot be cancelled", booking.status),
                ));
            }
            Cancel::Done { before, cancelled } => (before, cancelled),
        };
        match (before.as_str(), &booking.payment_intent_id) {
            (PENDING, Some(intent)) => {
                // If the payment raced ahead, its webhook finds the booking cancelled and refunds it.
                if let Ok(intent) = self.stripe.cancel_intent(intent).await {
                    let mut conn = self.pool.get().await?;
                    Booking::record_payment(&mut conn, booking_id, &intent.status, None).await?;
                }
            }
            // Stripe may be down: the refund stays owed and the refund job makes it.
            (CONFIRMED, Some(_)) => {
                let _ = self.settle_refund(booking_id).await;
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
        before: String,
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

/// Logs and counts a paid intent that disagreed with its booking (never applied).
fn count_mismatch(field: &'static str, intent: &str) {
    static MISMATCHES: slotwise_web::metrics::Metric = slotwise_web::metrics::Metric::new(
        "payment_mismatches_total",
        "PaymentIntents (webhook or reconciliation) whose id, amount or currency disagreed with their booking; never applied.",
    );
    tracing::warn!(field, %intent, "a PaymentIntent disagreed with its booking; not applied");
    MISMATCHES.inc(&[("field", field)]);
}
