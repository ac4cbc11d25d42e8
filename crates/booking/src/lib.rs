//! The booking service: accounts, professionals, availability, bookings,
//! events, ticket orders and tickets.

pub mod accounts;
pub mod api;
pub mod auth;
pub mod bookings;
pub mod checkin;
pub mod codes;
pub mod config;
pub mod custody;
pub mod demo;
pub mod demo_events;
pub mod events;
pub mod failure;
pub mod faults;
pub mod idempotency;
pub mod invalid;
pub mod jobs;
pub mod notify;
pub mod orders;
pub mod payments;
pub mod rate_limit;
pub mod schedules;
pub mod state;
pub mod stripe;
pub mod ui;
pub mod waitlist;

use poem::Endpoint;
use poem_openapi::OpenApiService;

pub use config::Config;
pub use state::AppState;

/// Counts a booking outcome for `/metrics`.
pub fn count_outcome(outcome: &str) {
    static OUTCOMES: slotwise_web::metrics::Metric = slotwise_web::metrics::Metric::new(
        "booking_outcomes_total",
        "Booking outcomes: created, conflict, confirmed, expired, refunded.",
    );
    OUTCOMES.inc(&[("outcome", outcome)]);
}

pub fn openapi_service() -> OpenApiService<api::Api, ()> {
    OpenApiService::new(api::api(), "Slotwise booking", env!("CARGO_PKG_VERSION"))
        .description("Accounts, professionals, availability and idempotent bookings.")
}

/// The whole service as one endpoint; `main` serves it and tests spawn it.
pub fn build_app(state: AppState) -> impl Endpoint {
    let hardening = state.config.hardening.clone();
    let ui = state.config.ui.clone();
    let api = slotwise_web::app::build(openapi_service(), &hardening, state.pool.clone(), state);
    // The app's files get the same security headers as the API's answers.
    hardening.security_headers(ui::around(api, ui))
}
