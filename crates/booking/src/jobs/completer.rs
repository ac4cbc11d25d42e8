//! Finishing what a dead process left: abandoned requests and owed refunds.

use super::BATCH;
use crate::AppState;
use crate::payments::Payable;
use crate::payments::PayableKind;
use chrono::Utc;
use slotwise_db::AsyncPgConnection;
use slotwise_db::idempotency::IdempotencyRecord;
use slotwise_web::ApiError;

impl AppState {
    /// Finishes requests whose process died between phases (their lease ran
    /// out), as a retry would. Claims one key at a time, so each is finished
    /// well within its lease.
    pub async fn complete_keys_once(&self) -> Result<usize, ApiError> {
        let mut done = 0;
        for _ in 0..BATCH {
            let stale_before = Utc::now() - self.config.idempotency_lease;
            let claimed = {
                let mut conn = self.pool.get().await?;
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
            match self.resume(&record).await {
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

    /// Makes refunds that are owed but not yet made (Stripe was down, or the process died).
    pub async fn complete_refunds_once(&self) -> Result<usize, ApiError> {
        let mut made = 0;
        for kind in PayableKind::ALL.iter().copied() {
            made += crate::with_payable!(kind, P => self.complete_refunds::<P>().await?);
        }
        Ok(made + self.complete_ticket_refunds().await?)
    }

    async fn complete_refunds<P: Payable>(&self) -> Result<usize, ApiError> {
        // Give the request that asked for the refund its lease to make it first.
        let before = Utc::now() - self.config.idempotency_lease;
        let mut conn = self.pool.get().await?;
        let due = conn
            .build_transaction()
            .run(async |conn: &mut AsyncPgConnection| {
                P::claim_refunds_due(conn, before, BATCH).await
            })
            .await?;
        drop(conn);
        let mut done = 0;
        for key in due {
            if self.settle_refund::<P>(key).await.is_ok() {
                done += 1;
            }
        }
        Ok(done)
    }
}
