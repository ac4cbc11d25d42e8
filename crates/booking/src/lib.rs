//! The booking service: accounts, professionals, availability, bookings.

pub mod api;
pub mod auth;
pub mod booking_flow;
pub mod config;
pub mod demo;
pub mod faults;
pub mod idempotency;
pub mod jobs;
pub mod payments;
pub mod rate_limit;

use poem::{Endpoint, EndpointExt};
use poem_openapi::OpenApiService;
use slotwise_db::DbPool;

pub use config::Config;

/// Counts a booking outcome for `/metrics`.
pub fn count_outcome(outcome: &str) {
    slotwise_web::metrics::inc(
        "booking_outcomes_total",
        "Booking outcomes: created, conflict, confirmed, expired, refunded.",
        &[("outcome", outcome)],
    );
}

/// Everything a request handler needs.
#[derive(Clone)]
pub struct AppState {
    pub pool: DbPool,
    pub config: Config,
    pub stripe: payments::stripe::Stripe,
    pub limits: rate_limit::Limits,
    #[cfg(feature = "fault-injection")]
    pub faults: faults::Faults,
}

impl AppState {
    pub fn new(config: Config) -> anyhow::Result<Self> {
        let pool = slotwise_db::build_pool(&config.database_url, config.pool_size)?;
        let stripe = payments::stripe::Stripe::new(
            &config.stripe_secret_key,
            &config.stripe_api_base,
            config.stripe_timeout,
        )?;
        let limits =
            rate_limit::Limits::new(config.auth_rate_per_minute, config.booking_rate_per_minute);
        Ok(Self {
            pool,
            config,
            stripe,
            limits,
            #[cfg(feature = "fault-injection")]
            faults: faults::Faults::default(),
        })
    }
}

pub fn openapi_service() -> OpenApiService<api::Api, ()> {
    OpenApiService::new(api::api(), "Slotwise booking", env!("CARGO_PKG_VERSION"))
        .description("Accounts, professionals, availability and idempotent bookings.")
}

/// The whole service as one endpoint; `main` serves it and tests spawn it.
pub fn build_app(state: AppState) -> impl Endpoint {
    let routes = state
        .config
        .hardening
        .apply(slotwise_web::docs::routes(openapi_service()));
    routes
        .data(state.pool.clone())
        .data(state)
        .around(slotwise_web::request_id::around)
}
