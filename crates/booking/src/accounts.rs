//! Accounts you can trust with tickets: sign-up that reveals nothing about
//! which addresses have accounts, an address verified by a single-use link,
//! a password reset by another, and tickets waiting for an address (gifts,
//! comps) handed over only once that address is verified.
//!
//! Every mail goes through the outbox in the transaction that decides it
//! (`account.verify_email`, `account.signup_taken`, `account.password_reset`);
//! the link's token is kept only as a hash.

use crate::auth::{hash_password, new_token, token_hash};
use chrono::{Duration, Utc};
use slotwise_db::account_tokens::{self, Purpose};
use slotwise_db::users::User;
use slotwise_db::{AsyncPgConnection, DbError, DbPool, read_committed};
use uuid::Uuid;

/// How long a verification link works.
pub const VERIFY_TTL: Duration = Duration::days(7);
/// How long a password-reset link works.
pub const RESET_TTL: Duration = Duration::minutes(30);

/// Why a token did not work: unknown, used, expired or for something else
/// (one answer for all, so a guess learns nothing).
#[derive(Debug, thiserror::Error)]
pub enum AccountError {
    #[error("the link is invalid, expired or already used")]
    InvalidToken,
    #[error("no database connection")]
    Unavailable,
    #[error("the password could not be hashed")]
    Hashing,
    #[error(transparent)]
    Db(#[from] DbError),
}

async fn connection(pool: &DbPool) -> Result<slotwise_db::DbConn, AccountError> {
    pool.get().await.map_err(|_| AccountError::Unavailable)
}

/// A new sign-up: the account (unverified) and its verification mail; for a
/// taken address, a mail to it saying so instead. Either way the caller
/// answers the same.
pub async fn sign_up(pool: &DbPool, app_url: &str, user: User) -> Result<(), AccountError> {
    let mut conn = connection(pool).await?;
    let (token, hash) = new_token();
    let link = format!("{app_url}/#/verify-email?token={token}");
    read_committed!(conn, async |conn: &mut AsyncPgConnection| {
        match User::find_by_email(conn, &user.email).await? {
            Some(existing) => {
                let mail = serde_json::json!({ "name": existing.name, "link": format!("{app_url}/#/signin") });
                let topic = "account.signup_taken";
                account_tokens::mail(conn, topic, existing.id, &existing.email, mail).await?;
            }
            None => {
                // A racing sign-up with the address loses on the unique key and is retried.
                User::insert(conn, &user).await?;
                let expires = Utc::now() + VERIFY_TTL;
                account_tokens::issue(conn, &hash, user.id, Purpose::VerifyEmail, expires).await?;
                let mail = serde_json::json!({ "name": user.name, "link": link });
                let topic = "account.verify_email";
                account_tokens::mail(conn, topic, user.id, &user.email, mail).await?;
            }
        }
        Ok::<_, DbError>(())
    })?;
    Ok(())
}

/// Mails a new verification link to a signed-in account not yet verified.
pub async fn resend_verification(
    pool: &DbPool,
    app_url: &str,
    user: &User,
) -> Result<(), AccountError> {
    if user.email_verified_at.is_some() {
        return Ok(());
    }
    let mut conn = connection(pool).await?;
    let (token, hash) = new_token();
    let link = format!("{app_url}/#/verify-email?token={token}");
    let (id, email, name) = (user.id, user.email.clone(), user.name.clone());
    read_committed!(conn, async |conn: &mut AsyncPgConnection| {
        account_tokens::retire_others(conn, id, Purpose::VerifyEmail).await?;
        let expires = Utc::now() + VERIFY_TTL;
        account_tokens::issue(conn, &hash, id, Purpose::VerifyEmail, expires).await?;
        let mail = serde_json::json!({ "name": name, "link": link });
        account_tokens::mail(conn, "account.verify_email", id, &email, mail).await?;
        Ok::<_, DbError>(())
    })?;
    Ok(())
}

/// Uses a verification link: the address is verified and the tickets waiting
/// for it are the account's, in one transaction; answers the account.
pub async fn verify_email(pool: &DbPool, token: &str) -> Result<Uuid, AccountError> {
    let mut conn = connection(pool).await?;
    let hash = token_hash(token);
    let user = read_committed!(conn, async |conn: &mut AsyncPgConnection| {
        let Some(user) = account_tokens::redeem(conn, &hash, Purpose::VerifyEmail).await? else {
            return Ok::<_, DbError>(None);
        };
        account_tokens::mark_verified(conn, user).await?;
        claim_waiting_tickets(conn, user).await?;
        Ok(Some(user))
    })?;
    user.ok_or(AccountError::InvalidToken)
}

/// Starts a password reset: a mail with a link valid for 30 minutes when the
/// address has an account, nothing otherwise (the caller answers the same).
pub async fn request_reset(pool: &DbPool, app_url: &str, email: &str) -> Result<(), AccountError> {
    let mut conn = connection(pool).await?;
    let (token, hash) = new_token();
    let link = format!("{app_url}/#/reset-password?token={token}");
    read_committed!(conn, async |conn: &mut AsyncPgConnection| {
        let Some(user) = User::find_by_email(conn, email).await? else {
            return Ok::<_, DbError>(());
        };
        let expires = Utc::now() + RESET_TTL;
        account_tokens::issue(conn, &hash, user.id, Purpose::PasswordReset, expires).await?;
        let mail = serde_json::json!({ "name": user.name, "link": link });
        account_tokens::mail(conn, "account.password_reset", user.id, &user.email, mail).await?;
        Ok(())
    })?;
    Ok(())
}

/// Uses a reset link: the new password set, every session of the account
/// revoked, every other reset link retired; the address counts as verified
/// (the link reached it).
pub async fn reset_password(
    pool: &DbPool,
    token: &str,
    password: String,
) -> Result<(), AccountError> {
    let password_hash = hash_password(password)
        .await
        .map_err(|_| AccountError::Hashing)?;
    let mut conn = connection(pool).await?;
    let hash = token_hash(token);
    let done = read_committed!(conn, async |conn: &mut AsyncPgConnection| {
        let Some(user) = account_tokens::redeem(conn, &hash, Purpose::PasswordReset).await? else {
            return Ok::<_, DbError>(false);
        };
        account_tokens::set_password(conn, user, &password_hash).await?;
        account_tokens::retire_others(conn, user, Purpose::PasswordReset).await?;
        account_tokens::mark_verified(conn, user).await?;
        claim_waiting_tickets(conn, user).await?;
        Ok(true)
    })?;
    if done {
        Ok(())
    } else {
        Err(AccountError::InvalidToken)
    }
}

/// Tickets waiting for the account's verified address are its now
/// (`custody::claim_waiting`).
pub async fn claim_waiting_tickets(
    conn: &mut AsyncPgConnection,
    user: Uuid,
) -> Result<(), DbError> {
    if let Some(user) = User::find(conn, user).await? {
        crate::custody::claim_waiting(conn, &user).await?;
    }
    Ok(())
}
