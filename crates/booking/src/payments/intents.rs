//! Stripe's word on a PaymentIntent (a webhook, or what reconciliation reads)
//! applied to its payable's status machine, in the caller's transaction.
//! Safe to repeat and to receive out of order: only forward moves happen.

use super::refunds::{Owed::Closing, owe};
use super::{Applied, Payable};
use crate::stripe::Intent;
use slotwise_db::refunds::{Refund, RefundKey};
use slotwise_db::status::Status;
use slotwise_db::{AsyncPgConnection, DbError};

/// PaymentIntent statuses after which nothing more happens to it.
pub const FINAL: [&str; 2] = ["succeeded", "canceled"];

/// The intent's payable, locked. The metadata names it; an intent whose
/// metadata finds nothing is still matched by the payable's own record of its
/// intent, so a payment is never dropped for a bad or old metadata field.
async fn lock_payable_of<P: Payable>(
    conn: &mut AsyncPgConnection,
    intent: &Intent,
) -> Result<Option<P>, DbError> {
    if let Some(key) = P::key_in(intent)
        && let Some(found) = P::lock(conn, key).await?
    {
        return Ok(Some(found));
    }
    if let Some(id) = intent.id_in(P::ID_FIELD)
        && let Some(key) = P::locate(conn, id).await?
        && let Some(found) = P::lock(conn, key).await?
    {
        return Ok(Some(found));
    }
    match P::find_by_intent(conn, &intent.id).await? {
        Some(found) => P::lock(conn, found.key()).await,
        None => Ok(None),
    }
}

/// Which field of the intent disagrees with the payable's price, if any.
fn mismatched_field<P: Payable>(payable: &P, intent: &Intent) -> Option<&'static str> {
    let held = payable.held();
    if intent.amount != held.amount {
        Some("amount")
    } else if !intent.currency.eq_ignore_ascii_case(held.currency) {
        Some("currency")
    } else {
        None
    }
}

/// A succeeded payment of the wrong amount or currency: the money goes back
/// (a refund owed, made by the refund job if not at once) and a payable still
/// waiting for payment fails. `None` when nothing is owed.
async fn refund_mismatch<P: Payable>(
    conn: &mut AsyncPgConnection,
    payable: &P,
    intent: &Intent,
    source: &str,
) -> Result<Option<RefundKey>, DbError> {
    let held = payable.held();
    let key = payable.key();
    let waiting = [
        Status::Pending,
        Status::Expired,
        Status::Failed,
        Status::Cancelled,
    ];
    // An amount the event did not carry is not guessed: reconciliation reads the intent.
    let owes = intent.status == "succeeded" && intent.amount > 0 && waiting.contains(&held.status);
    if !owes {
        return Ok(None);
    }
    P::attach_intent(conn, key, intent).await?;
    let why = "the payment's amount or currency is not the booking's";
    P::record_payment(conn, key, &intent.status, Some(why)).await?;
    P::transition(
        conn,
        key,
        &[Status::Pending, Status::Expired],
        Status::Failed,
        why,
        source,
    )
    .await?;
    let reason = "payment_mismatch";
    let refund = owe::<P>(
        conn,
        key,
        &intent.id,
        intent.amount,
        reason,
        source,
        Closing,
    )
    .await?;
    Ok(refund.map(|r| r.key()))
}

