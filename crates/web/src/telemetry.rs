//! Logging: human-readable by default, JSON lines with `LOG_FORMAT=json`,
//! filtered by `RUST_LOG`. Request spans carry the request id; nothing logs a
//! token, password, card field or Stripe secret (config `Debug` hides them).

use std::io::IsTerminal;
use tracing_subscriber::EnvFilter;

/// Libraries whose debug and trace output can carry secrets whatever `RUST_LOG`
/// says: tokio-postgres logs every query's parameters (password hashes, session
/// token hashes, Stripe client secrets), the HTTP stacks log headers and bodies.
const CAPPED_AT_INFO: [&str; 5] = ["tokio_postgres", "hyper", "hyper_util", "h2", "reqwest"];

pub fn filter(spec: &str) -> EnvFilter {
    let mut filter = EnvFilter::try_new(spec).unwrap_or_else(|_| EnvFilter::new("info"));
    for target in CAPPED_AT_INFO {
        if let Ok(directive) = format!("{target}=info").parse() {
            filter = filter.add_directive(directive);
        }
    }
    filter
}

pub fn init() {
    let filter = filter(&std::env::var("RUST_LOG").unwrap_or_else(|_| "info".to_owned()));
    let json = std::env::var("LOG_FORMAT").is_ok_and(|v| v.eq_ignore_ascii_case("json"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let _ = if json {
        builder
            .json()
            .with_current_span(true)
            .with_span_list(false)
            .try_init()
    } else {
        builder
            .with_ansi(std::io::stderr().is_terminal())
            .try_init()
    };
}
