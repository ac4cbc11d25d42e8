//! The delivery loop of one instance: fan out and send, again at once while
//! batches come full, else after `NOTIFY_INTERVAL_MS`. Safe with many instances (rows are claimed
//! `SKIP LOCKED`); a round in progress finishes on shutdown.

use crate::AppState;
use std::time::Duration;

pub fn spawn_notifier(
    state: &AppState,
    mut stop: tokio::sync::watch::Receiver<bool>,
) -> tokio::task::JoinHandle<()> {
    let state = state.clone();
    tokio::spawn(async move {
        let pause = state.config.notify.interval.max(Duration::from_millis(10));
        loop {
            let more = crate::notify::send::notify_round(&state)
                .await
                .unwrap_or_else(|e| {
                    tracing::warn!(error = %e, "notification round failed");
                    false
                });
            if more && !*stop.borrow() {
                continue;
            }
            tokio::select! {
                _ = tokio::time::sleep(pause) => {}
                _ = stop.changed() => break,
            }
            if *stop.borrow() {
                break;
            }
        }
        tracing::info!("notification loop stopped");
    })
}