/// Applies what Stripe says of a PaymentIntent. It is applied only when its
/// id, amount and currency are the ones the payable recorded (or, before one
/// was recorded, its price).
pub async fn apply_intent<P: Payable>(
    conn: &mut AsyncPgConnection,
    intent: &Intent,
    source: &str,
) -> Result<Applied<P::Key>, DbError> {
    let Some(payable) = lock_payable_of::<P>(conn, intent).await? else {
        return Ok(Applied::UnknownPayable);
    };
    let key = payable.key();
    let held = payable.held();
    if let Some(attached) = held.intent_id
        && attached != intent.id
    {
        // Not its intent (made by a duplicate attempt): never keep its money.
        return Ok(if intent.status == "succeeded" {
            Applied::StrayPaid {
                intent: intent.id.clone(),
                amount: intent.amount,
            }
        } else {
            Applied::Unchanged
        });
    }
    if let Some(field) = mismatched_field(&payable, intent) {
        let refund = refund_mismatch(conn, &payable, intent, source).await?;
        return Ok(Applied::Mismatch {
            field,
            intent: intent.id.clone(),
            refund,
        });
    }
    if held.intent_id.is_none() {
        P::attach_intent(conn, key, intent).await?;
    }
    // Events come out of order: a `succeeded` or `canceled` intent never changes
    // again, so later news of it is stale and must not overwrite it.
    let known_final = held.payment_status.is_some_and(|s| FINAL.contains(&s));
    if !known_final {
        P::record_payment(conn, key, &intent.status, intent.last_error.as_deref()).await?;
    }
    let late = [Status::Expired, Status::Failed];
    match (intent.status.as_str(), held.status) {
        ("succeeded", Status::Pending) => {
            // Still holding what it bought? (A resale's ticket may have been
            // refunded or revoked meanwhile.) If not, it is cancelled and refunded.
            if let Some((reason, refund_reason)) = payable.lost_while_pending(conn).await? {
                let pending = [Status::Pending];
                P::transition(conn, key, &pending, Status::Cancelled, reason, source).await?;
                return refund_due::<P>(conn, key, intent, refund_reason, source).await;
            }
            P::transition(
                conn,
                key,
                &[Status::Pending],
                Status::Confirmed,
                "payment succeeded",
                source,
            )
            .await?;
            Ok(Applied::Confirmed)
        }
        ("succeeded", Status::Expired | Status::Failed) => {
            // Paid after the hold ran out: kept if what it held is still free.
            if let Some((reason, refund_reason)) = payable.lost_while_unpaid(conn).await? {
                P::transition(conn, key, &late, Status::Refunded, reason, source).await?;
                refund_due::<P>(conn, key, intent, refund_reason, source).await
            } else {
                let reason = "paid late; slot still free";
                P::transition(conn, key, &late, Status::Confirmed, reason, source).await?;
                Ok(Applied::Confirmed)
            }
        }
        // Cancelled before this payment was applied: what is left of it goes back.
        ("succeeded", Status::Cancelled) => {
            let reason = "cancelled_before_payment_arrived";
            refund_due::<P>(conn, key, intent, reason, source).await
        }
        ("canceled", Status::Pending) => {
            let expired = held.expires_at.is_some_and(|at| at <= chrono::Utc::now());
            let to = if expired {
                Status::Expired
            } else {
                Status::Cancelled
            };
            let reason = "payment intent canceled";
            P::transition(conn, key, &[Status::Pending], to, reason, source).await?;
            Ok(Applied::Released)
        }
        ("requires_payment_method", _) if intent.last_error.is_some() => {
            Ok(Applied::FailureRecorded)
        }
        _ => Ok(Applied::Unchanged),
    }
}

/// What is left of `intent`'s payment owed back: `RefundDue`, or `Unchanged`
/// when nothing is left or a closing refund is owed already (this news came
/// before).
async fn refund_due<P: Payable>(
    conn: &mut AsyncPgConnection,
    key: P::Key,
    intent: &Intent,
    reason: &str,
    source: &str,
) -> Result<Applied<P::Key>, DbError> {
    let refunded = Refund::total(conn, P::scope(key), P::key_id(key), false).await?;
    let owed = owe::<P>(
        conn,
        key,
        &intent.id,
        intent.amount - refunded,
        reason,
        source,
        Closing,
    )
    .await?;
    Ok(match owed {
        Some(refund) => Applied::RefundDue(key, refund.key()),
        None => Applied::Unchanged,
    })
}
