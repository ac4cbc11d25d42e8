//! `/api/users/*`: the seed's account paths.

use super::ApiTags;
use crate::AppState;
use crate::auth::{BearerAuth, MaybeAuth, hash_password, new_token, token_hash, verify_password};
use chrono::{DateTime, SubsecRound, Utc};
use poem::web::Data;
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, Enum, Object, OpenApi};
use slotwise_db::orders::moves::{Move, TicketMove};
use slotwise_db::orders::tickets::Ticket;
use slotwise_db::users::{Session, User};
use slotwise_web::problems::*;
use slotwise_web::{ApiError, FieldError, Problems};
use uuid::Uuid;

pub struct AccountsApi;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[oai(rename_all = "snake_case")]
pub enum SignupRole {
    Client,
    Professional,
}

#[derive(Debug, Object)]
pub struct SignupRequest {
    pub email: String,
    /// 8 to 128 characters.
    pub password: String,
    pub name: String,
    /// Defaults to `client`.
    pub role: Option<SignupRole>,
}

#[derive(Debug, Object)]
pub struct SigninRequest {
    pub email: String,
    pub password: String,
}

#[derive(Debug, Clone, Object)]
pub struct UserView {
    pub id: Uuid,
    pub email: String,
    pub name: String,
    /// `client`, `professional` or `admin`.
    pub role: String,
}

impl From<User> for UserView {
    fn from(u: User) -> Self {
        Self {
            id: u.id,
            email: u.email,
            name: u.name,
            role: u.role,
        }
    }
}

#[derive(Debug, Object)]
pub struct SessionView {
    /// Send as `Authorization: Bearer <token>`. Shown once; only its hash is kept.
    pub token: String,
    pub expires_at: DateTime<Utc>,
    pub user: UserView,
}

#[derive(Debug, Object)]
pub struct CurrentUserView {
    /// The signed-in user, or null without a valid token.
    #[oai(nullable)]
    pub current_user: Option<UserView>,
}

#[derive(ApiResponse)]
pub enum SignupResponse {
    /// Account created and signed in.
    #[oai(status = 201)]
    Created(Json<SessionView>),
}

#[derive(ApiResponse)]
pub enum SigninResponse {
    /// Signed in.
    #[oai(status = 200)]
    Ok(Json<SessionView>),
}

#[derive(ApiResponse)]
pub enum SignoutResponse {
    /// The session is revoked.
    #[oai(status = 204)]
    Revoked,
}

fn normalize_email(email: &str) -> String {
    email.trim().to_lowercase()
}

fn validate_signup(req: &SignupRequest) -> Result<(), ApiError> {
    let mut errors = Vec::new();
    let email = normalize_email(&req.email);
    let at = email.find('@');
    if email.len() > 254 || !matches!(at, Some(i) if i > 0 && i + 1 < email.len()) {
        errors.push(FieldError {
            field: "email".into(),
            message: "must be an email address".into(),
        });
    }
    if !(8..=128).contains(&req.password.chars().count()) {
        errors.push(FieldError {
            field: "password".into(),
            message: "must be 8 to 128 characters".into(),
        });
    }
    if req.name.trim().is_empty() || req.name.chars().count() > 100 {
        errors.push(FieldError {
            field: "name".into(),
            message: "must be 1 to 100 characters".into(),
        });
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(ApiError::validation(errors))
    }
}

impl AppState {
    /// Sign-ups are limited per IP and per email.
    fn limit_signup(&self, ip: &str, email: &str) -> Result<(), ApiError> {
        self.limits.auth.check(&format!("ip:{ip}"))?;
        self.limits
            .auth
            .check(&format!("email:{}", normalize_email(email)))
    }

    /// Sessions are bearer tokens only: no cookie is set, so no request is
    /// authenticated by the browser on its own (no CSRF to guard against).
    async fn start_session(&self, user: User, ip: &str) -> Result<SessionView, ApiError> {
        let (token, hash) = new_token();
        let expires_at = Utc::now().trunc_subsecs(6) + self.config.session_ttl;
        let mut conn = self.pool.get().await?;
        Session::insert(&mut conn, &hash, user.id, expires_at, ip).await?;
        // Tickets given to this email before it had an account (or while it
        // was signing up) are its now, each with a new code.
        let claimed = Ticket::claim_pending(&mut conn, &user.email, user.id).await?;
        if !claimed.is_empty() {
            let moves: Vec<Move> = (claimed.iter())
                .map(|(event_id, ticket_id)| Move {
                    event_id: *event_id,
                    ticket_id: *ticket_id,
                    kind: "claimed",
                    from: None,
                    to: Some(user.id),
                })
                .collect();
            TicketMove::record(&mut conn, &moves, &format!("user:{}", user.id)).await?;
        }
        Ok(SessionView {
            token,
            expires_at,
            user: user.into(),
        })
    }

