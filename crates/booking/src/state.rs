//! The handles every request and job shares: pool, configuration, Stripe,
//! rate limits (and, in test builds, the fault switch). Only handles: what is
//! done with them lives in the module that owns it, as free functions taking
//! `&AppState` (`payments::refunds::settle_refund`, `orders::create::create_order`).

use crate::config::Config;
use crate::rate_limit::Limits;
use crate::stripe::Stripe;
use slotwise_db::DbPool;

#[derive(Clone)]
pub struct AppState {
    pub pool: DbPool,
    pub config: Config,
    pub stripe: Stripe,
    pub limits: Limits,
    /// Crash points tests arm (`fault-injection`); nothing in real builds.
    pub faults: crate::faults::Faults,
    /// Mail, webhook and bus handles of the notification jobs.
    pub notifier: std::sync::Arc<crate::notify::notifier::Notifier>,
}

impl AppState {
    pub fn new(config: Config) -> anyhow::Result<Self> {
        crate::codes::configure(&config.ticket_signing_secret)?;
        crate::waitlist::configure(&config.notify.app_url, config.waitlist_offer_minutes);
        let pool = slotwise_db::build_pool(
            &config.database_url,
            config.pool_size,
            config.statement_timeout,
        )?;
        let stripe = Stripe::new(
            &config.stripe_secret_key,
            &config.stripe_api_base,
            config.stripe_timeout,
        )?;
        let limits = Limits::new(&config);
        let notifier = crate::notify::notifier::Notifier::new(&config.notify)?.into();
        Ok(Self {
            pool,
            config,
            stripe,
            limits,
            faults: crate::faults::Faults::default(),
            notifier,
        })
    }
}
