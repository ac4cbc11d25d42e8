//! Money going back: owed refunds made at Stripe exactly once, stray intents
//! refunded, and what follows applying Stripe's news once it is committed.

use super::{Applied, Payable};
use crate::AppState;
use crate::faults::CrashPoint;
use slotwise_db::{AsyncPgConnection, read_committed};
use slotwise_web::ApiError;
use slotwise_web::metrics::Metric;

impl AppState {
    /// Makes an owed refund at Stripe and records it. Safe to repeat: Stripe's
    /// refunds of the intent are checked before a new one is made.
    pub async fn settle_refund<P: Payable>(&self, key: P::Key) -> Result<(), ApiError> {
        let payable = {
            let mut conn = self.pool.get().await?;
            P::get(&mut conn, key)
                .await?
                .ok_or_else(|| ApiError::not_found(P::KIND.as_str()))?
        };
        let held = payable.held();
        let (Some(intent), None, true) = (held.intent_id, held.refund_id, held.refund_requested)
        else {
            return Ok(());
        };
        self.faults.crash_point(CrashPoint::BeforeRefund)?;
        let id = held.id;
        let amount = held.refund_amount.unwrap_or(held.amount);
        let idempotency_key = format!("{}-refund-{id}", P::KIND);
        let refund = self
            .stripe
            .refund(&idempotency_key, intent, amount)
            .await
            .map_err(|e| {
                tracing::warn!(%id, error = ?e, "refund not made yet; the refund job retries");
                ApiError::unavailable("the refund could not be made yet; it will be retried")
            })?;
        let reason = held.refund_reason.unwrap_or("requested_by_customer");
        let mut conn = self.pool.get().await?;
        // Recorded together with its announcement.
        let recorded = read_committed!(conn, async |conn: &mut AsyncPgConnection| {
            P::record_refund(conn, key, &refund.id, refund.amount, reason).await
        })?;
        if recorded {
            crate::count_outcome("refunded");
        }
        Ok(())
    }

    /// What follows applying an intent, after its transaction committed:
    /// counting, and the Stripe calls (a refund owed is recorded already; if
    /// Stripe is down now, the refund job makes it).
    pub async fn after_applied<P: Payable>(&self, applied: &Applied<P::Key>) {
        match applied {
            Applied::Confirmed => crate::count_outcome("confirmed"),
            Applied::RefundDue(key) => {
                let _ = self.settle_refund::<P>(*key).await;
            }
            Applied::Mismatch {
                field,
                intent,
                refund,
            } => {
                count_mismatch(field, intent);
                if let Some(key) = refund {
                    let _ = self.settle_refund::<P>(*key).await;
                }
            }
            Applied::StrayPaid { intent, amount } => {
                count_mismatch("intent", intent);
                self.refund_stray(intent, *amount).await
            }
            _ => {}
        }
    }

    /// Refunds a second, stray intent of a payable that someone paid anyway.
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
}

/// Logs and counts a paid intent that disagreed with its payable (never applied).
fn count_mismatch(field: &'static str, intent: &str) {
    static MISMATCHES: Metric = Metric::new(
        "payment_mismatches_total",
        "PaymentIntents (webhook or reconciliation) whose id, amount or currency disagreed with their booking; never applied.",
    );
    tracing::warn!(field, %intent, "a PaymentIntent disagreed with its booking; not applied");
    MISMATCHES.inc(&[("field", field)]);
}
