//! Background jobs. Each has a `run_once` that tests call; `spawn` loops them.
//! All are safe with many instances: rows are claimed `FOR UPDATE SKIP LOCKED`.

use crate::AppState;
use crate::payments::apply_intent;
use chrono::Utc;
use slotwise_db::AsyncPgConnection;
use slotwise_db::bookings::{Booking, EXPIRED, PENDING};
use slotwise_db::idempotency::IdempotencyRecord;
use slotwise_web::ApiError;
use slotwise_web::metrics::Metric;
use std::time::Duration;

const BATCH: i64 = 100;

impl AppState {
    /// Expires unpaid holds (freeing their slots) and cancels their PaymentIntents.
    pub async fn expire_holds_once(&self) -> Result<usize, ApiError> {
        let mut conn = self.pool.get().await?;
        let expired = conn
            .build_transaction()
            .run(async |conn: &mut AsyncPgConnection| {
                let due = Booking::lock_expired_holds(conn, BATCH).await?;
                let mut expired = Vec::new();
                for b in due {
                    if let Some(b) = Booking::transition(
                        conn,
                        b.key(),
                        &[PENDING],
                        EXPIRED,
                        "hold expired unpaid",
                        "job:expire_holds",
                    )
                    .await?
                    {
                        expired.push(b);
                    }
                }
                Ok::<_, slotwise_db::DbError>(expired)
            })
            .await?;
        drop(conn);
        for _ in &expired {
            crate::count_outcome("expired");
        }
        for booking in &expired {
            if let Some(intent) = &booking.payment_intent_id {
                // A payment that raced ahead arrives as `succeeded` and is handled as a late payment.
                if let Ok(intent) = self.stripe.cancel_intent(intent).await {
                    let mut conn = self.pool.get().await?;
                    Booking::record_payment(&mut conn, booking.key(), &intent.status, None).await?;
                }
            }
        }
        Ok(expired.len())
    }

    /// Asks Stripe about bookings it may not have told us about: pending ones
    /// whose webhook was lost, released ones whose intent may still be payable,
    /// failed ones whose intent creation timed out. Applies what it says.
    pub async fn reconcile_once(&self) -> Result<usize, ApiError> {
        let before = Utc::now() - self.config.reconcile_after;
        let mut conn = self.pool.get().await?;
        let stale = conn
            .build_transaction()
            .run(async |conn: &mut AsyncPgConnection| {
                let stale = Booking::lock_unsettled(conn, before, BATCH).await?;
                for b in &stale {
                    Booking::touch(conn, b.key()).await?;
                }
                Ok::<_, slotwise_db::DbError>(stale)
            })
            .await?;
        // No connection is held while Stripe is asked (up to 100 pages per booking).
        drop(conn);
        let mut settled = 0;
        for booking in stale {
            let found = match &booking.payment_intent_id {
                Some(id) => self.stripe.retrieve_intent(id).await.map(Some),
                None => self.stripe.find_intent(booking.id).await,
            };
            let intent = match found {
                Ok(Some(intent)) => intent,
                Ok(None) => {
                    // Stripe never made one: the outcome is known now.
                    let mut conn = self.pool.get().await?;
                    Booking::record_payment(
                        &mut conn,
                        booking.key(),
                        "none",
                        booking.payment_error.as_deref(),
                    )
                    .await?;
                    continue;
                }
                Err(_) => continue,
            };
            let applied = {
                let mut conn = self.pool.get().await?;
                slotwise_db::serializable!(conn, async |conn: &mut AsyncPgConnection| {
                    apply_intent(conn, &intent, "job:reconcile").await
                })?
            };
            self.after_applied(&applied).await;
            let payable = !matches!(intent.status.as_str(), "succeeded" | "canceled");
            if payable && booking.status != PENDING {
                // The booking let go of its slot: its intent must not stay payable.
                if let Ok(canceled) = self.stripe.cancel_intent(&intent.id).await {
                    let mut conn = self.pool.get().await?;
                    Booking::record_payment(&mut conn, booking.key(), &canceled.status, None)
                        .await?;
                }
            }
            settled += 1;
        }
        Ok(settled)
    }

