//! Money going back, for every kind of payable and every cause: a refund is
//! a row (`slotwise_db::refunds`) owed in the transaction that decides it
//! ([`owe`]), made at Stripe exactly once ([`settle_refund`], at once
//! or by the refund job) and recorded with its announcement. A cancellation's
//! share, the rest of a payment and some tickets of an order differ only in
//! amount and in whether it closes the payment. Stray intents are refunded here
//! too, and what follows applying Stripe's news once it is committed.

use super::{Applied, Payable};
use crate::AppState;
use crate::failure::Failure;
use crate::faults::CrashPoint;
use crate::notify::News;
use chrono::{SubsecRound, Utc};
use slotwise_db::refunds::{Refund, RefundKey};
use slotwise_db::{AsyncPgConnection, DbError, QueryResult, read_committed};
use slotwise_web::metrics::Metric;
use uuid::Uuid;

/// What an owed refund gives back.
#[derive(Debug, Clone, Copy)]
pub enum Owed<'a> {
    /// What is left of the payment, or a cancellation's share of it: at most
    /// one per payable (the database refuses a second).
    Closing,
    /// The price of these tickets of an order.
    Tickets(&'a [Uuid]),
}

/// Owes `amount` back on `intent`, the payable's, in the caller's
/// transaction. `None` when nothing is owed: a zero amount, or a closing
/// refund when the payable has one already.
pub async fn owe<P: Payable>(
    conn: &mut AsyncPgConnection,
    key: P::Key,
    intent: &str,
    amount: i64,
    reason: &str,
    source: &str,
    owed: Owed<'_>,
) -> QueryResult<Option<Refund>> {
    if amount <= 0 {
        return Ok(None);
    }
    let id = Uuid::now_v7();
    let refund = Refund {
        scope_id: P::scope(key),
        id,
        payable_kind: P::KIND,
        payable_id: P::key_id(key),
        intent_id: intent.to_owned(),
        closing: matches!(owed, Owed::Closing),
        ticket_ids: match owed {
            Owed::Closing => Vec::new(),
            Owed::Tickets(ids) => ids.to_vec(),
        },
        amount_cents: amount,
        reason: reason.to_owned(),
        source: source.to_owned(),
        idempotency_key: format!("refund-{id}"),
        requested_at: Utc::now().trunc_subsecs(6),
        attempted_at: None,
        refund_id: None,
    };
    Ok(Refund::owe(conn, &refund).await?.then_some(refund))
}

/// What our books say Stripe has refunded of the payable's intent so far.
pub async fn refunded_on_record<P: Payable>(
    conn: &mut AsyncPgConnection,
    key: P::Key,
) -> QueryResult<i64> {
    Refund::total(conn, P::scope(key), P::key_id(key), true).await
}

/// Makes an owed refund at Stripe and records it with its announcement.
/// Safe to repeat: Stripe's refund carrying its key is found before another
/// is made. `None` when there is no such refund.
pub async fn settle_refund(state: &AppState, key: RefundKey) -> Result<Option<Refund>, Failure> {
    let refund = {
        let mut conn = state.pool.get().await?;
        Refund::get(&mut conn, key).await?
    };
    let Some(mut refund) = refund else {
        return Ok(None);
    };
    if refund.refund_id.is_some() {
        return Ok(Some(refund));
    }
    state.faults.crash_point(CrashPoint::BeforeRefund)?;
    let made = state
        .stripe
        .refund(
            &refund.idempotency_key,
            &refund.intent_id,
            refund.amount_cents,
        )
        .await
        .map_err(|e| {
            tracing::warn!(id = %key.id, error = ?e, "refund not made yet; the refund job retries");
            Failure::StripeUnavailable("the refund could not be made yet; it will be retried")
        })?;
    let mut conn = state.pool.get().await?;
    let (kind, payable, amount) = (refund.payable_kind, refund.payable_id, refund.amount_cents);
    // Recorded together with its announcement.
    let recorded = read_committed!(conn, async |conn: &mut AsyncPgConnection| {
        let recorded = Refund::record(conn, key, &made.id).await?;
        if recorded {
            crate::with_payable!(kind, P => {
                let payable = P::key_from(key.scope_id, payable);
                P::announce(conn, payable, News::Refunded, Some(amount)).await?
            });
        }
        Ok::<_, DbError>(recorded)
    })?;
    if recorded {
        crate::count_outcome("refunded");
    }
    refund.refund_id = Some(made.id);
    Ok(Some(refund))
}

/// Makes every refund owed but not yet made (Stripe was down, or the
/// process died), giving the request that owed it its lease to make it first.
pub async fn complete_refunds_once(state: &AppState) -> Result<usize, Failure> {
    let before = Utc::now() - state.config.idempotency_lease;
    let mut conn = state.pool.get().await?;
    let due = conn
        .build_transaction()
        .run(async |conn: &mut AsyncPgConnection| {
            Refund::claim_due(conn, before, crate::jobs::BATCH).await
        })
        .await?;
    drop(conn);
    let mut made = 0;
    for key in due {
        if settle_refund(state, key).await.is_ok() {
            made += 1;
        }
    }
    Ok(made)
}

/// What follows applying an intent, after its transaction committed:
/// counting, and the Stripe calls (a refund owed is recorded already; if
/// Stripe is down now, the refund job makes it).
pub async fn after_applied<P: Payable>(state: &AppState, applied: &Applied<P::Key>) {
    match applied {
        Applied::Confirmed => crate::count_outcome("confirmed"),
        Applied::RefundDue(_, refund) => {
            let _ = settle_refund(state, *refund).await;
        }
        Applied::Mismatch {
            field,
            intent,
            refund,
        } => {
            count_mismatch(field, intent);
            if let Some(refund) = refund {
                let _ = settle_refund(state, *refund).await;
            }
        }
        Applied::StrayPaid { intent, amount } => {
            count_mismatch("intent", intent);
            refund_stray(state, intent, *amount).await
        }
        _ => {}
    }
}

/// Refunds a second, stray intent of a payable that someone paid anyway.
pub async fn refund_stray(state: &AppState, intent: &str, amount: i64) {
    let key = format!("stray-intent-refund-{intent}");
    match state.stripe.refund(&key, intent, amount).await {
        Ok(refund) => {
            tracing::warn!(%intent, refund = %refund.id, "refunded a stray paid intent")
        }
        Err(e) => {
            tracing::error!(%intent, error = ?e, "could not refund a stray paid intent; reconciliation retries")
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
