//! Logging: human-readable by default, JSON lines with `LOG_FORMAT=json`,
//! filtered by `RUST_LOG`. Request spans carry the request id; nothing logs a
//! token, password, card field or Stripe secret (config `Debug` hides them).
//! Traces go out over OTLP when the `OTEL_*` variables ask (`crate::otel`).

use std::io::IsTerminal;
use tracing::level_filters::LevelFilter;
use tracing_subscriber::filter::{EnvFilter, FilterExt, Targets, filter_fn};
use tracing_subscriber::layer::Filter;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::registry::LookupSpan;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{Layer, Registry};

/// Libraries whose debug and trace output can carry secrets: tokio-postgres
/// logs every query's parameters (password hashes, session token hashes,
/// Stripe client secrets), the HTTP stacks log headers and bodies.
const CAPPED_AT_INFO: [&str; 5] = ["tokio_postgres", "hyper", "hyper_util", "h2", "reqwest"];

/// `RUST_LOG`'s filter; an unparsable spec falls back to `info`.
pub fn filter(spec: &str) -> EnvFilter {
    EnvFilter::try_new(spec).unwrap_or_else(|_| EnvFilter::new("info"))
}

/// The cap on [`CAPPED_AT_INFO`] (and their modules). It is a separate filter
/// that every event must also pass, so no `RUST_LOG` directive lifts it: not a
/// more specific target (`tokio_postgres::query=trace`) nor a span rule
/// (`[request]=trace`).
pub fn secret_cap() -> Targets {
    CAPPED_AT_INFO.iter().fold(
        Targets::new().with_default(LevelFilter::TRACE),
        |t, target| t.with_target(*target, LevelFilter::INFO),
    )
}

/// The log output's own cap: [`secret_cap`], and no span made only for
/// traces ([`crate::otel::TARGET`]), so a log line's span stays the request's.
fn log_targets() -> Targets {
    secret_cap().with_target(crate::otel::TARGET, LevelFilter::OFF)
}

/// What traces take: spans of Slotwise's own crates at `info`, and their
/// warnings and errors as span events (the `info` lines, such as "request
/// finished", say what the span's own fields say already, and would cost
/// every request, sampled or not).
fn trace_targets<S>() -> impl Filter<S> + Send + Sync + use<S>
where
    S: tracing::Subscriber + for<'a> LookupSpan<'a>,
{
    let ours = crate::otel::EXPORTED
        .iter()
        .fold(Targets::new(), |t, target| {
            t.with_target(*target, LevelFilter::INFO)
        });
    ours.and(filter_fn(|meta| {
        meta.is_span() || *meta.level() <= tracing::Level::WARN
    }))
}

/// Logs to stderr and, when the environment asks, traces to OTLP (call from
/// inside the runtime; [`crate::otel::shutdown`] at exit sends the rest).
pub fn init(service: &str) {
    let env = filter(&std::env::var("RUST_LOG").unwrap_or_else(|_| "info".to_owned()));
    let json = std::env::var("LOG_FORMAT").is_ok_and(|v| v.eq_ignore_ascii_case("json"));
    let output: Box<dyn Layer<Registry> + Send + Sync> = if json {
        tracing_subscriber::fmt::layer()
            .json()
            .with_current_span(true)
            .with_span_list(false)
            .with_writer(std::io::stderr)
            .boxed()
    } else {
        tracing_subscriber::fmt::layer()
            .with_ansi(std::io::stderr().is_terminal())
            .with_writer(std::io::stderr)
            .boxed()
    };
    let traces = crate::otel::layer(service).unwrap_or_else(|e| {
        eprintln!("traces are off: {e}");
        None
    });
    let _ = tracing_subscriber::registry()
        .with(output.with_filter(env.and(log_targets())))
        .with(traces.map(|layer| layer.with_filter(trace_targets())))
        .try_init();
}
