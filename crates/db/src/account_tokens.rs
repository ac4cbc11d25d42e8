//! Single-use tokens mailed to an account's address: one verifies the
//! address, one resets the password. Only a token's hash is stored; using it
//! marks it used in the same statement that finds it, so it works once.

use crate::schema::{account_tokens, sessions, users};
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

/// What a token is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    VerifyEmail,
    PasswordReset,
}

impl Purpose {
    pub fn as_str(self) -> &'static str {
        match self {
            Purpose::VerifyEmail => "verify_email",
            Purpose::PasswordReset => "password_reset",
        }
    }
}

/// Stores a new token for `user` (its hash), valid until `expires_at`.
pub async fn issue(
    conn: &mut AsyncPgConnection,
    token_hash: &[u8],
    user: Uuid,
    purpose: Purpose,
    expires_at: DateTime<Utc>,
) -> QueryResult<()> {
    diesel::insert_into(account_tokens::table)
        .values((
            account_tokens::token_hash.eq(token_hash),
            account_tokens::user_id.eq(user),
            account_tokens::purpose.eq(purpose.as_str()),
            account_tokens::expires_at.eq(expires_at),
        ))
        .execute(conn)
        .await
        .map(drop)
}

/// Uses the token: the account it was issued to when it is unused, unexpired
/// and for `purpose` (marked used now, so a second use finds nothing).
pub async fn redeem(
    conn: &mut AsyncPgConnection,
    token_hash: &[u8],
    purpose: Purpose,
) -> QueryResult<Option<Uuid>> {
    diesel::update(account_tokens::table)
        .filter(account_tokens::token_hash.eq(token_hash))
        .filter(account_tokens::purpose.eq(purpose.as_str()))
        .filter(account_tokens::used_at.is_null())
        .filter(account_tokens::expires_at.gt(diesel::dsl::now))
        .set(account_tokens::used_at.eq(diesel::dsl::now))
        .returning(account_tokens::user_id)
        .get_result(conn)
        .await
        .optional()
}

/// Every other unused token of the account for `purpose` no longer works.
pub async fn retire_others(
    conn: &mut AsyncPgConnection,
    user: Uuid,
    purpose: Purpose,
) -> QueryResult<usize> {
    diesel::update(account_tokens::table)
        .filter(account_tokens::user_id.eq(user))
        .filter(account_tokens::purpose.eq(purpose.as_str()))
        .filter(account_tokens::used_at.is_null())
        .set(account_tokens::used_at.eq(diesel::dsl::now))
        .execute(conn)
        .await
}

/// Marks the account's address verified (once; the first time is kept).
pub async fn mark_verified(conn: &mut AsyncPgConnection, user: Uuid) -> QueryResult<()> {
    diesel::update(users::table)
        .filter(users::id.eq(user))
        .filter(users::email_verified_at.is_null())
        .set(users::email_verified_at.eq(diesel::dsl::now))
        .execute(conn)
        .await
        .map(drop)
}

/// A new password hash, and every session of the account revoked.
pub async fn set_password(
    conn: &mut AsyncPgConnection,
    user: Uuid,
    password_hash: &str,
) -> QueryResult<usize> {
    diesel::update(users::table)
        .filter(users::id.eq(user))
        .set(users::password_hash.eq(password_hash))
        .execute(conn)
        .await?;
    diesel::update(sessions::table)
        .filter(sessions::user_id.eq(user))
        .filter(sessions::revoked_at.is_null())
        .set(sessions::revoked_at.eq(diesel::dsl::now))
        .execute(conn)
        .await
}

/// A mail about the account to its address (`topic` `account.*`): `mail`
/// holds what only the recipient may read (the link's token). No webhook or
/// bus hears it.
pub async fn mail(
    conn: &mut AsyncPgConnection,
    topic: &'static str,
    user: Uuid,
    email: &str,
    mail: serde_json::Value,
) -> QueryResult<()> {
    use crate::schema::outbox;
    diesel::insert_into(outbox::table)
        .values((
            outbox::id.eq(Uuid::now_v7()),
            outbox::topic.eq(topic),
            outbox::subject_id.eq(user),
            outbox::owner_id.eq(None::<Uuid>),
            outbox::email.eq(email),
            outbox::mail.eq(mail),
            outbox::payload.eq(serde_json::json!({ "account": { "id": user } })),
        ))
        .execute(conn)
        .await
        .map(drop)
}
