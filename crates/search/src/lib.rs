//! The search service: read-only queries over professionals and their free time.

pub mod api;
pub mod config;
pub mod travel;

use poem::{Endpoint, EndpointExt};
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
            pool: slotwise_db::build_pool(&config.database_url, config.pool_size)?,
            hardening: config.hardening.clone(),
        })
    }
}

pub fn openapi_service() -> OpenApiService<api::SearchApi, ()> {
    OpenApiService::new(api::SearchApi, "Slotwise search", env!("CARGO_PKG_VERSION"))
        .description("Find professionals by place, category, rate and free time.")
}

pub fn build_app(state: AppState) -> impl Endpoint {
    let routes = state
        .hardening
        .apply(slotwise_web::docs::routes(openapi_service()));
    routes
        .data(state.pool.clone())
        .data(state)
        .around(slotwise_web::request_id::around)
}
