//! HTTP plumbing shared by the booking and search services: problem+json
//! errors, request ids, health checks, docs, telemetry and serving.

pub mod allow;
pub mod app;
pub mod contract;
pub mod docs;
pub mod hardening;
pub mod health;
pub mod metrics;

pub mod otel;
pub mod pagination;
pub mod problem;
pub mod problems;
pub mod request_id;
pub mod serve;
pub mod telemetry;
pub mod text;
pub mod views;

pub use problem::{ApiError, FieldError, Problem};
pub use problems::Problems;
pub use text::{Plain, Text};
