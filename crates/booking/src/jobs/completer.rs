//! Finishing what a dead process left: abandoned requests (owed refunds are
//! made by `payments::refunds::complete_refunds_once`).

use super::BATCH;
use crate::AppState;
use crate::failure::Failure;
use chrono::Utc;
use slotwise_db::AsyncPgConnection;
use slotwise_db::idempotency::IdempotencyRecord;

/// Finishes requests whose process died between phases (their lease ran
/// out), as a retry would. Claims one key at a time, so each is finished
/// well within its lease.
pub async fn complete_keys_once(state: &AppState) -> Result<usize, Failure> {
    let mut done = 0;
    for _ in 0..BATCH {
        let stale_before = Utc::now() - state.config.idempotency_lease;
        let claimed = {
            let mut conn = state.pool.get().await?;
            conn.build_transaction()
                .run(async |conn: &mut AsyncPgConnection| {
                    IdempotencyRecord::claim_abandoned(conn, stale_before, 1).await
                })
                .await?
        };
        let Some(record) = claimed.into_iter().next() else {
            break;
        };
        if record.payable_id.is_none() {
            continue;
        }
        match crate::idempotency::resume(state, &record).await {
            Ok(Some(_)) => done += 1,
            // Its payable is gone: nothing to finish.
            Ok(None) => continue,
            // Stripe is down: the key keeps its recovery point; stop until the next round.
            Err(e) => {
                tracing::warn!(error = %e, "could not complete an abandoned request");
                break;
            }
        }
    }
    Ok(done)
}