    /// While failed sign-ins slow `email` down, only an address the account
    /// signed in from before may try a password; every other attempt gets the
    /// same 429 without its password being looked at, so it learns nothing.
    async fn check_slowdown(&self, email: &str, ip: &str) -> Result<(), ApiError> {
        let Some(slowed) = self.limits.signin_failures.is_slowed(email) else {
            return Ok(());
        };
        let mut conn = self.pool.get().await?;
        if Session::known_address(&mut conn, email, ip).await? {
            Ok(())
        } else {
            Err(slowed)
        }
    }
}

#[OpenApi(tag = "ApiTags::Accounts")]
impl AccountsApi {
    /// Create an account (client or professional) and sign in.
    #[oai(path = "/api/users/signup", method = "post")]
    async fn signup(
        &self,
        req: &poem::Request,
        state: Data<&AppState>,
        body: Json<SignupRequest>,
    ) -> Result<SignupResponse, Problems<{ JSON_BODY | CONFLICT | TOO_MANY_REQUESTS | UNAVAILABLE }>>
    {
        let ip = crate::rate_limit::client_ip(req, state.config.trust_forwarded_for);
        state.limit_signup(&ip, &body.email)?;
        validate_signup(&body)?;
        let role = match body.role.unwrap_or(SignupRole::Client) {
            SignupRole::Client => "client",
            SignupRole::Professional => "professional",
        };
        let user = User {
            id: Uuid::now_v7(),
            email: normalize_email(&body.email),
            name: body.name.trim().to_owned(),
            password_hash: hash_password(body.0.password).await?,
            role: role.to_owned(),
            created_at: Utc::now(),
        };
        let mut conn = state.pool.get().await?;
        match User::insert(&mut conn, &user).await {
            Err(e) if slotwise_db::is_unique_violation(&e) => {
                return Err(ApiError::conflict(
                    "email_taken",
                    "Email taken",
                    "an account with this email exists",
                )
                .into());
            }
            other => other?,
        }
        drop(conn);
        let session = state.start_session(user, &ip).await?;
        Ok(SignupResponse::Created(Json(session)))
    }

    /// Exchange email and password for a session token.
    ///
    /// Limited per IP. Failed attempts are also counted per email: past the
    /// limit the account is slowed down for a minute: attempts from addresses
    /// it never signed in from answer 429 whatever the password, while its
    /// known addresses still sign in.
    #[oai(path = "/api/users/signin", method = "post")]
    async fn signin(
        &self,
        req: &poem::Request,
        state: Data<&AppState>,
        body: Json<SigninRequest>,
    ) -> Result<
        SigninResponse,
        Problems<{ JSON_BODY | UNAUTHORIZED | TOO_MANY_REQUESTS | UNAVAILABLE }>,
    > {
        let ip = crate::rate_limit::client_ip(req, state.config.trust_forwarded_for);
        state.limits.auth.check(&format!("ip:{ip}"))?;
        let email = normalize_email(&body.email);
        state.check_slowdown(&email, &ip).await?;
        let user = {
            let mut conn = state.pool.get().await?;
            User::find_by_email(&mut conn, &email).await?
        };
        let stored_hash = user.as_ref().map(|u| u.password_hash.clone());
        // Always hashed, so timing does not tell whether the email has an account.
        let verified = verify_password(body.0.password, stored_hash).await;
        let user = match user {
            Some(user) if verified => user,
            _ => return Err(state.limits.signin_failures.failed(&email).into()),
        };
        let session = state.start_session(user, &ip).await?;
        Ok(SigninResponse::Ok(Json(session)))
    }

    /// Revoke the current session token.
    #[oai(path = "/api/users/signout", method = "post")]
    async fn signout(
        &self,
        state: Data<&AppState>,
        auth: BearerAuth,
    ) -> Result<SignoutResponse, Problems<{ UNAUTHORIZED | UNAVAILABLE }>> {
        let mut conn = state.pool.get().await?;
        if !Session::revoke(&mut conn, &token_hash(&auth.0.token)).await? {
            return Err(
                ApiError::unauthorized("the session token is invalid, expired or revoked").into(),
            );
        }
        Ok(SignoutResponse::Revoked)
    }

    /// The signed-in user, or `{"current_user": null}`.
    #[oai(path = "/api/users/currentuser", method = "get")]
    async fn current_user(
        &self,
        state: Data<&AppState>,
        auth: MaybeAuth,
    ) -> Result<Json<CurrentUserView>, Problems<{ UNAVAILABLE }>> {
        let user = match &auth {
            MaybeAuth::Bearer(bearer) => {
                let mut conn = state.pool.get().await?;
                Session::find_user(&mut conn, &token_hash(&bearer.0.token)).await?
            }
            MaybeAuth::Anonymous => None,
        };
        Ok(Json(CurrentUserView {
            current_user: user.map(Into::into),
        }))
    }
}
