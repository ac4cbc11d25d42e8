//! Paying for bookings: the PaymentIntent phases, Stripe's word on a payment
//! (webhook or reconciliation), refunds and cancellation.

pub mod signature;
pub mod stripe;
pub mod webhook;

use self::stripe::{Intent, StripeFailure};
use crate::AppState;
use crate::booking_flow::{BookingView, stored};
use crate::faults::CrashPoint;
use chrono::{Duration, Utc};
use poem::http::StatusCode;
use slotwise_db::bookings::{Booking, CANCELLED, CONFIRMED, EXPIRED, FAILED, PENDING, REFUNDED};
use slotwise_db::idempotency::IdempotencyRecord;
use slotwise_db::professionals::{Professional, ProfessionalRef};
use slotwise_db::{AsyncPgConnection, DbError, serializable};
use slotwise_web::ApiError;
use uuid::Uuid;

/// What applying Stripe's view of a PaymentIntent did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Applied {
    UnknownBooking,
    Confirmed,
    Unchanged,
    FailureRecorded,
    Released,
    /// The money must go back: a refund is now owed.
    RefundDue(Uuid),
}

impl Applied {
    pub fn label(&self) -> &'static str {
        match self {
            Applied::UnknownBooking => "unknown_booking",
            Applied::Confirmed => "confirmed",
            Applied::Unchanged => "unchanged",
            Applied::FailureRecorded => "failure_recorded",
            Applied::Released => "released",
            Applied::RefundDue(_) => "refund_due",
        }
    }
}

async fn slug_of(conn: &mut AsyncPgConnection, professional_id: Uuid) -> Result<String, DbError> {
    Ok(
        Professional::find(conn, &ProfessionalRef::Id(professional_id))
            .await?
            .map(|p| p.slug)
            .unwrap_or_default(),
    )
}

/// Applies what Stripe says of a PaymentIntent, in the caller's transaction.
/// Safe to repeat and to receive out of order: only forward moves happen.
pub async fn apply_intent(
    conn: &mut AsyncPgConnection,
    intent: &Intent,
    source: &str,
) -> Result<Applied, DbError> {
    let booking = match Booking::find_by_intent(conn, &intent.id).await? {
        Some(b) => Some(b),
        None => match intent.booking_id {
            Some(id) => Booking::find_plain(conn, id).await?,
            None => None,
        },
    };
    let Some(booking) = booking else {
        return Ok(Applied::UnknownBooking);
    };
    if booking.payment_intent_id.is_none() {
        Booking::attach_intent(
            conn,
            booking.id,
            &intent.id,
            &intent.client_secret,
            &intent.status,
        )
        .await?;
    }
    Booking::record_payment(
        conn,
        booking.id,
        &intent.status,
        intent.last_error.as_deref(),
    )
    .await?;
    let id = booking.id;
    match (intent.status.as_str(), booking.status.as_str()) {
        ("succeeded", PENDING) => {
            Booking::transition(conn, id, &[PENDING], CONFIRMED, "payment succeeded", source)
                .await?;
            Ok(Applied::Confirmed)
        }
        ("succeeded", EXPIRED | FAILED) => {
            // Paid after the hold ran out: keep the booking if nobody took the slot.
            if Booking::slot_taken(
                conn,
                booking.professional_id,
                booking.start_time,
                booking.end_time,
            )
            .await?
            {
                Booking::transition(
                    conn,
                    id,
                    &[EXPIRED, FAILED],
                    REFUNDED,
                    "paid after the slot was taken",
                    source,
                )
                .await?;
                Booking::request_refund(conn, id, intent.amount, "slot_taken_after_hold_expired")
                    .await?;
                Ok(Applied::RefundDue(id))
            } else {
                Booking::transition(
                    conn,
                    id,
                    &[EXPIRED, FAILED],
                    CONFIRMED,
                    "paid late; slot still free",
                    source,
                )
                .await?;
                Ok(Applied::Confirmed)
            }
        }
        ("succeeded", CANCELLED) if booking.refund_requested_at.is_none() => {
            Booking::request_refund(conn, id, intent.amount, "cancelled_before_payment_arrived")
                .await?;
            Ok(Applied::RefundDue(id))
        }
        ("canceled", PENDING) => {
            let to = if booking.expires_at.is_some_and(|at| at <= Utc::now()) {
                EXPIRED
            } else {
                CANCELLED
            };
            Booking::transition(conn, id, &[PENDING], to, "payment intent canceled", source)
                .await?;
            Ok(Applied::Released)
        }
        ("requires_payment_method", _) if intent.last_error.is_some() => {
            Ok(Applied::FailureRecorded)
        }
        _ => Ok(Applied::Unchanged),
    }
}

