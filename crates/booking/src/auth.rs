//! Who is calling: Argon2id passwords, opaque session tokens stored hashed.

use crate::AppState;
use crate::failure::Failure;
use argon2::Argon2;
use argon2::password_hash::{
    PasswordHash, PasswordHasher, PasswordVerifier, SaltString, rand_core::OsRng,
};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use poem_openapi::SecurityScheme;
use poem_openapi::auth::Bearer;
use rand::RngCore;
use sha2::{Digest, Sha256};
use slotwise_db::users::{Session, User};

/// A session token from `POST /api/users/signin`, sent as `Authorization: Bearer <token>`.
#[derive(SecurityScheme)]
#[oai(ty = "bearer", bearer_format = "opaque")]
pub struct BearerAuth(pub Bearer);

/// Endpoints that also serve anonymous callers.
#[derive(SecurityScheme)]
pub enum MaybeAuth {
    Bearer(BearerAuth),
    #[oai(fallback)]
    Anonymous,
}

pub async fn hash_password(password: String) -> Result<String, Failure> {
    tokio::task::spawn_blocking(move || {
        let salt = SaltString::generate(&mut OsRng);
        Argon2::default()
            .hash_password(password.as_bytes(), &salt)
            .map(|h| h.to_string())
    })
    .await
    .map_err(|_| Failure::Broken("the password hasher panicked"))?
    .map_err(|_| Failure::Broken("a password could not be hashed"))
}

/// Constant work whether or not the user exists, so timing tells nothing.
pub async fn verify_password(password: String, stored_hash: Option<String>) -> bool {
    const DUMMY: &str = "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$4fs3x0yLx4T1lyXU3BW6U1nyTbOTJ1B6vQU5T0jm+Kw";
    tokio::task::spawn_blocking(move || {
        let exists = stored_hash.is_some();
        let hash = stored_hash.unwrap_or_else(|| DUMMY.to_owned());
        let ok = PasswordHash::new(&hash)
            .map(|parsed| {
                Argon2::default()
                    .verify_password(password.as_bytes(), &parsed)
                    .is_ok()
            })
            .unwrap_or(false);
        ok && exists
    })
    .await
    .unwrap_or(false)
}

/// A fresh random token (what the client keeps) and its hash (what we keep).
pub fn new_token() -> (String, Vec<u8>) {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    let token = URL_SAFE_NO_PAD.encode(bytes);
    let hash = token_hash(&token);
    (token, hash)
}

pub fn token_hash(token: &str) -> Vec<u8> {
    Sha256::digest(token.as_bytes()).to_vec()
}

/// Why a caller is not who they say (`api/` answers 401).
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    #[error("the session token is invalid, expired or revoked")]
    InvalidSession,
    #[error(transparent)]
    Failure(#[from] Failure),
}

crate::failure_sources!(AuthError);

/// The user behind a bearer token.
pub async fn authenticate(state: &AppState, auth: &BearerAuth) -> Result<User, AuthError> {
    let mut conn = state.pool.get().await?;
    Session::find_user(&mut conn, &token_hash(&auth.0.token))
        .await?
        .ok_or(AuthError::InvalidSession)
}

/// The user if a token was sent (it must then be valid), else `None`.
pub async fn authenticate_optional(
    state: &AppState,
    auth: &MaybeAuth,
) -> Result<Option<User>, AuthError> {
    match auth {
        MaybeAuth::Bearer(bearer) => authenticate(state, bearer).await.map(Some),
        MaybeAuth::Anonymous => Ok(None),
    }
}

pub fn is_admin(user: &User) -> bool {
    user.role == "admin"
}
