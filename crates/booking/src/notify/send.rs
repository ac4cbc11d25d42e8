//! The sending job: due deliveries claimed with a lease, sent concurrently,
//! each then marked sent, retried later (exponential backoff with jitter) or
//! dead. A webhook endpoint failing `WEBHOOK_DISABLE_AFTER` times in a row is
//! disabled and its pending deliveries die with it.

use super::email::compose;
use super::envelope;
use super::webhooks::{Target, post};
use crate::AppState;
use crate::failure::Failure;
use crate::faults::CrashPoint;
use chrono::Utc;
use futures::StreamExt;
use slotwise_db::notify::deliveries::{self, Due, EMAIL, NATS, WEBHOOK};
use slotwise_db::notify::endpoints::Endpoint;
use slotwise_web::metrics::Metric;
use std::time::Duration;
use tracing::Instrument;

/// Deliveries claimed per round.
const BATCH: i64 = 200;
/// Deliveries in flight at once per instance.
const CONCURRENCY: usize = 32;

static NOTIFICATIONS: Metric = Metric::new(
    "notifications_total",
    "Notification delivery attempts by channel and outcome (sent, retried, dead).",
);
static WAITING: Metric = Metric::new(
    "notifications_oldest_waiting_seconds",
    "Age of the oldest notification not yet delivered (outbox row or pending delivery).",
);
static DISABLED: Metric = Metric::new(
    "webhook_endpoints_disabled_total",
    "Webhook endpoints disabled after repeated failures.",
);

/// What one attempt came to.
struct Outcome {
    status: Option<i32>,
    error: Option<String>,
    /// Not worth trying again (a mail server's permanent refusal, a mail that cannot be made).
    permanent: bool,
}

impl Outcome {
    fn sent(status: Option<i32>) -> Self {
        Outcome {
            status,
            error: None,
            permanent: false,
        }
    }

    fn failed(error: String, permanent: bool) -> Self {
        Outcome {
            status: None,
            error: Some(error),
            permanent,
        }
    }
}

/// Sends up to one batch of due deliveries; how many were attempted.
pub async fn send_once(state: &AppState) -> Result<usize, Failure> {
    let due = {
        let mut conn = state.pool.get().await?;
        let waiting = deliveries::oldest_waiting_secs(&mut conn).await?;
        WAITING.set(&[], waiting);
        deliveries::claim_due(&mut conn, BATCH, state.config.notify.lease).await?
    };
    let count = due.len();
    // No send starts after half the lease: one started before then ends
    // (timeouts: 10 s SMTP, 5 s webhook) inside the lease (at least 30 s
    // from the environment), so no other instance claims it meanwhile.
    // What is left is sent once its lease runs out.
    // (A zero lease, in tests that crash the sender, sets no deadline.)
    let lease = state.config.notify.lease;
    let deadline = (!lease.is_zero()).then(|| std::time::Instant::now() + lease / 2);
    let results: Vec<Result<(), Failure>> = futures::stream::iter(due)
        .filter(move |_| std::future::ready(deadline.is_none_or(|d| std::time::Instant::now() < d)))
        .map(|d| send_one(state, d))
        .buffer_unordered(CONCURRENCY)
        .collect()
        .await;
    if let Some(Err(e)) = results.into_iter().find(Result::is_err) {
        return Err(e);
    }
    Ok(count)
}

/// One round of the loop: fan out, then send. True when either had a
/// full batch (more is waiting: go again at once); otherwise the loop
/// pauses, so a busy service pays for one round per interval, not a
/// round per row.
pub async fn notify_round(state: &AppState) -> Result<bool, Failure> {
    let (dispatched, sent) = fan_out_and_send(state).await?;
    Ok(dispatched >= super::dispatch::BATCH as usize || sent >= BATCH as usize)
}

/// How many outbox rows were fanned out and deliveries attempted.
async fn fan_out_and_send(state: &AppState) -> Result<(usize, usize), Failure> {
    let dispatched = crate::notify::dispatch::dispatch_once(state).await?;
    Ok((dispatched, send_once(state).await?))
}

/// Dispatch and send until nothing is left to do now (tests, scripts).
pub async fn notify_until_idle(state: &AppState) -> Result<usize, Failure> {
    let mut total = 0;
    loop {
        let (dispatched, sent) = fan_out_and_send(state).await?;
        total += sent;
        if dispatched == 0 && sent == 0 {
            return Ok(total);
        }
    }
}

