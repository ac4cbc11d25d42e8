//! `booking [serve|migrate|openapi|demo-data]`

use anyhow::Context;
use slotwise_booking::{AppState, Config, build_app, demo, openapi_service};

fn usage() -> anyhow::Error {
    anyhow::anyhow!(
        "usage: booking [serve | migrate | distribute | openapi | demo-data [EXTRA_PROFESSIONALS] | jobs-once]"
    )
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    slotwise_web::telemetry::init("booking");
    let result = run().await;
    slotwise_web::otel::shutdown().await;
    result
}

async fn run() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str).unwrap_or("serve") {
        "serve" => serve().await,
        "migrate" => {
            let config = Config::from_env()?;
            let applied = slotwise_db::migrate::run_pending(&config.database_url).await?;
            tracing::info!(count = applied.len(), "migrations applied");
            Ok(())
        }
        "distribute" => {
            // On Citus: reference and distributed tables (docs/SCALING.md); elsewhere nothing.
            let config = Config::from_env()?;
            let shard_count = match std::env::var("CITUS_SHARD_COUNT") {
                Ok(n) => Some(n.parse().context("CITUS_SHARD_COUNT must be a number")?),
                Err(_) => None,
            };
            let done = slotwise_db::citus::distribute_url(&config.database_url, shard_count)
                .await
                .map_err(|e| anyhow::anyhow!("distribute: {e}"))?;
            if done.is_empty() {
                tracing::info!("nothing to distribute (no citus extension, or done before)");
            }
            for line in done {
                tracing::info!("{line}");
            }
            Ok(())
        }
        "openapi" => {
            println!("{}", slotwise_web::docs::document(&openapi_service()));
            Ok(())
        }
        "demo-data" => {
            let extra = match args.get(1) {
                Some(n) => n.parse().context("EXTRA_PROFESSIONALS must be a number")?,
                None => 40,
            };
            let state = AppState::new(Config::from_env()?)?;
            let summary = demo::load(&state.pool, extra, 14).await?;
            let events = slotwise_booking::demo_events::load(&state).await?;
            tracing::info!(
                professionals = summary.professionals_added,
                windows = summary.windows_added,
                events,
                "demo data loaded (client {} / {})",
                demo::DEMO_CLIENT_EMAIL,
                demo::DEMO_PASSWORD
            );
            Ok(())
        }
        "jobs-once" => {
            let state = AppState::new(Config::from_env()?)?;
            let counts = slotwise_booking::jobs::run_jobs_once(&state).await;
            tracing::info!(
                ?counts,
                "jobs ran once: keys, holds, reconciled, refunds, purged, schedules"
            );
            Ok(())
        }
        _ => Err(usage()),
    }
}

async fn serve() -> anyhow::Result<()> {
    let config = Config::from_env()?;
    let bound = slotwise_web::serve::bind(&config.listen)
        .await
        .with_context(|| format!("cannot listen on {}", config.listen))?;
    tracing::info!(addr = %bound.addr, "booking service listening");
    let state = AppState::new(config)?;
    slotwise_web::app::spawn_metrics(&state.config.hardening, &state.pool).await?;
    let (stop_jobs, jobs_stopped) = tokio::sync::watch::channel(false);
    let jobs = state
        .config
        .jobs_enabled
        .then(|| slotwise_booking::jobs::spawn_jobs(&state, jobs_stopped.clone()));
    let notifier = (state.config.notify.enabled)
        .then(|| slotwise_booking::notify::worker::spawn_notifier(&state, jobs_stopped));
    // In-flight requests finish first (30 s at most), then the job round in progress.
    bound
        .serve(build_app(state), slotwise_web::serve::shutdown_signal())
        .await?;
    let _ = stop_jobs.send(true);
    for task in [jobs, notifier].into_iter().flatten() {
        let _ = tokio::time::timeout(std::time::Duration::from_secs(30), task).await;
    }
    Ok(())
}
