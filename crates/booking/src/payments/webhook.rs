//! `POST /webhooks/stripe`: verify, store each event once by id, and apply it
//! in the same transaction.

use super::signature::{self, SignatureError};
use super::stripe::Intent;
use super::{Applied, apply_intent};
use crate::AppState;
use chrono::Utc;
use serde::Deserialize;
use slotwise_db::bookings::{Booking, CONFIRMED, REFUNDED};
use slotwise_db::payments::StripeEvent;
use slotwise_db::{AsyncPgConnection, DbError, serializable};
use slotwise_web::ApiError;
use uuid::Uuid;

#[derive(Debug, Deserialize)]
struct Event {
    id: String,
    #[serde(rename = "type")]
    kind: String,
    data: EventData,
}

#[derive(Debug, Deserialize)]
struct EventData {
    object: serde_json::Value,
}

/// How a webhook delivery was handled.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Delivery {
    Applied(String),
    Duplicate,
}

fn text(value: &serde_json::Value, field: &str) -> Option<String> {
    value.get(field).and_then(|v| v.as_str()).map(str::to_owned)
}

/// The PaymentIntent inside a `payment_intent.*` event.
fn intent_of(object: &serde_json::Value) -> Option<Intent> {
    Some(Intent {
        id: text(object, "id")?,
        client_secret: text(object, "client_secret").unwrap_or_default(),
        status: text(object, "status")?,
        // Absent, they match no booking: the event is stored as a mismatch, not applied.
        // (The emulator writes an amount changed after creation as a string.)
        amount: object
            .get("amount")
            .and_then(|v| v.as_i64().or_else(|| v.as_str()?.parse().ok()))
            .unwrap_or(-1),
        currency: text(object, "currency").unwrap_or_default(),
        booking_id: object
            .get("metadata")
            .and_then(|m| text(m, "booking_id"))
            .and_then(|id| Uuid::parse_str(&id).ok()),
        professional_id: object
            .get("metadata")
            .and_then(|m| text(m, "professional_id"))
            .and_then(|id| Uuid::parse_str(&id).ok()),
        last_error: object
            .get("last_payment_error")
            .and_then(|e| text(e, "message")),
    })
}

fn bad_event(detail: &str) -> ApiError {
    ApiError::bad_request("invalid_webhook", detail.to_owned())
}

/// `charge.refunded`: record the refund; a confirmed booking becomes refunded.
async fn apply_refund(
    conn: &mut AsyncPgConnection,
    charge: &serde_json::Value,
    source: &str,
) -> Result<Applied, DbError> {
    let Some(intent) = text(charge, "payment_intent") else {
        return Ok(Applied::UnknownBooking);
    };
    let Some(booking) = Booking::find_by_intent(conn, &intent).await? else {
        return Ok(Applied::UnknownBooking);
    };
    let amount = charge
        .get("amount_refunded")
        .and_then(|v| v.as_i64())
        .unwrap_or(booking.price_cents);
    let refund_id = charge
        .pointer("/refunds/data/0/id")
        .and_then(|v| v.as_str())
        .map(str::to_owned)
        .unwrap_or_else(|| format!("refund_of_{}", text(charge, "id").unwrap_or_default()));
    Booking::record_refund(
        conn,
        booking.key(),
        &refund_id,
        amount,
        "refunded_in_stripe",
    )
    .await?;
    let moved = Booking::transition(
        conn,
        booking.key(),
        &[CONFIRMED],
        REFUNDED,
        "charge refunded",
        source,
    )
    .await?;
    Ok(if moved.is_some() {
        Applied::Refunded
    } else {
        Applied::Unchanged
    })
}

impl AppState {
    pub async fn receive_stripe_event(
        &self,
        signature_header: Option<&str>,
        payload: &[u8],
    ) -> Result<Delivery, ApiError> {
        signature::verify(
            &self.config.stripe_webhook_secret,
            signature_header,
            payload,
            Utc::now().timestamp(),
        )
        .map_err(|e: SignatureError| ApiError::bad_request("invalid_signature", e.message()))?;
        let event: Event = serde_json::from_slice(payload)
            .map_err(|_| bad_event("the body is not a Stripe event"))?;
        let intent = if event.kind.starts_with("payment_intent.") {
            Some(
                intent_of(&event.data.object)
                    .ok_or_else(|| bad_event("the event carries no PaymentIntent"))?,
            )
        } else {
            None
        };
        let source = format!("stripe_event:{}", event.id);
        let mut conn = self.pool.get().await?;
        let outcome = serializable!(conn, async |conn: &mut AsyncPgConnection| {
            if !StripeEvent::claim(conn, &event.id, &event.kind).await? {
                return Ok::<_, DbError>(None);
            }
            let applied = match (event.kind.as_str(), &intent) {
                (
                    "payment_intent.succeeded"
                    | "payment_intent.payment_failed"
                    | "payment_intent.canceled",
                    Some(intent),
                ) => apply_intent(conn, intent, &source).await?,
                ("charge.refunded", _) => apply_refund(conn, &event.data.object, &source).await?,
                _ => Applied::Unchanged,
            };
            let label = if intent.is_none() && event.kind != "charge.refunded" {
                "ignored"
            } else {
                applied.label()
            };
            let booking_id = match &applied {
                Applied::RefundDue(key) => Some(key.id),
                _ => None,
            };
            StripeEvent::set_outcome(conn, &event.id, booking_id, label).await?;
            Ok(Some((applied, label.to_owned())))
        })?;
        drop(conn);
        match outcome {
            None => Ok(Delivery::Duplicate),
            Some((applied, label)) => {
                self.after_applied(&applied).await;
                Ok(Delivery::Applied(label))
            }
        }
    }
}