impl AppState {
    /// Phases 2 and 3 of a paid booking: make (or, when resuming, find) its
    /// PaymentIntent, then store it with the final answer on the key.
    pub async fn complete_payment(
        &self,
        scope: &str,
        key: &str,
        booking_id: Uuid,
        payment_method: Option<&str>,
        resuming: bool,
    ) -> Result<(u16, serde_json::Value), ApiError> {
        let booking = {
            let mut conn = self.pool.get().await?;
            Booking::find_plain(&mut conn, booking_id)
                .await?
                .ok_or_else(ApiError::internal)?
        };
        let found = if resuming {
            self.stripe.find_intent(booking_id).await
        } else {
            Ok(None)
        };
        // `Ok(None)`: the booking stopped waiting for payment (its hold ran out) before
        // an intent was made; the answer is the booking as it is.
        let intent = match found {
            Ok(Some(intent)) => Ok(Some(intent)),
            Ok(None) if booking.status != PENDING => Ok(None),
            Ok(None) => self
                .stripe
                .create_intent(
                    booking_id,
                    booking.price_cents,
                    &booking.currency,
                    payment_method,
                )
                .await
                .map(Some),
            Err(e) => Err(e),
        };
        self.crash_point(CrashPoint::AfterIntentCreated)?;
        let source = format!("idempotency:{scope}/{key}");
        let mut conn = self.pool.get().await?;
        let answer = serializable!(conn, async |conn: &mut AsyncPgConnection| {
            let result = match &intent {
                Ok(found) => {
                    if let Some(intent) = found {
                        Booking::attach_intent(
                            conn,
                            booking_id,
                            &intent.id,
                            &intent.client_secret,
                            &intent.status,
                        )
                        .await?;
                        apply_intent(conn, intent, &source).await?;
                    }
                    let booking = Booking::find_plain(conn, booking_id)
                        .await?
                        .ok_or(DbError::NotFound)?;
                    let slug = slug_of(conn, booking.professional_id).await?;
                    Ok(BookingView::new(booking, slug))
                }
                Err(failure) => Err(payment_failed(conn, booking_id, failure, &source).await?),
            };
            let (status, body) = stored(&result);
            IdempotencyRecord::finish(conn, scope, key, i32::from(status), &body).await?;
            Ok::<_, DbError>((status, body))
        })?;
        // Found for a booking that is no longer waiting: never leave it payable.
        if let Ok(Some(intent)) = &intent
            && booking.status != PENDING
            && intent.status != "succeeded"
            && intent.status != "canceled"
        {
            let _ = self.stripe.cancel_intent(&intent.id).await;
        }
        Ok(answer)
    }

