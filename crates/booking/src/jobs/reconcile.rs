//! Asking Stripe about payments it may not have told us about.

use super::BATCH;
use crate::AppState;
use crate::failure::Failure;
use crate::payments::Payable;
use crate::payments::PayableKind;
use crate::payments::intents::{FINAL, apply_intent};
use chrono::Utc;
use slotwise_db::AsyncPgConnection;
use slotwise_db::status::Status;

/// Asks Stripe about pending payables whose webhook was lost, released ones
/// whose intent may still be payable, and failed ones whose intent creation
/// timed out; applies what it says.
pub async fn reconcile_once(state: &AppState) -> Result<usize, Failure> {
    let mut settled = 0;
    for kind in PayableKind::ALL.iter().copied() {
        settled += crate::with_payable!(kind, P => reconcile::<P>(state).await?);
    }
    Ok(settled)
}

async fn reconcile<P: Payable>(state: &AppState) -> Result<usize, Failure> {
    let before = Utc::now() - state.config.reconcile_after;
    let mut conn = state.pool.get().await?;
    let stale = conn
        .build_transaction()
        .run(async |conn: &mut AsyncPgConnection| {
            let stale = P::lock_unsettled(conn, before, BATCH).await?;
            for p in &stale {
                P::touch(conn, p.key()).await?;
            }
            Ok::<_, slotwise_db::DbError>(stale)
        })
        .await?;
    // No connection is held while Stripe is asked (up to 100 pages per payable).
    drop(conn);
    let mut settled = 0;
    for payable in stale {
        let held = payable.held();
        let found = match held.intent_id {
            Some(id) => state.stripe.retrieve_intent(id).await.map(Some),
            None => state.stripe.find_intent(P::ID_FIELD, held.id).await,
        };
        let intent = match found {
            Ok(Some(intent)) => intent,
            Ok(None) => {
                // Stripe never made one: the outcome is known now.
                let mut conn = state.pool.get().await?;
                P::record_payment(&mut conn, payable.key(), "none", held.payment_error).await?;
                continue;
            }
            Err(_) => continue,
        };
        let applied = {
            let mut conn = state.pool.get().await?;
            slotwise_db::serializable!(conn, async |conn: &mut AsyncPgConnection| {
                apply_intent::<P>(conn, &intent, "job:reconcile").await
            })?
        };
        if applied.label() == "confirmed" {
            // Paid, and Stripe's webhook never told us: the WebhooksNotArriving alert.
            static LATE: slotwise_web::metrics::Metric = slotwise_web::metrics::Metric::new(
                "payments_confirmed_by_reconcile_total",
                "Payables confirmed by the reconcile job because no webhook did.",
            );
            LATE.inc(&[("kind", P::KIND.as_str())]);
        }
        crate::payments::refunds::after_applied::<P>(state, &applied).await;
        let still_payable = !FINAL.contains(&intent.status.as_str());
        if still_payable && held.status != Status::Pending {
            // It let go of what it held: its intent must not stay payable.
            crate::payments::cancel::release_intent::<P>(state, payable.key(), &intent.id).await;
        }
        settled += 1;
    }
    Ok(settled)
}
