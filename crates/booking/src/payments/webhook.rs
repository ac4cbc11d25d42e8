//! `POST /webhooks/stripe`: verify, store each event once by id, and apply it
//! to its payable in the same transaction.

use super::PayableKind;
use super::intents::apply_intent;
use super::refunds::refunded_on_record;
use super::{Applied, Payable};
use crate::AppState;
use crate::failure::Failure;
use crate::notify::News;
use crate::stripe::Intent;
use crate::stripe::signature::{self, SignatureError};
use chrono::{SubsecRound, Utc};
use serde::Deserialize;
use slotwise_db::intent_traces::IntentTrace;
use slotwise_db::orders::Order;
use slotwise_db::refunds::Refund;
use slotwise_db::status::Status;
use slotwise_db::stripe_events::StripeEvent;
use slotwise_db::{AsyncPgConnection, DbError, serializable};
use std::collections::HashMap;
use tracing::Instrument;
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
    let metadata: HashMap<String, String> = object
        .get("metadata")
        .and_then(|m| m.as_object())
        .map(|m| {
            m.iter()
                .filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_owned())))
                .collect()
        })
        .unwrap_or_default();
    Some(Intent {
        id: text(object, "id")?,
        client_secret: text(object, "client_secret").unwrap_or_default(),
        status: text(object, "status")?,
        // Absent, they match no payable: the event is stored as a mismatch, not applied.
        amount: object.get("amount").and_then(|v| v.as_i64()).unwrap_or(-1),
        currency: text(object, "currency").unwrap_or_default(),
        metadata,
        last_error: object
            .get("last_payment_error")
            .and_then(|e| text(e, "message")),
    })
}

