//! The search service: read-only queries over professionals and their free
//! time, and over events.

pub mod api;
pub mod config;
pub mod events;
pub mod query;
pub mod travel;

use poem::Endpoint;
use poem_openapi::OpenApiService;
use slotwise_db::DbPool;

pub use config::Config;

#[derive(Clone)]
pub struct AppState {
    pub pool: DbPool,
    pub hardening: slotwise_web::hardening::Hardening,
}

impl AppState {
    pub fn new(config: &Config) -> anyhow::Result<Self> {
        Ok(Self {
            pool: slotwise_db::build_pool(
                &config.database_url,
                config.pool_size,
                config.statement_timeout,
            )?,
            hardening: config.hardening.clone(),
        })
    }
}

pub fn openapi_service() -> OpenApiService<(api::SearchApi, events::EventsApi), ()> {
    OpenApiService::new(
        (api::SearchApi, events::EventsApi),
        "Slotwise search",
        env!("CARGO_PKG_VERSION"),
    )
    .description("Find professionals by place, category, rate and free time, and events by place, date and words.")
}

pub fn build_app(state: AppState) -> impl Endpoint {
    let hardening = state.hardening.clone();
    slotwise_web::app::build(openapi_service(), &hardening, state.pool.clone(), state)
}
