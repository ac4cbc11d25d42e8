//! `search [serve|migrate|openapi]`

use anyhow::Context;
use slotwise_search::{AppState, Config, build_app, openapi_service};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    slotwise_web::telemetry::init("search");
    let result = run().await;
    slotwise_web::otel::shutdown().await;
    result
}

async fn run() -> anyhow::Result<()> {
    let config = Config::from_env()?;
    match std::env::args().nth(1).as_deref().unwrap_or("serve") {
        "serve" => {
            let bound = slotwise_web::serve::bind(&config.listen)
                .await
                .with_context(|| format!("cannot listen on {}", config.listen))?;
            tracing::info!(addr = %bound.addr, "search service listening");
            let state = AppState::new(&config)?;
            slotwise_web::app::spawn_metrics(&config.hardening, &state.pool).await?;
            bound
                .serve(build_app(state), slotwise_web::serve::shutdown_signal())
                .await?;
            Ok(())
        }
        "migrate" => {
            let applied = slotwise_db::migrate::run_pending(&config.database_url).await?;
            tracing::info!(count = applied.len(), "migrations applied");
            Ok(())
        }
        "openapi" => {
            println!("{}", slotwise_web::docs::document(&openapi_service()));
            Ok(())
        }
        _ => Err(anyhow::anyhow!("usage: search [serve | migrate | openapi]")),
    }
}