    /// Finishes requests whose process died between phases (their lease ran
    /// out). Claims one key at a time, so each is finished well within its lease.
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
            let Some(booking_id) = record.booking_id else {
                continue;
            };
            let mut conn = self.pool.get().await?;
            let Some(booking) = Booking::locate(&mut conn, booking_id).await? else {
                continue;
            };
            drop(conn);
            let payment_method = record
                .request_body
                .get("payment_method")
                .and_then(|v| v.as_str());
            match self
                .complete_payment(&record.scope, &record.key, booking, payment_method, true)
                .await
            {
                Ok(_) => done += 1,
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
        // Give the request that asked for the refund its lease to make it first.
        let before = Utc::now() - self.config.idempotency_lease;
        let mut conn = self.pool.get().await?;
        let due = conn
            .build_transaction()
            .run(async |conn: &mut AsyncPgConnection| {
                Booking::claim_refunds_due(conn, before, BATCH).await
            })
            .await?;
        drop(conn);
        let mut done = 0;
        for booking_id in due {
            if self.settle_refund(booking_id).await.is_ok() {
                done += 1;
            }
        }
        Ok(done)
    }

    /// Forgets idempotency keys past their 24 h.
    pub async fn purge_keys_once(&self) -> Result<usize, ApiError> {
        let mut conn = self.pool.get().await?;
        Ok(IdempotencyRecord::purge_expired(&mut conn, 1000).await?)
    }

    /// Every job once, in order, each on its own: one failing does not stop the
    /// others. Returns how much each did (0 for one that failed, which is logged).
    pub async fn run_jobs_once(&self) -> [usize; 5] {
        [
            timed("complete_keys", self.complete_keys_once()).await,
            timed("expire_holds", self.expire_holds_once()).await,
            timed("reconcile", self.reconcile_once()).await,
            timed("complete_refunds", self.complete_refunds_once()).await,
            timed("purge_keys", self.purge_keys_once()).await,
        ]
    }

    /// Loops the jobs every `JOBS_INTERVAL_SECS` until `stop` turns true; a
    /// round in progress is finished first (graceful shutdown).
    pub fn spawn_jobs(
        &self,
        mut stop: tokio::sync::watch::Receiver<bool>,
    ) -> tokio::task::JoinHandle<()> {
        let state = self.clone();
        tokio::spawn(async move {
            let mut tick =
                tokio::time::interval(state.config.jobs_interval.max(Duration::from_millis(100)));
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tokio::select! {
                    _ = tick.tick() => {}
                    _ = stop.changed() => break,
                }
                if *stop.borrow() {
                    break;
                }
                let counts = state.run_jobs_once().await;
                if counts.iter().any(|&n| n > 0) {
                    tracing::info!(?counts, "jobs: keys, holds, reconciled, refunds, purged");
                }
            }
            tracing::info!("job loop stopped");
        })
    }
}

/// Runs one job, counting and timing it for `/metrics`; a failure is logged and counts 0.
async fn timed(
    job: &'static str,
    run: impl std::future::Future<Output = Result<usize, ApiError>>,
) -> usize {
    let started = std::time::Instant::now();
    let result = run.await;
    let outcome = if result.is_ok() { "ok" } else { "error" };
    static RUNS: Metric = Metric::new("job_runs_total", "Background job rounds by result.");
    static DURATION: Metric = Metric::new("job_duration_seconds", "Background job round duration.");
    RUNS.inc(&[("job", job), ("result", outcome)]);
    DURATION.observe(&[("job", job)], started.elapsed().as_secs_f64());
    result.unwrap_or_else(|e| {
        tracing::warn!(job, error = %e, "job failed this round");
        0
    })
}