async fn send_one(state: &AppState, due: Due) -> Result<(), Failure> {
    let span = tracing::info_span!(
        target: "slotwise_trace",
        parent: None,
        "delivery",
        otel.name = format!("deliver {}", channel_label(&due.channel)),
        otel.kind = "producer",
        delivery.id = %due.id,
        delivery.topic = %due.topic,
        delivery.attempt = due.attempts,
        otel.status_code = tracing::field::Empty,
        error.message = tracing::field::Empty,
    );
    let outcome = attempt(state, &due).instrument(span.clone()).await;
    if let Some(error) = &outcome.error {
        slotwise_web::otel::fail(&span, error);
    }
    // Sent but not yet marked: a crash here sends it again after the lease.
    state
        .faults
        .crash_point(CrashPoint::AfterNotificationSent)?;
    let mut conn = state.pool.get().await?;
    let channel = channel_label(&due.channel);
    match outcome.error {
        None => {
            deliveries::mark_sent(&mut conn, due.id, outcome.status).await?;
            if let Some(endpoint) = due.endpoint_id {
                Endpoint::record_success(&mut conn, endpoint).await?;
            }
            NOTIFICATIONS.inc(&[("channel", channel), ("outcome", "sent")]);
        }
        Some(error) => {
            let config = &state.config.notify;
            let give_up = outcome.permanent || due.attempts >= config.max_attempts;
            let retry_at =
                (!give_up).then(|| Utc::now() + backoff(config.retry_base, due.attempts));
            deliveries::mark_failed(&mut conn, due.id, outcome.status, &error, retry_at).await?;
            let label = if give_up { "dead" } else { "retried" };
            NOTIFICATIONS.inc(&[("channel", channel), ("outcome", label)]);
            tracing::info!(delivery = %due.id, channel, attempt = due.attempts, %error, outcome = label, "notification not delivered");
            if let Some(endpoint) = due.endpoint_id
                && Endpoint::record_failure(&mut conn, endpoint, config.webhook_disable_after)
                    .await?
            {
                let killed = deliveries::kill_pending_of_endpoint(&mut conn, endpoint).await?;
                DISABLED.inc(&[]);
                tracing::warn!(%endpoint, killed, "webhook endpoint disabled after repeated failures");
            }
        }
    }
    Ok(())
}

async fn attempt(state: &AppState, due: &Due) -> Outcome {
    let notifier = &state.notifier;
    let failed = Outcome::failed;
    match due.channel.as_str() {
        EMAIL => {
            let Some(mailer) = &notifier.mailer else {
                return failed("SMTP_URL is not set".to_owned(), false);
            };
            let message = compose(
                mailer.mailbox(),
                &due.target,
                due.outbox_id,
                &due.topic,
                &due.payload,
                &due.mail,
                due.occurred_at,
            );
            match message {
                Err(e) => failed(e, true),
                Ok(message) => match mailer.send(message).await {
                    Ok(()) => Outcome::sent(None),
                    Err(e) => failed(e.message, e.permanent),
                },
            }
        }
        WEBHOOK => {
            let (Some(url), Some(secret)) = (&due.url, &due.secret) else {
                return failed("the endpoint was deleted".to_owned(), true);
            };
            let body = envelope(due.outbox_id, &due.topic, due.occurred_at, &due.payload);
            let target = Target {
                url,
                secret,
                event_id: due.outbox_id,
                topic: &due.topic,
                attempt: due.attempts,
            };
            let allow_private = state.config.notify.allow_private_urls;
            let attempted = post(&notifier.http, target, body, allow_private).await;
            Outcome {
                status: attempted.status.map(i32::from),
                error: attempted.error,
                permanent: false,
            }
        }
        NATS => {
            let Some(bus) = &notifier.bus else {
                return failed("NATS_URL is not set".to_owned(), false);
            };
            let body = envelope(due.outbox_id, &due.topic, due.occurred_at, &due.payload);
            match bus.publish(&due.target, due.outbox_id, body).await {
                Ok(()) => Outcome::sent(None),
                Err(e) => failed(e, false),
            }
        }
        other => failed(format!("unknown channel {other}"), true),
    }
}

fn channel_label(channel: &str) -> &'static str {
    match channel {
        EMAIL => "email",
        WEBHOOK => "webhook",
        NATS => "nats",
        _ => "other",
    }
}

/// The pause before attempt `attempts + 1`: `base * 2^(attempts-1)`, at most
/// an hour, of which a random half is taken off (jitter, so that retries of
/// one outage do not arrive together).
pub fn backoff(base: Duration, attempts: i32) -> chrono::Duration {
    let exp = u32::try_from(attempts.saturating_sub(1).clamp(0, 20)).unwrap_or(0);
    let full = base
        .saturating_mul(2u32.saturating_pow(exp))
        .min(Duration::from_secs(3600));
    let jitter = rand::random::<f64>() * 0.5;
    let pause = full.mul_f64(1.0 - jitter);
    chrono::Duration::from_std(pause).unwrap_or(chrono::Duration::hours(1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_is_capped_and_jittered_down_by_at_most_half() {
        let base = Duration::from_secs(2);
        for (attempts, full) in [(1, 2), (2, 4), (3, 8), (12, 3600), (50, 3600)] {
            let pause = backoff(base, attempts).num_milliseconds();
            assert!(
                pause <= full * 1000 && pause >= full * 500,
                "{attempts}: {pause}"
            );
        }
    }
}
