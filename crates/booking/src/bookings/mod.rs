//! Bookings: a client's claim on a professional's time, the payment core's
//! first [`Payable`](crate::payments::Payable). Creating (`create`),
//! cancelling (`cancel`), and what the core needs of a booking (`payable`).

pub mod cancel;
pub mod create;
pub mod error;
pub mod payable;
pub mod request;

use chrono::{DateTime, Utc};
use poem_openapi::Object;
use slotwise_db::bookings::{Booking, BookingKey};
use slotwise_db::refunds::Refund;
use slotwise_db::{AsyncPgConnection, QueryResult};
use uuid::Uuid;

pub use crate::payments::views::{PaymentView, RefundView};

/// A booking as its client and professional see it.
#[derive(Debug, Clone, Object)]
pub struct BookingView {
    pub id: Uuid,
    pub professional_id: Uuid,
    pub professional_slug: String,
    pub start_time: DateTime<Utc>,
    pub end_time: DateTime<Utc>,
    pub duration_minutes: i32,
    /// Fixed when the booking was made: `rate_per_minute * duration_minutes`.
    pub price_cents: i64,
    pub currency: String,
    /// `pending`, `confirmed`, `expired`, `cancelled`, `failed` or `refunded`.
    pub status: String,
    /// Until when an unpaid booking holds its slot.
    #[oai(skip_serializing_if_is_none)]
    pub expires_at: Option<DateTime<Utc>>,
    #[oai(skip_serializing_if_is_none)]
    pub cancelled_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    /// The Stripe PaymentIntent of a paid booking; pay it with `client_secret`.
    #[oai(skip_serializing_if_is_none)]
    pub payment: Option<PaymentView>,
    #[oai(skip_serializing_if_is_none)]
    pub refund: Option<RefundView>,
}

impl BookingView {
    pub fn key(&self) -> BookingKey {
        BookingKey {
            professional_id: self.professional_id,
            id: self.id,
        }
    }

    pub fn new(booking: Booking, professional_slug: String) -> Self {
        Self {
            id: booking.id,
            professional_id: booking.professional_id,
            professional_slug,
            start_time: booking.start_time,
            end_time: booking.end_time,
            duration_minutes: booking.duration_minutes,
            price_cents: booking.price_cents,
            currency: booking.currency,
            status: booking.status.as_str().to_owned(),
            expires_at: booking.expires_at,
            cancelled_at: booking.cancelled_at,
            created_at: booking.created_at,
            payment: PaymentView::of(
                booking.payment_intent_id,
                booking.payment_client_secret,
                booking.payment_status,
                booking.payment_error,
            ),
            refund: None,
        }
    }

    /// The view of a stored booking, with its refund (a paid one's, if any).
    pub async fn load(
        conn: &mut AsyncPgConnection,
        booking: Booking,
        professional_slug: String,
    ) -> QueryResult<Self> {
        let refund = match booking.payment_intent_id {
            Some(_) => Refund::closing_of(conn, booking.professional_id, booking.id).await?,
            None => None,
        };
        let mut view = Self::new(booking, professional_slug);
        view.refund = refund.map(Into::into);
        Ok(view)
    }
}
