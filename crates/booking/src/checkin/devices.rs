//! Scanner devices: an organizer creates one per door (its token is shown
//! once, scoped to that one event) and may revoke it. A device token is not
//! a session: every other endpoint refuses it.

use crate::failure::Failure;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use poem_openapi::Object;
use rand::RngCore;
use slotwise_db::checkins::Scanner;
use uuid::Uuid;

/// What starts every device token (so a leaked one is recognised as such).
pub const TOKEN_PREFIX: &str = "sct_";

#[derive(Debug, Clone, Object)]
pub struct ScannerView {
    pub id: Uuid,
    pub event_id: Uuid,
    pub name: String,
    pub created_at: DateTime<Utc>,
    #[oai(skip_serializing_if_is_none)]
    pub revoked_at: Option<DateTime<Utc>>,
    /// The device's bearer token: in the answer that creates it, never again.
    #[oai(skip_serializing_if_is_none)]
    pub token: Option<String>,
}

impl From<Scanner> for ScannerView {
    fn from(s: Scanner) -> Self {
        Self {
            id: s.id,
            event_id: s.event_id,
            name: s.name,
            created_at: s.created_at,
            revoked_at: s.revoked_at,
            token: None,
        }
    }
}

fn hash(token: &str) -> Vec<u8> {
    crate::auth::token_hash(token)
}

/// A new device of the event, with its token (shown this once).
pub async fn create(
    state: &crate::AppState,
    event_id: Uuid,
    organizer: Uuid,
    name: &str,
) -> Result<ScannerView, Failure> {
    let mut secret = [0u8; 32];
    rand::rng().fill_bytes(&mut secret);
    let token = format!("{TOKEN_PREFIX}{}", URL_SAFE_NO_PAD.encode(secret));
    let scanner = Scanner {
        event_id,
        id: Uuid::now_v7(),
        name: name.to_owned(),
        token_hash: hash(&token),
        created_by: organizer,
        created_at: Utc::now(),
        revoked_at: None,
    };
    let mut conn = state.pool.get().await?;
    Scanner::insert(&mut conn, &scanner).await?;
    let mut view = ScannerView::from(scanner);
    view.token = Some(token);
    Ok(view)
}

/// The event's device holding `token`, unless revoked.
pub async fn device(
    state: &crate::AppState,
    event_id: Uuid,
    token: &str,
) -> Result<Option<Scanner>, Failure> {
    if !token.starts_with(TOKEN_PREFIX) {
        return Ok(None);
    }
    let mut conn = state.pool.get().await?;
    Ok(Scanner::by_token(&mut conn, event_id, &hash(token)).await?)
}
