//! Configuration of the search service, from environment variables only.
//!
//! | variable | default | meaning |
//! |---|---|---|
//! | `SEARCH_DATABASE_URL` | `DATABASE_URL`, else `postgres://postgres@127.0.0.1:5432/slotwise` | database to read (a replica is fine) |
//! | `DATABASE_POOL_SIZE` | `16` | connections per instance |
//! | `SEARCH_LISTEN` | `127.0.0.1:3001` | address to serve on |
//! | `DATABASE_STATEMENT_TIMEOUT_MS` | `5000` | longer queries are cut off and answered 503 |

use anyhow::Context;

#[derive(Clone)]
pub struct Config {
    pub database_url: String,
    pub pool_size: usize,
    pub listen: String,
    pub statement_timeout: std::time::Duration,
    /// Body limit, security headers, CORS (`MAX_BODY_BYTES`, `CORS_ALLOWED_ORIGINS`).
    pub hardening: slotwise_web::hardening::Hardening,
}

pub const DEFAULT_DATABASE_URL: &str = "postgres://postgres@127.0.0.1:5432/slotwise";

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

impl Config {
    pub fn from_env() -> anyhow::Result<Self> {
        Ok(Self {
            database_url: env("SEARCH_DATABASE_URL")
                .or_else(|| env("DATABASE_URL"))
                .unwrap_or_else(|| DEFAULT_DATABASE_URL.to_owned()),
            pool_size: env("DATABASE_POOL_SIZE")
                .map(|v| v.parse())
                .transpose()
                .context("DATABASE_POOL_SIZE is not a number")?
                .unwrap_or(16),
            listen: env("SEARCH_LISTEN").unwrap_or_else(|| "127.0.0.1:3001".to_owned()),
            statement_timeout: env("DATABASE_STATEMENT_TIMEOUT_MS")
                .map(|v| v.parse().map(std::time::Duration::from_millis))
                .transpose()
                .context("DATABASE_STATEMENT_TIMEOUT_MS is not a number of milliseconds")?
                .unwrap_or(slotwise_db::pool::DEFAULT_STATEMENT_TIMEOUT),
            hardening: slotwise_web::hardening::Hardening::from_env()?,
        })
    }

    pub fn for_database(database_url: &str) -> Self {
        Self {
            database_url: database_url.to_owned(),
            pool_size: 8,
            listen: "127.0.0.1:0".to_owned(),
            statement_timeout: slotwise_db::pool::DEFAULT_STATEMENT_TIMEOUT,
            hardening: slotwise_web::hardening::Hardening::default(),
        }
    }
}