/// Why a webhook is not applied (`api/` answers 400, or 503 for a failure).
#[derive(Debug, thiserror::Error)]
pub enum WebhookError {
    #[error("{0}")]
    BadSignature(&'static str),
    #[error("{0}")]
    BadEvent(&'static str),
    #[error(transparent)]
    Failure(#[from] Failure),
}

crate::failure_sources!(WebhookError);

/// `charge.refunded`: a payable refunded in full is recorded as such (a
/// confirmed one becomes refunded).
async fn apply_refund<P: Payable>(
    conn: &mut AsyncPgConnection,
    charge: &serde_json::Value,
    source: &str,
) -> Result<Applied<P::Key>, DbError> {
    let Some(intent) = text(charge, "payment_intent") else {
        return Ok(Applied::UnknownPayable);
    };
    let Some(payable) = P::find_by_intent(conn, &intent).await? else {
        return Ok(Applied::UnknownPayable);
    };
    let key = payable.key();
    let amount = charge
        .get("amount_refunded")
        .and_then(|v| v.as_i64())
        .unwrap_or(payable.held().amount);
    let refund_id = charge
        .pointer("/refunds/data/0/id")
        .and_then(|v| v.as_str())
        .map(str::to_owned)
        .unwrap_or_else(|| format!("refund_of_{}", text(charge, "id").unwrap_or_default()));
    // Only refunds made elsewhere (Stripe's dashboard) are recorded here: when
    // Stripe lists them all, those without our key; otherwise what our books
    // do not hold yet (a whole refund, refunds of some tickets).
    let cents = |r: &serde_json::Value| r.get("amount").and_then(|a| a.as_i64()).unwrap_or(0);
    let listed = charge.pointer("/refunds/data").and_then(|d| d.as_array());
    let rest = match listed {
        Some(refunds) if refunds.iter().map(cents).sum::<i64>() == amount => (refunds.iter())
            .filter(|r| r.pointer("/metadata/slotwise_refund").is_none())
            .map(cents)
            .sum(),
        _ => amount - refunded_on_record::<P>(conn, key).await?,
    };
    if amount < payable.held().amount || rest <= 0 {
        // Part of it refunded (tickets of an order, a late cancellation's
        // share, or by hand in Stripe's dashboard: scripts/reconcile reports
        // that), or only what we refunded ourselves: the payable stays as it is.
        return Ok(Applied::Unchanged);
    }
    let made = Refund {
        scope_id: P::scope(key),
        id: Uuid::now_v7(),
        payable_kind: P::KIND,
        payable_id: P::key_id(key),
        intent_id: intent.clone(),
        closing: true,
        ticket_ids: Vec::new(),
        amount_cents: rest,
        reason: "refunded_in_stripe".to_owned(),
        source: source.to_owned(),
        idempotency_key: format!("made-in-stripe-{refund_id}"),
        requested_at: Utc::now().trunc_subsecs(6),
        attempted_at: None,
        refund_id: Some(refund_id),
    };
    if Refund::record_made_elsewhere(conn, &made).await? {
        P::announce(conn, key, News::Refunded, Some(rest)).await?;
    }
    let moved = P::transition(
        conn,
        key,
        &[Status::Confirmed],
        Status::Refunded,
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

/// Applies one event to payables of kind `P`, in the caller's transaction.
async fn apply_event<P: Payable>(
    conn: &mut AsyncPgConnection,
    event: &Event,
    intent: Option<&Intent>,
    source: &str,
) -> Result<(Applied<P::Key>, &'static str), DbError> {
    let applied = match (event.kind.as_str(), intent) {
        (
            "payment_intent.succeeded"
            | "payment_intent.payment_failed"
            | "payment_intent.canceled",
            Some(intent),
        ) => apply_intent::<P>(conn, intent, source).await?,
        ("charge.refunded", _) => apply_refund::<P>(conn, &event.data.object, source).await?,
        (_, Some(_)) => Applied::Unchanged,
        (_, None) => return Ok((Applied::Unchanged, "ignored")),
    };
    let label = applied.label();
    Ok((applied, label))
}

/// Applies one Stripe webhook, counted by outcome for `/metrics`
/// (`stripe_webhooks_total`: what it did, `duplicate`, `bad_signature`
/// or `refused`).
pub async fn receive_stripe_event(
    state: &AppState,
    signature_header: Option<&str>,
    payload: &[u8],
) -> Result<Delivery, WebhookError> {
    static WEBHOOKS: slotwise_web::metrics::Metric = slotwise_web::metrics::Metric::new(
        "stripe_webhooks_total",
        "Stripe webhook deliveries by outcome.",
    );
    let result = receive_verified(state, signature_header, payload).await;
    let outcome = match &result {
        Ok(Delivery::Applied(label)) => label.as_str(),
        Ok(Delivery::Duplicate) => "duplicate",
        Err(WebhookError::BadSignature(_)) => "bad_signature",
        Err(_) => "refused",
    };
    WEBHOOKS.inc(&[("outcome", outcome)]);
    result
}

async fn receive_verified(
    state: &AppState,
    signature_header: Option<&str>,
    payload: &[u8],
) -> Result<Delivery, WebhookError> {
    signature::verify(
        &state.config.stripe_webhook_secret,
        signature_header,
        payload,
        Utc::now().timestamp(),
    )
    .map_err(|e: SignatureError| WebhookError::BadSignature(e.message()))?;
    let event: Event = serde_json::from_slice(payload)
        .map_err(|_| WebhookError::BadEvent("the body is not a Stripe event"))?;
    let intent = if event.kind.starts_with("payment_intent.") {
        Some(
            intent_of(&event.data.object)
                .ok_or(WebhookError::BadEvent("the event carries no PaymentIntent"))?,
        )
    } else {
        None
    };
    let span = webhook_span(state, &event, intent.as_ref()).await;
    let applied = async {
        let kind = payable_kind(state, &event, intent.as_ref()).await?;
        crate::with_payable!(kind, P => receive_for::<P>(state, &event, intent.as_ref()).await)
    }
    .instrument(span.clone())
    .await;
    match &applied {
        Ok(Delivery::Applied(label)) => span.record("stripe.outcome", label.as_str()),
        Ok(Delivery::Duplicate) => span.record("stripe.outcome", "duplicate"),
        Err(_) => span.record("otel.status_code", "error"),
    };
    Ok(applied?)
}

/// The span of one event's application. The event arrives on a trace of
/// its own: it is linked to the request that made its PaymentIntent,
/// whose `traceparent` was kept (`intent_traces`).
async fn webhook_span(state: &AppState, event: &Event, intent: Option<&Intent>) -> tracing::Span {
    let span = tracing::info_span!(
        target: "slotwise_trace",
        "stripe.webhook",
        otel.name = format!("stripe webhook {}", event.kind),
        stripe.event_id = %event.id,
        stripe.event_type = %event.kind,
        stripe.outcome = tracing::field::Empty,
        otel.status_code = tracing::field::Empty,
    );
    if span.is_disabled() {
        return span;
    }
    let intent_id = match intent {
        Some(i) => Some(i.id.clone()),
        None => text(&event.data.object, "payment_intent"),
    };
    if let Some(id) = intent_id
        && let Ok(mut conn) = state.pool.get().await
        && let Ok(Some(traceparent)) = IntentTrace::find(&mut conn, &id).await
    {
        slotwise_web::otel::link(&span, &traceparent);
    }
    span
}

/// Which kind of payable the event is news of: its intent's metadata
/// says (`kind`); a charge is looked up by its intent. An intent without
/// `kind` is a booking's (made before the field existed), and so is one
/// with a kind we do not know (it then finds no booking: unknown).
async fn payable_kind(
    state: &AppState,
    event: &Event,
    intent: Option<&Intent>,
) -> Result<PayableKind, Failure> {
    let of = |kind: Option<&str>| {
        kind.and_then(PayableKind::parse)
            .unwrap_or(PayableKind::Booking)
    };
    if let Some(intent) = intent {
        return Ok(of(intent.metadata.get("kind").map(String::as_str)));
    }
    let object = &event.data.object;
    if let Some(kind) = object.pointer("/metadata/kind").and_then(|k| k.as_str()) {
        return Ok(of(Some(kind)));
    }
    let Some(intent) = text(object, "payment_intent") else {
        return Ok(PayableKind::Booking);
    };
    let mut conn = state.pool.get().await?;
    Ok(
        if Order::find_by_intent(&mut conn, &intent).await?.is_some() {
            PayableKind::Order
        } else {
            PayableKind::Booking
        },
    )
}

async fn receive_for<P: Payable>(
    state: &AppState,
    event: &Event,
    intent: Option<&Intent>,
) -> Result<Delivery, Failure> {
    let source = format!("stripe_event:{}", event.id);
    let mut conn = state.pool.get().await?;
    let outcome = serializable!(conn, async |conn: &mut AsyncPgConnection| {
        if !StripeEvent::claim(conn, &event.id, &event.kind).await? {
            return Ok::<_, DbError>(None);
        }
        let (applied, label) = apply_event::<P>(conn, event, intent, &source).await?;
        let payable_id = match &applied {
            Applied::RefundDue(key, _) => Some(P::key_id(*key)),
            _ => None,
        };
        StripeEvent::set_outcome(conn, &event.id, payable_id, label).await?;
        Ok(Some((applied, label.to_owned())))
    })?;
    drop(conn);
    match outcome {
        None => Ok(Delivery::Duplicate),
        Some((applied, label)) => {
            crate::payments::refunds::after_applied::<P>(state, &applied).await;
            Ok(Delivery::Applied(label))
        }
    }
}
