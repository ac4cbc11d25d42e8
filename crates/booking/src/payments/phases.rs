//! Phases 2 and 3 of a paid create, after phase 1 stored the payable and its
//! key (recovery point `booking_created`): make (or, resuming, find) the
//! PaymentIntent, then store it together with the final answer on the key.

use super::intents::apply_intent;
use super::{Held, Payable};
use crate::AppState;
use crate::faults::CrashPoint;
use crate::idempotency::stored;
use crate::stripe::{Intent, StripeFailure};
use poem::http::StatusCode;
use slotwise_db::idempotency::IdempotencyRecord;
use slotwise_db::intent_traces::IntentTrace;
use slotwise_db::status::Status;
use slotwise_db::{AsyncPgConnection, DbError, read_committed};
use slotwise_web::ApiError;

/// Payment status of a payable whose intent creation had no clear answer (a
/// timeout): reconciliation asks Stripe whether an intent exists after all.
pub const OUTCOME_UNKNOWN: &str = "unknown";

/// What phase 3 stored on the key, and the answer itself when this request
/// made it (no round trip through JSON); `None` when another worker had.
pub struct Completed<V> {
    pub stored: (u16, serde_json::Value),
    pub fresh: Option<Result<V, ApiError>>,
}

/// Phase 3's result inside its transaction.
struct Finished<V> {
    completed: Completed<V>,
    /// An intent that must not stay payable: not the payable's, or the payable
    /// stopped waiting for payment while it was being made.
    to_cancel: Option<String>,
}

pub async fn complete_payment<P: Payable>(
    state: &AppState,
    scope: &str,
    key: &str,
    payable_key: P::Key,
    payment_method: Option<&str>,
    resuming: bool,
) -> Result<Completed<P::View>, ApiError> {
    let payable = {
        let mut conn = state.pool.get().await?;
        P::get(&mut conn, payable_key)
            .await?
            .ok_or_else(ApiError::internal)?
    };
    let held = payable.held();
    let intent = if resuming {
        // The emulator ignores Idempotency-Key: look for an intent made before the crash.
        match state.stripe.find_intent(P::ID_FIELD, held.id).await {
            Ok(Some(found)) => Ok(Some(found)),
            Ok(None) if held.status != Status::Pending => Ok(None),
            Ok(None) => make_intent::<P>(state, payable_key, held, payment_method)
                .await
                .map(Some),
            // Stripe is down: leave the key where it is; a later retry resumes it.
            Err(e) => return Err(unreachable_stripe(&e)),
        }
    } else {
        make_intent::<P>(state, payable_key, held, payment_method)
            .await
            .map(Some)
    };
    state.faults.crash_point(CrashPoint::AfterIntentCreated)?;
    let source = format!("idempotency:{scope}/{key}");
    let mut conn = state.pool.get().await?;
    // Row locks on the key and the payable are all phase 3 needs; SERIALIZABLE
    // would make concurrent phase 3s fail each other on shared index pages.
    let finished = read_committed!(conn, async |conn: &mut AsyncPgConnection| {
        finish::<P>(conn, scope, key, payable_key, &intent, &source).await
    })?;
    drop(conn);
    if let Some(id) = finished.to_cancel
        && let Err(e) = state.stripe.cancel_intent(&id).await
    {
        tracing::warn!(payable = %held.id, intent = %id, error = ?e, "could not cancel an unneeded intent; reconciliation retries");
    }
    Ok(finished.completed)
}

async fn make_intent<P: Payable>(
    state: &AppState,
    key: P::Key,
    held: Held<'_>,
    payment_method: Option<&str>,
) -> Result<Intent, StripeFailure> {
    let made = state
        .stripe
        .create_intent(
            P::KIND.as_str(),
            held.id,
            P::metadata(key),
            held.amount,
            held.currency,
            payment_method,
        )
        .await;
    if let Ok(intent) = &made {
        remember_trace(state, &intent.id).await;
    }
    made
}

