//! Background jobs. Each has a `*_once` that tests call; `spawn_jobs` loops
//! them. All are safe with many instances: rows are claimed `FOR UPDATE SKIP
//! LOCKED`. Each job works on every [`Payable`](crate::payments::Payable)
//! kind: bookings and ticket orders.

pub mod completer;
pub mod holds;
pub mod reconcile;

use crate::AppState;
use crate::failure::Failure;
use slotwise_db::idempotency::IdempotencyRecord;
use slotwise_db::intent_traces::IntentTrace;
use slotwise_web::metrics::Metric;
use std::time::Duration;
use tracing::Instrument;

pub(crate) const BATCH: i64 = 100;

/// Forgets idempotency keys past their 24 h, and intents' trace links
/// past theirs.
pub async fn purge_keys_once(state: &AppState) -> Result<usize, Failure> {
    let mut conn = state.pool.get().await?;
    let keys = IdempotencyRecord::purge_expired(&mut conn, 1000).await?;
    Ok(keys + IntentTrace::purge_old(&mut conn, 1000).await?)
}

/// Every job once, in order, each on its own: one failing does not stop the
/// others. Returns how much each did (0 for one that failed, which is logged).
pub async fn run_jobs_once(state: &AppState) -> [usize; 7] {
    [
        timed(
            "complete_keys",
            crate::jobs::completer::complete_keys_once(state),
        )
        .await,
        timed("expire_holds", crate::jobs::holds::expire_holds_once(state)).await,
        timed("lapse_offers", crate::waitlist::lapse_due_once(state)).await,
        timed("reconcile", crate::jobs::reconcile::reconcile_once(state)).await,
        timed(
            "complete_refunds",
            crate::payments::refunds::complete_refunds_once(state),
        )
        .await,
        timed("purge_keys", purge_keys_once(state)).await,
        timed(
            "open_schedules",
            crate::schedules::extend_due(&state.pool, BATCH),
        )
        .await,
    ]
}

/// Loops the jobs every `JOBS_INTERVAL_SECS` until `stop` turns true; a
/// round in progress is finished first (graceful shutdown).
pub fn spawn_jobs(
    state: &AppState,
    mut stop: tokio::sync::watch::Receiver<bool>,
) -> tokio::task::JoinHandle<()> {
    let state = state.clone();
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
            let counts = run_jobs_once(&state).await;
            if counts.iter().any(|&n| n > 0) {
                tracing::info!(
                    ?counts,
                    "jobs: keys, holds, reconciled, refunds, purged, schedules"
                );
            }
        }
        tracing::info!("job loop stopped");
    })
}

/// Runs one job round, counting and timing it for `/metrics` and, when
/// traces are on, as a trace of its own (`job <name>`); a failure is logged
/// and counts 0.
async fn timed(
    job: &'static str,
    run: impl std::future::Future<Output = Result<usize, Failure>>,
) -> usize {
    let span = tracing::info_span!(
        target: "slotwise_trace",
        parent: None,
        "job",
        otel.name = format!("job {job}"),
        job.name = job,
        job.done = tracing::field::Empty,
        otel.status_code = tracing::field::Empty,
        error.message = tracing::field::Empty,
    );
    let started = std::time::Instant::now();
    let result = run.instrument(span.clone()).await;
    match &result {
        Ok(done) => {
            span.record("job.done", done);
        }
        Err(e) => slotwise_web::otel::fail(&span, &e.to_string()),
    }
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
