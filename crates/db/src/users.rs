//! Accounts and their sessions.

use crate::schema::{sessions, users};
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = users)]
pub struct User {
    pub id: Uuid,
    pub email: String,
    pub name: String,
    pub password_hash: String,
    pub role: String,
    pub created_at: DateTime<Utc>,
    /// When a link mailed to `email` was used; `None` until then.
    pub email_verified_at: Option<DateTime<Utc>>,
}

impl User {
    /// Inserts the user; a taken email is `UniqueViolation`.
    pub async fn insert(conn: &mut AsyncPgConnection, user: &User) -> QueryResult<()> {
        diesel::insert_into(users::table)
            .values(user)
            .execute(conn)
            .await
            .map(drop)
    }

    pub async fn find(conn: &mut AsyncPgConnection, id: Uuid) -> QueryResult<Option<User>> {
        users::table
            .filter(users::id.eq(id))
            .select(User::as_select())
            .first(conn)
            .await
            .optional()
    }

    /// `email` must already be lower-cased.
    pub async fn find_by_email(
        conn: &mut AsyncPgConnection,
        email: &str,
    ) -> QueryResult<Option<User>> {
        users::table
            .filter(users::email.eq(email))
            .select(User::as_select())
            .first(conn)
            .await
            .optional()
    }
}

pub struct Session;

impl Session {
    pub async fn insert(
        conn: &mut AsyncPgConnection,
        token_hash: &[u8],
        user_id: Uuid,
        expires_at: DateTime<Utc>,
        client_ip: &str,
    ) -> QueryResult<()> {
        diesel::insert_into(sessions::table)
            .values((
                sessions::token_hash.eq(token_hash),
                sessions::user_id.eq(user_id),
                sessions::expires_at.eq(expires_at),
                sessions::client_ip.eq(client_ip),
            ))
            .execute(conn)
            .await
            .map(drop)
    }

    /// Whether the account of `email` (lower-cased) ever signed in from
    /// `client_ip`; false, at the same cost, when there is no such account.
    pub async fn known_address(
        conn: &mut AsyncPgConnection,
        email: &str,
        client_ip: &str,
    ) -> QueryResult<bool> {
        diesel::select(diesel::dsl::exists(
            sessions::table
                .inner_join(users::table)
                .filter(users::email.eq(email))
                .filter(sessions::client_ip.eq(client_ip)),
        ))
        .get_result(conn)
        .await
    }

    /// The user owning a live (unexpired, unrevoked) session.
    pub async fn find_user(
        conn: &mut AsyncPgConnection,
        token_hash: &[u8],
    ) -> QueryResult<Option<User>> {
        sessions::table
            .inner_join(users::table)
            .filter(sessions::token_hash.eq(token_hash))
            .filter(sessions::revoked_at.is_null())
            .filter(sessions::expires_at.gt(diesel::dsl::now))
            .select(User::as_select())
            .first(conn)
            .await
            .optional()
    }

    /// Revokes the session; true when a live session was revoked.
    pub async fn revoke(conn: &mut AsyncPgConnection, token_hash: &[u8]) -> QueryResult<bool> {
        diesel::update(sessions::table)
            .filter(sessions::token_hash.eq(token_hash))
            .filter(sessions::revoked_at.is_null())
            .filter(sessions::expires_at.gt(diesel::dsl::now))
            .set(sessions::revoked_at.eq(diesel::dsl::now))
            .execute(conn)
            .await
            .map(|n| n > 0)
    }
}
