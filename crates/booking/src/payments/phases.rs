//! Phases 2 and 3 of a paid booking, after phase 1 stored the booking and its
//! key (`booking_created`): make (or, resuming, find) the PaymentIntent, then
//! store it together with the final answer on the key.

use super::apply_intent;
use super::stripe::{Intent, StripeFailure};
use crate::AppState;
use crate::booking_flow::{BookingView, stored};
use crate::faults::CrashPoint;
use poem::http::StatusCode;
use slotwise_db::bookings::{Booking, BookingKey, FAILED, PENDING};
use slotwise_db::idempotency::IdempotencyRecord;
use slotwise_db::professionals::{Professional, ProfessionalRef};
use slotwise_db::{AsyncPgConnection, DbError, read_committed};
use slotwise_web::ApiError;

/// Payment status of a booking whose intent creation had no clear answer (a
/// timeout): reconciliation asks Stripe whether an intent exists after all.
pub const OUTCOME_UNKNOWN: &str = "unknown";

/// What phase 3 stored, and what is left to do with Stripe after it.
struct Stored {
    status: u16,
    body: serde_json::Value,
    /// An intent that must not stay payable: not the booking's, or the booking
    /// stopped waiting for payment while it was being made.
    to_cancel: Option<String>,
}

impl AppState {
    pub async fn complete_payment(
        &self,
        scope: &str,
        key: &str,
        booking_key: BookingKey,
        payment_method: Option<&str>,
        resuming: bool,
    ) -> Result<(u16, serde_json::Value), ApiError> {
        let booking = {
            let mut conn = self.pool.get().await?;
            Booking::get(&mut conn, booking_key)
                .await?
                .ok_or_else(ApiError::internal)?
        };
        let booking_id = booking_key.id;
        let intent = if resuming {
            // The emulator ignores Idempotency-Key: look for an intent made before the crash.
            match self.stripe.find_intent(booking_id).await {
                Ok(Some(found)) => Ok(Some(found)),
                Ok(None) if booking.status != PENDING => Ok(None),
                Ok(None) => self.make_intent(&booking, payment_method).await.map(Some),
                // Stripe is down: leave the key where it is; a later retry resumes it.
                Err(e) => return Err(unreachable_stripe(&e)),
            }
        } else {
            self.make_intent(&booking, payment_method).await.map(Some)
        };
        self.crash_point(CrashPoint::AfterIntentCreated)?;
        let source = format!("idempotency:{scope}/{key}");
        let mut conn = self.pool.get().await?;
        // Row locks on the key and the booking are all phase 3 needs; SERIALIZABLE
        // would make concurrent phase 3s fail each other on shared index pages.
        let stored = read_committed!(conn, async |conn: &mut AsyncPgConnection| {
            finish(conn, scope, key, booking_key, &intent, &source).await
        })?;
        drop(conn);
        if let Some(id) = stored.to_cancel
            && let Err(e) = self.stripe.cancel_intent(&id).await
        {
            tracing::warn!(%booking_id, intent = %id, error = ?e, "could not cancel an unneeded intent; reconciliation retries");
        }
        Ok((stored.status, stored.body))
    }

    async fn make_intent(
        &self,
        booking: &Booking,
        payment_method: Option<&str>,
    ) -> Result<Intent, StripeFailure> {
        self.stripe
            .create_intent(
                booking.key(),
                booking.price_cents,
                &booking.currency,
                payment_method,
            )
            .await
    }
}

fn unreachable_stripe(e: &StripeFailure) -> ApiError {
    tracing::warn!(error = ?e, "Stripe unreachable while resuming a booking");
    ApiError::unavailable(
        "the payment provider is unreachable; retry with the same Idempotency-Key",
    )
}

/// Phase 3, in one transaction: the intent on the booking, the answer on the key.
/// If another worker finished the key first, its answer stands.
async fn finish(
    conn: &mut AsyncPgConnection,
    scope: &str,
    key: &str,
    booking_id: BookingKey,
    intent: &Result<Option<Intent>, StripeFailure>,
    source: &str,
) -> Result<Stored, DbError> {
    let record = IdempotencyRecord::lock(conn, scope, key)
        .await?
        .ok_or(DbError::NotFound)?;
    let made = intent
        .as_ref()
        .ok()
        .and_then(|i| i.as_ref())
        .map(|i| i.id.clone());
    if let (Some(status), Some(body)) = (record.response_status, record.response_body) {
        let ours_is_theirs = Booking::get(conn, booking_id)
            .await?
            .is_some_and(|b| b.payment_intent_id == made);
        let to_cancel = made.filter(|_| !ours_is_theirs);
        return Ok(Stored {
            status: u16::try_from(status).unwrap_or(500),
            body,
            to_cancel,
        });
    }
    let booking = Booking::lock(conn, booking_id)
        .await?
        .ok_or(DbError::NotFound)?;
    let mut to_cancel = None;
    let result = match intent {
        Ok(found) => {
            if let Some(intent) = found {
                let attached = Booking::attach_intent(
                    conn,
                    booking_id,
                    &intent.id,
                    &intent.client_secret,
                    &intent.status,
                )
                .await?
                .is_some();
                apply_intent(conn, intent, source).await?;
                let payable = !matches!(intent.status.as_str(), "succeeded" | "canceled");
                if payable && (!attached || booking.status != PENDING) {
                    to_cancel = Some(intent.id.clone());
                }
            }
            let booking = Booking::get(conn, booking_id)
                .await?
                .ok_or(DbError::NotFound)?;
            let slug = Professional::find(conn, &ProfessionalRef::Id(booking.professional_id))
                .await?
                .map(|p| p.slug)
                .unwrap_or_default();
            Ok(BookingView::new(booking, slug))
        }
        Err(failure) => Err(payment_failed(conn, booking_id, failure, source).await?),
    };
    let (status, body) = stored(&result);
    IdempotencyRecord::finish(conn, scope, key, i32::from(status), &body).await?;
    Ok(Stored {
        status,
        body,
        to_cancel,
    })
}

/// A paid booking whose PaymentIntent could not be made: fail it (freeing the
/// slot) and say why, as the stored answer.
async fn payment_failed(
    conn: &mut AsyncPgConnection,
    booking_id: BookingKey,
    failure: &StripeFailure,
    source: &str,
) -> Result<ApiError, DbError> {
    let (reason, payment_status, error) = match failure {
        StripeFailure::Declined(message) => (
            "card declined",
            "failed",
            ApiError::new(
                StatusCode::PAYMENT_REQUIRED,
                "payment_declined",
                "Payment declined",
                message.clone(),
            ),
        ),
        StripeFailure::Unavailable(_) | StripeFailure::Refused(_) => {
            tracing::warn!(booking_id = %booking_id.id, error = ?failure, "payment intent not created");
            (
                "payment provider unavailable",
                // A timeout may hide an intent Stripe did make: reconciliation checks.
                OUTCOME_UNKNOWN,
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
        Booking::record_payment(conn, booking_id, payment_status, Some(detail)).await?;
    }
    Ok(error)
}