    /// Makes an owed refund at Stripe and records it. Safe to repeat.
    pub async fn settle_refund(&self, booking_id: Uuid) -> Result<(), ApiError> {
        let booking = {
            let mut conn = self.pool.get().await?;
            Booking::find_plain(&mut conn, booking_id)
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
        let refund = self.stripe.refund(booking_id, intent, amount).await.map_err(|e| {
            tracing::warn!(%booking_id, error = ?e, "refund not made yet; the refund job retries");
            ApiError::unavailable("the refund could not be made yet; it will be retried")
        })?;
        let mut conn = self.pool.get().await?;
        let reason = booking
            .refund_reason
            .as_deref()
            .unwrap_or("requested_by_customer");
        Booking::record_refund(&mut conn, booking_id, &refund.id, refund.amount, reason).await?;
        Ok(())
    }

    /// Cancels a booking: a pending one releases its slot and its PaymentIntent;
    /// a confirmed one is refunded (in full at least 24 h before start, else per policy).
    pub async fn cancel_booking(
        &self,
        booking: &Booking,
        actor: Uuid,
    ) -> Result<Booking, ApiError> {
        let source = format!("user:{actor}");
        let now = Utc::now();
        let refund = if now + Duration::hours(24) <= booking.start_time {
            booking.price_cents
        } else {
            booking.price_cents * self.config.late_cancel_refund_percent / 100
        };
        let id = booking.id;
        let mut conn = self.pool.get().await?;
        let cancelled = serializable!(conn, async |conn: &mut AsyncPgConnection| {
            let moved = Booking::transition(
                conn,
                id,
                &[PENDING, CONFIRMED],
                CANCELLED,
                "cancelled by user",
                &source,
            )
            .await?;
            if let Some(b) = &moved
                && booking.status == CONFIRMED
                && b.payment_intent_id.is_some()
                && refund > 0
            {
                Booking::request_refund(conn, id, refund, "requested_by_customer").await?;
            }
            Ok::<_, DbError>(moved)
        })?;
        drop(conn);
        let Some(cancelled) = cancelled else {
            return Err(ApiError::conflict(
                "booking_not_cancellable",
                "Booking not cancellable",
                format!("a {} booking cannot be cancelled", booking.status),
            ));
        };
        match (booking.status.as_str(), &cancelled.payment_intent_id) {
            (PENDING, Some(intent)) => {
                // If the payment raced ahead, its webhook finds the booking cancelled and refunds it.
                if let Ok(intent) = self.stripe.cancel_intent(intent).await {
                    let mut conn = self.pool.get().await?;
                    Booking::record_payment(&mut conn, id, &intent.status, None).await?;
                }
            }
            (CONFIRMED, Some(_)) if refund > 0 => {
                // Stripe may be down: the refund stays owed and the refund job makes it.
                let _ = self.settle_refund(id).await;
            }
            _ => {}
        }
        let mut conn = self.pool.get().await?;
        Ok(Booking::find_plain(&mut conn, id)
            .await?
            .unwrap_or(cancelled))
    }
}

/// A paid booking whose PaymentIntent could not be made: fail it (freeing the
/// slot) and say why, as the stored answer.
async fn payment_failed(
    conn: &mut AsyncPgConnection,
    booking_id: Uuid,
    failure: &StripeFailure,
    source: &str,
) -> Result<ApiError, DbError> {
    let (reason, error) = match failure {
        StripeFailure::Declined(message) => (
            "card declined",
            ApiError::new(
                StatusCode::PAYMENT_REQUIRED,
                "payment_declined",
                "Payment declined",
                message.clone(),
            ),
        ),
        StripeFailure::Unavailable(_) | StripeFailure::Refused(_) => {
            tracing::warn!(%booking_id, error = ?failure, "payment intent not created");
            (
                "payment provider unavailable",
                ApiError::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "payment_provider_unavailable",
                    "Payment provider unavailable",
                    "the payment could not be set up; the slot was released, book again with a new key",
                ),
            )
        }
    };
    if Booking::transition(conn, booking_id, &[PENDING], FAILED, reason, source)
        .await?
        .is_some()
    {
        let detail = match failure {
            StripeFailure::Declined(m)
            | StripeFailure::Unavailable(m)
            | StripeFailure::Refused(m) => m.as_str(),
        };
        Booking::record_payment(conn, booking_id, "failed", Some(detail)).await?;
    }
    Ok(error)
}
