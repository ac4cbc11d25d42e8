//! Paying for bookings: Stripe's word on a payment (webhook or reconciliation)
//! applied to the status machine. The request phases live in `phases`, refunds
//! and cancellation in `refunds`.

pub mod phases;
pub mod refunds;
pub mod signature;
pub mod stripe;
pub mod webhook;

use self::stripe::Intent;
use slotwise_db::bookings::{
    Booking, BookingKey, CANCELLED, CONFIRMED, EXPIRED, FAILED, PENDING, REFUNDED,
};
use slotwise_db::{AsyncPgConnection, DbError};

/// PaymentIntent statuses after which nothing more happens to it.
const FINAL: [&str; 2] = ["succeeded", "canceled"];

/// What applying Stripe's view of a PaymentIntent did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Applied {
    UnknownBooking,
    Confirmed,
    Unchanged,
    FailureRecorded,
    Released,
    /// The money must go back: a refund is now owed on the booking.
    RefundDue(BookingKey),
    /// A second intent of a booking that already has one was paid: refund it.
    StrayPaid {
        intent: String,
        amount: i64,
    },
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
            Applied::StrayPaid { .. } => "stray_intent_refund",
        }
    }
}

/// Applies what Stripe says of a PaymentIntent, in the caller's transaction.
/// Safe to repeat and to receive out of order: only forward moves happen.
pub async fn apply_intent(
    conn: &mut AsyncPgConnection,
    intent: &Intent,
    source: &str,
) -> Result<Applied, DbError> {
    // The metadata names the booking the intent was made for; only intents
    // made before it named the professional need the lookups by id.
    let id = match (intent.booking(), intent.booking_id) {
        (Some(key), _) => Some(key),
        (None, Some(booking_id)) => Booking::locate(conn, booking_id).await?,
        (None, None) => Booking::find_by_intent(conn, &intent.id)
            .await?
            .map(|b| b.key()),
    };
    let Some(id) = id else {
        return Ok(Applied::UnknownBooking);
    };
    let Some(booking) = Booking::lock(conn, id).await? else {
        return Ok(Applied::UnknownBooking);
    };
    match &booking.payment_intent_id {
        Some(attached) if *attached != intent.id => {
            // Not the booking's intent (made by a duplicate attempt): never keep its money.
            return Ok(if intent.status == "succeeded" {
                Applied::StrayPaid {
                    intent: intent.id.clone(),
                    amount: intent.amount,
                }
            } else {
                Applied::Unchanged
            });
        }
        Some(_) => {}
        None => {
            Booking::attach_intent(conn, id, &intent.id, &intent.client_secret, &intent.status)
                .await?;
        }
    }
    // Events come out of order: a `succeeded` or `canceled` intent never changes
    // again, so later news of it is stale and must not overwrite it.
    let known_final = booking
        .payment_status
        .as_deref()
        .is_some_and(|s| FINAL.contains(&s));
    if !known_final {
        Booking::record_payment(conn, id, &intent.status, intent.last_error.as_deref()).await?;
    }
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
            let expired = booking
                .expires_at
                .is_some_and(|at| at <= chrono::Utc::now());
            let to = if expired { EXPIRED } else { CANCELLED };
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