/// Keeps the current trace for the webhook that settles `intent` to link
/// to (only while traces are exported and this one is sampled). Telemetry:
/// a failure is logged, never the request's.
async fn remember_trace(state: &AppState, intent: &str) {
    let Some(traceparent) = slotwise_web::otel::current_traceparent() else {
        return;
    };
    let remembered = async {
        let mut conn = state.pool.get().await.map_err(|e| e.to_string())?;
        IntentTrace::remember(&mut conn, intent, &traceparent)
            .await
            .map_err(|e| e.to_string())
    };
    if let Err(e) = remembered.await {
        tracing::warn!(intent, error = %e, "the trace of an intent was not kept");
    }
}

fn unreachable_stripe(e: &StripeFailure) -> ApiError {
    tracing::warn!(error = ?e, "Stripe unreachable while resuming a request");
    ApiError::unavailable(
        "the payment provider is unreachable; retry with the same Idempotency-Key",
    )
}

/// Phase 3, in one transaction: the intent on the payable, the answer on the
/// key. If another worker finished the key first, its answer stands.
async fn finish<P: Payable>(
    conn: &mut AsyncPgConnection,
    scope: &str,
    key: &str,
    payable_key: P::Key,
    intent: &Result<Option<Intent>, StripeFailure>,
    source: &str,
) -> Result<Finished<P::View>, DbError> {
    let record = IdempotencyRecord::lock(conn, scope, key)
        .await?
        .ok_or(DbError::NotFound)?;
    let made = intent
        .as_ref()
        .ok()
        .and_then(|i| i.as_ref())
        .map(|i| i.id.clone());
    if let (Some(status), Some(body)) = (record.response_status, record.response_body) {
        let ours_is_theirs = P::get(conn, payable_key)
            .await?
            .is_some_and(|p| p.held().intent_id == made.as_deref());
        return Ok(Finished {
            completed: Completed {
                stored: (u16::try_from(status).unwrap_or(500), body),
                fresh: None,
            },
            to_cancel: made.filter(|_| !ours_is_theirs),
        });
    }
    let payable = P::lock(conn, payable_key).await?.ok_or(DbError::NotFound)?;
    let mut to_cancel = None;
    let result = match intent {
        Ok(found) => {
            if let Some(intent) = found {
                let attached = P::attach_intent(conn, payable_key, intent).await?.is_some();
                apply_intent::<P>(conn, intent, source).await?;
                let payable_now = !matches!(intent.status.as_str(), "succeeded" | "canceled");
                if payable_now && (!attached || payable.held().status != Status::Pending) {
                    to_cancel = Some(intent.id.clone());
                }
            }
            let now = P::get(conn, payable_key).await?.ok_or(DbError::NotFound)?;
            Ok(now.view(conn).await?)
        }
        Err(failure) => Err(payment_failed::<P>(conn, payable_key, failure, source).await?),
    };
    let (status, body) = stored(&result, StatusCode::CREATED);
    IdempotencyRecord::finish(conn, scope, key, i32::from(status), &body).await?;
    Ok(Finished {
        completed: Completed {
            stored: (status, body),
            fresh: Some(result),
        },
        to_cancel,
    })
}

/// A paid payable whose PaymentIntent could not be made: fail it (freeing what
/// it held) and say why, as the stored answer.
async fn payment_failed<P: Payable>(
    conn: &mut AsyncPgConnection,
    key: P::Key,
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
        // Stripe refused the intent itself (a payment method it does not
        // know, an amount below its minimum): trying again will not help,
        // and it is not an outage. The buyer's to fix, like a decline.
        StripeFailure::Refused(message) => (
            "payment refused",
            "failed",
            ApiError::new(
                StatusCode::PAYMENT_REQUIRED,
                "payment_refused",
                "Payment refused",
                format!(
                    "the payment provider refused the payment ({message}); nothing is held, try another payment method"
                ),
            ),
        ),
        StripeFailure::Unavailable(_) => {
            tracing::warn!(payable = ?key, error = ?failure, "payment intent not created");
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
    let failed = P::transition(
        conn,
        key,
        &[Status::Pending],
        Status::Failed,
        reason,
        source,
    )
    .await?;
    if failed.is_some() {
        let detail = match failure {
            StripeFailure::Declined(m)
            | StripeFailure::Unavailable(m)
            | StripeFailure::Refused(m) => m.as_str(),
        };
        P::record_payment(conn, key, payment_status, Some(detail)).await?;
    }
    Ok(error)
}
