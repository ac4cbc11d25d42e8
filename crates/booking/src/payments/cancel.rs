//! Cancelling any payable, written once: a booking cancelled by its client,
//! professional or an admin, and every order of a cancelled event, go the same
//! way. In the caller's transaction the payable moves to `cancelled` with its
//! record of why; a paid one is owed its closing refund (its share, never more
//! than what was paid and not refunded yet); after the commit, a pending one's
//! intent is cancelled at Stripe ([`release_intent`], which the
//! hold and reconcile jobs use too) and the refund made
//! ([`settle_refund`](super::refunds::settle_refund); the refund job if Stripe is down).

use super::Payable;
use super::refunds::{Owed, owe};
use crate::AppState;
use slotwise_db::refunds::{Refund, RefundKey};
use slotwise_db::status::Status;
use slotwise_db::{AsyncPgConnection, QueryResult};

/// What a cancellation leaves to do once its transaction has committed.
#[derive(Debug, Clone)]
pub struct Cancelled<P: Payable> {
    /// The payable as cancelled.
    pub payable: P,
    /// A pending one's intent, to cancel at Stripe.
    pub release: Option<String>,
    /// A paid one's refund, owed.
    pub refund: Option<RefundKey>,
}

/// Cancels `payable` (locked by the caller) if it is pending or confirmed,
/// owing a paid one `share` of its price back (capped at what was paid and not
/// refunded yet). `None` when it is neither.
pub async fn cancel<P: Payable>(
    conn: &mut AsyncPgConnection,
    payable: &P,
    share: i64,
    why: &str,
    refund_reason: &str,
    source: &str,
) -> QueryResult<Option<Cancelled<P>>> {
    let key = payable.key();
    let held = payable.held();
    let from = [Status::Pending, Status::Confirmed];
    let Some(cancelled) = P::transition(conn, key, &from, Status::Cancelled, why, source).await?
    else {
        return Ok(None);
    };
    let (mut release, mut refund) = (None, None);
    match (held.status, held.intent_id) {
        (Status::Pending, Some(intent)) => release = Some(intent.to_owned()),
        (Status::Confirmed, Some(intent)) => {
            let (scope, id) = (P::scope(key), P::key_id(key));
            // What ticket refunds gave back already is never given twice.
            let left = held.amount - Refund::total(conn, scope, id, false).await?;
            let amount = share.min(left);
            let owed = owe::<P>(
                conn,
                key,
                intent,
                amount,
                refund_reason,
                source,
                Owed::Closing,
            );
            refund = owed.await?.map(|r| r.key());
        }
        _ => {}
    }
    Ok(Some(Cancelled {
        payable: cancelled,
        release,
        refund,
    }))
}

/// What a committed cancellation leaves: its intent released, its refund
/// made, each best effort (reconciliation and the refund job finish them).
pub async fn after_cancel<P: Payable>(state: &AppState, cancelled: &Cancelled<P>) {
    if let Some(intent) = &cancelled.release {
        release_intent::<P>(state, cancelled.payable.key(), intent).await;
    }
    if let Some(refund) = cancelled.refund {
        let _ = crate::payments::refunds::settle_refund(state, refund).await;
    }
}

/// Cancels the intent of a payable that let go of what it held, so it
/// cannot be paid any more, and records what Stripe says of it. A payment
/// that raced ahead arrives as `succeeded` and is refunded or kept as a
/// late payment; if Stripe is down, reconciliation tries again.
pub async fn release_intent<P: Payable>(state: &AppState, key: P::Key, intent: &str) {
    let Ok(canceled) = state.stripe.cancel_intent(intent).await else {
        return;
    };
    if let Ok(mut conn) = state.pool.get().await {
        let recorded = P::record_payment(&mut conn, key, &canceled.status, None).await;
        if let Err(e) = recorded {
            tracing::warn!(%intent, error = ?e, "could not record a released intent; reconciliation does");
        }
    }
}
