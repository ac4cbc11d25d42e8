//! Unpaid holds past their time: expired (freeing what they held), their
//! PaymentIntents cancelled.

use super::BATCH;
use crate::AppState;
use crate::failure::Failure;
use crate::payments::Payable;
use crate::payments::PayableKind;
use slotwise_db::AsyncPgConnection;
use slotwise_db::status::Status;

/// Expires unpaid holds and cancels their PaymentIntents.
pub async fn expire_holds_once(state: &AppState) -> Result<usize, Failure> {
    let mut expired = 0;
    for kind in PayableKind::ALL.iter().copied() {
        expired += crate::with_payable!(kind, P => expire_holds::<P>(state).await?);
    }
    Ok(expired)
}

async fn expire_holds<P: Payable>(state: &AppState) -> Result<usize, Failure> {
    let mut conn = state.pool.get().await?;
    let expired = conn
        .build_transaction()
        .run(async |conn: &mut AsyncPgConnection| {
            let due = P::lock_expired_holds(conn, BATCH).await?;
            let mut expired = Vec::new();
            for p in due {
                if let Some(p) = P::transition(
                    conn,
                    p.key(),
                    &[Status::Pending],
                    Status::Expired,
                    "hold expired unpaid",
                    "job:expire_holds",
                )
                .await?
                {
                    expired.push(p);
                }
            }
            Ok::<_, slotwise_db::DbError>(expired)
        })
        .await?;
    drop(conn);
    for _ in &expired {
        crate::count_outcome("expired");
    }
    for payable in &expired {
        if let Some(intent) = payable.held().intent_id {
            // A payment that raced ahead arrives as `succeeded` and is handled as a late payment.
            crate::payments::cancel::release_intent::<P>(state, payable.key(), intent).await;
        }
    }
    Ok(expired.len())
}
