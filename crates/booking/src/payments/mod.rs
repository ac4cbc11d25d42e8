//! Paying for bookings: Stripe's word on a payment (webhook or reconciliation)
//! applied to the status machine. The request phases live in `phases`, refunds
//! and cancellation in `refunds`.

pub mod phases;
pub mod refunds;
pub mod signature;
pub mod stripe;
pub mod webhook;

use self::stripe::Intent;
use slotwise_db::availability::AvailabilityWindow;
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
    /// A confirmed booking was refunded in Stripe (`charge.refunded`).
    Refunded,
    Unchanged,
    /// The intent charged another amount or currency than the booking's price:
    /// never applied. A succeeded one failed the booking and owes a refund.
    Mismatch {
        field: &'static str,
        intent: String,
        refund: Option<BookingKey>,
    },
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
            Applied::Refunded => "refunded",
            Applied::Unchanged => "unchanged",
            Applied::Mismatch { .. } => "payment_mismatch",
            Applied::FailureRecorded => "failure_recorded",
            Applied::Released => "released",
            Applied::RefundDue(_) => "refund_due",
            Applied::StrayPaid { .. } => "stray_intent_refund",
        }
    }
}

/// The intent's booking, locked. The metadata names it (`booking_id` and,
/// since intents carry it, `professional_id`); an intent whose metadata finds
/// nothing is still matched by the booking's own record of its intent, so a
/// payment is never dropped for a bad or old metadata field.
async fn lock_booking_of(
    conn: &mut AsyncPgConnection,
    intent: &Intent,
) -> Result<Option<Booking>, DbError> {
    if let Some(key) = intent.booking()
        && let Some(booking) = Booking::lock(conn, key).await?
    {
        return Ok(Some(booking));
    }
    if let Some(booking_id) = intent.booking_id
        && let Some(key) = Booking::locate(conn, booking_id).await?
        && let Some(booking) = Booking::lock(conn, key).await?
    {
        return Ok(Some(booking));
    }
    match Booking::find_by_intent(conn, &intent.id).await? {
        Some(found) => Booking::lock(conn, found.key()).await,
        None => Ok(None),
    }
}

/// Which field of the intent disagrees with the booking's price, if any.
fn mismatched_field(booking: &Booking, intent: &Intent) -> Option<&'static str> {
    if intent.amount != booking.price_cents {
        Some("amount")
    } else if !intent.currency.eq_ignore_ascii_case(&booking.currency) {
        Some("currency")
    } else {
        None
    }
}

/// A succeeded payment of the wrong amount or currency: the money goes back
/// (a refund owed on the booking, made by the refund job if not at once) and
/// a booking still waiting for payment fails. `None` when nothing is owed.
async fn refund_mismatch(
    conn: &mut AsyncPgConnection,
    booking: &Booking,
    intent: &Intent,
    source: &str,
) -> Result<Option<BookingKey>, DbError> {
    let id = booking.key();
    // An amount the event did not carry is not guessed: reconciliation reads the intent.
    let owes = intent.status == "succeeded"
        && intent.amount > 0
        && booking.refund_requested_at.is_none()
        && [PENDING, EXPIRED, FAILED, CANCELLED].contains(&booking.status.as_str());
    if !owes {
        return Ok(None);
    }
    Booking::attach_intent(conn, id, &intent.id, &intent.client_secret, &intent.status).await?;
    let why = "the payment's amount or currency is not the booking's";
    Booking::record_payment(conn, id, &intent.status, Some(why)).await?;
    Booking::transition(conn, id, &[PENDING, EXPIRED], FAILED, why, source).await?;
    Booking::request_refund(conn, id, intent.amount, "payment_mismatch").await?;
    Ok(Some(id))
}

/// Applies what Stripe says of a PaymentIntent, in the caller's transaction.
/// An intent is applied only when its id, amount and currency are the ones the
/// booking recorded (or, before the booking recorded one, its price).
/// Safe to repeat and to receive out of order: only forward moves happen.
pub async fn apply_intent(
    conn: &mut AsyncPgConnection,
    intent: &Intent,
    source: &str,
) -> Result<Applied, DbError> {
    let Some(booking) = lock_booking_of(conn, intent).await? else {
        return Ok(Applied::UnknownBooking);
    };
    let id = booking.key();
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
        _ => {}
    }
    if let Some(field) = mismatched_field(&booking, intent) {
        let refund = refund_mismatch(conn, &booking, intent, source).await?;
        return Ok(Applied::Mismatch {
            field,
            intent: intent.id.clone(),
            refund,
        });
    }
    if booking.payment_intent_id.is_none() {
        Booking::attach_intent(conn, id, &intent.id, &intent.client_secret, &intent.status).await?;
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
            // Paid after the hold ran out: keep the booking if its window is still
            // there and nobody took the slot. The window's lock queues this behind
            // any booker of the window, as in booking creation.
            let (pro, start, end) = (
                booking.professional_id,
                booking.start_time,
                booking.end_time,
            );
            let why = if AvailabilityWindow::lock_containing(conn, pro, start, end)
                .await?
                .is_none()
            {
                Some((
                    "paid after the window was removed",
                    "window_removed_after_hold_expired",
                ))
            } else if Booking::slot_taken(conn, pro, start, end).await? {
                Some((
                    "paid after the slot was taken",
                    "slot_taken_after_hold_expired",
                ))
            } else {
                None
            };
            if let Some((reason, refund_reason)) = why {
                Booking::transition(conn, id, &[EXPIRED, FAILED], REFUNDED, reason, source).await?;
                Booking::request_refund(conn, id, intent.amount, refund_reason).await?;
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
