//! `/api/users/*`: the seed's account paths.

use super::ApiTags;
use crate::AppState;
use crate::auth::{BearerAuth, MaybeAuth, hash_password, new_token, token_hash, verify_password};
use crate::rate_limit::Limited;
use chrono::{DateTime, SubsecRound, Utc};
use poem::web::Data;
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, Enum, Object, OpenApi};
use slotwise_db::users::{Session, User};
use slotwise_web::Plain;
use slotwise_web::Text;
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
    /// Something before its first `@` and something after it (the document
    /// is never stricter than the server, which also trims it).
    #[oai(validator(max_length = 254, pattern = r"^[^@]+@[\s\S]"))]
    pub email: Text,
    /// 8 to 128 characters.
    #[oai(validator(min_length = 8, max_length = 128))]
    pub password: Text,
    /// 1 to 100 characters, not only spaces.
    #[oai(validator(min_length = 1, max_length = 100, pattern = r"[^ \t\r\n]"))]
    pub name: Text,
    /// Defaults to `client`.
    pub role: Option<SignupRole>,
}

#[derive(Debug, Object)]
pub struct SigninRequest {
    pub email: Text,
    pub password: Text,
}

#[derive(Debug, Clone, Object)]
pub struct UserView {
    pub id: Uuid,
    pub email: String,
    pub name: String,
    /// `client`, `professional` or `admin`.
    pub role: String,
    /// Whether the address was confirmed through the link mailed to it;
    /// tickets waiting for the address are handed over only then.
    pub email_verified: bool,
}

impl From<User> for UserView {
    fn from(u: User) -> Self {
        Self {
            id: u.id,
            email: u.email,
            name: u.name,
            role: u.role,
            email_verified: u.email_verified_at.is_some(),
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

/// What sign-up answers, whether the address was new or taken.
#[derive(Debug, Object)]
pub struct CheckYourMail {
    /// Always `check_your_mail`.
    pub status: String,
    pub email: String,
}

#[derive(Debug, Object)]
pub struct VerifyEmailRequest {
    /// The token of the link mailed at sign-up.
    #[oai(validator(min_length = 1, max_length = 200))]
    pub token: Text,
}

#[derive(Debug, Object)]
pub struct PasswordResetRequest {
    #[oai(validator(min_length = 3, max_length = 254))]
    pub email: Text,
}

#[derive(Debug, Object)]
pub struct PasswordResetConfirm {
    /// The token of the link mailed by `POST /api/users/password-reset`.
    #[oai(validator(min_length = 1, max_length = 200))]
    pub token: Text,
    /// The new password, 8 to 128 characters.
    #[oai(validator(min_length = 8, max_length = 128))]
    pub password: Text,
}

#[derive(ApiResponse)]
pub enum SignupResponse {
    /// Mailed: a verification link to a new address (the account exists now:
    /// sign in), or a note to a taken one. The answer is the same for both.
    #[oai(status = 202)]
    Accepted(Json<CheckYourMail>),
}

#[derive(ApiResponse)]
pub enum MailedResponse {
    /// Mailed when there is something to mail; the answer is the same otherwise.
    #[oai(status = 202)]
    Accepted,
}

#[derive(ApiResponse)]
pub enum VerifiedResponse {
    /// The address is verified; tickets waiting for it are the account's.
    #[oai(status = 200)]
    Ok(Json<UserView>),
}

#[derive(ApiResponse)]
pub enum PasswordSetResponse {
    /// The password is changed and every session of the account revoked.
    #[oai(status = 204)]
    Changed,
}

/// The edge of the accounts module: its errors as problems.
impl From<crate::accounts::AccountError> for ApiError {
    fn from(e: crate::accounts::AccountError) -> Self {
        use crate::accounts::AccountError as E;
        match e {
            E::InvalidToken => ApiError::bad_request("invalid_token", e.to_string()),
            E::Unavailable => ApiError::unavailable("no database connection"),
            E::Hashing => ApiError::internal(),
            E::Db(e) => e.into(),
        }
    }
}

fn password_errors(password: &str) -> Option<ApiError> {
    (!(8..=128).contains(&password.chars().count())).then(|| {
        ApiError::validation(vec![FieldError::new(
            "password",
            "must be 8 to 128 characters",
        )])
    })
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

/// Sign-ups are limited per IP and per email.
fn limit_signup(state: &AppState, ip: &str, email: &str) -> Result<(), Limited> {
    state.limits.auth.check(&format!("ip:{ip}"))?;
    state
        .limits
        .auth
        .check(&format!("email:{}", normalize_email(email)))
}

/// Sessions are bearer tokens only: no cookie is set, so no request is
/// authenticated by the browser on its own (no CSRF to guard against).
async fn start_session(state: &AppState, user: User, ip: &str) -> Result<SessionView, ApiError> {
    let (token, hash) = new_token();
    let expires_at = Utc::now().trunc_subsecs(6) + state.config.session_ttl;
    let mut conn = state.pool.get().await?;
    Session::insert(&mut conn, &hash, user.id, expires_at, ip).await?;
    // Tickets given to this address while it waited for a verified
    // account, moved with their history in one transaction.
    let user_id = user.id;
    slotwise_db::read_committed!(conn, async |conn: &mut slotwise_db::AsyncPgConnection| {
        crate::accounts::claim_waiting_tickets(conn, user_id).await
    })?;
    Ok(SessionView {
        token,
        expires_at,
        user: user.into(),
    })
}

/// While failed sign-ins slow `email` down, only an address the account
/// signed in from before may try a password; every other attempt gets the
/// same 429 without its password being looked at, so it learns nothing.
async fn check_slowdown(state: &AppState, email: &str, ip: &str) -> Result<(), ApiError> {
    let Some(slowed) = state.limits.signin_failures.is_slowed(email) else {
        return Ok(());
    };
    let mut conn = state.pool.get().await?;
    if Session::known_address(&mut conn, email, ip).await? {
        Ok(())
    } else {
        Err(slowed.into())
    }
}

#[OpenApi(tag = "ApiTags::Accounts")]
impl AccountsApi {
    /// Create an account (client or professional); then sign in.
    ///
    /// Answers 202 alike whether the address is new or taken, so nobody
    /// learns which addresses have accounts: a new one gets a verification
    /// link (the account exists and may sign in and buy at once; tickets
    /// sent to the address wait until it is verified), a taken one a mail
    /// saying so.
    #[oai(path = "/api/users/signup", method = "post")]
    async fn signup(
        &self,
        req: &poem::Request,
        state: Data<&AppState>,
        body: Json<SignupRequest>,
    ) -> Result<SignupResponse, Problems<{ JSON_BODY | TOO_MANY_REQUESTS | UNAVAILABLE }>> {
        let ip = crate::rate_limit::client_ip(req, state.config.trust_forwarded_for);
        limit_signup(&state, &ip, &body.email)?;
        validate_signup(&body)?;
        let role = match body.role.unwrap_or(SignupRole::Client) {
            SignupRole::Client => "client",
            SignupRole::Professional => "professional",
        };
        let email = normalize_email(&body.email);
        // Hashed either way, so timing does not tell a taken address.
        let user = User {
            id: Uuid::now_v7(),
            email: email.clone(),
            name: body.name.trim().to_owned(),
            password_hash: hash_password(body.0.password.plain()).await?,
            role: role.to_owned(),
            created_at: Utc::now(),
            email_verified_at: None,
        };
        crate::accounts::sign_up(&state.pool, &state.config.notify.app_url, user)
            .await
            .map_err(ApiError::from)?;
        Ok(SignupResponse::Accepted(Json(CheckYourMail {
            status: "check_your_mail".to_owned(),
            email,
        })))
    }

    /// Verify the account's address with the token of the link mailed at sign-up.
    #[oai(path = "/api/users/verify-email", method = "post")]
    async fn verify_email(
        &self,
        req: &poem::Request,
        state: Data<&AppState>,
        body: Json<VerifyEmailRequest>,
    ) -> Result<VerifiedResponse, Problems<{ JSON_BODY | TOO_MANY_REQUESTS | UNAVAILABLE }>> {
        let ip = crate::rate_limit::client_ip(req, state.config.trust_forwarded_for);
        state.limits.auth.check(&format!("ip:{ip}"))?;
        let user = crate::accounts::verify_email(&state.pool, body.token.trim())
            .await
            .map_err(ApiError::from)?;
        let mut conn = state.pool.get().await?;
        let user = User::find(&mut conn, user)
            .await?
            .ok_or_else(ApiError::internal)?;
        Ok(VerifiedResponse::Ok(Json(user.into())))
    }

    /// Mail a new verification link to the signed-in account (if not verified yet).
    #[oai(path = "/api/users/verify-email/resend", method = "post")]
    async fn resend_verification(
        &self,
        state: Data<&AppState>,
        auth: BearerAuth,
    ) -> Result<MailedResponse, Problems<{ UNAUTHORIZED | TOO_MANY_REQUESTS | UNAVAILABLE }>> {
        let user = crate::auth::authenticate(&state, &auth).await?;
        state.limits.auth.check(&format!("email:{}", user.email))?;
        crate::accounts::resend_verification(&state.pool, &state.config.notify.app_url, &user)
            .await
            .map_err(ApiError::from)?;
        Ok(MailedResponse::Accepted)
    }

    /// Ask for a password-reset link: 202 whether or not the address has an
    /// account; the link works once, for 30 minutes.
    #[oai(path = "/api/users/password-reset", method = "post")]
    async fn password_reset(
        &self,
        req: &poem::Request,
        state: Data<&AppState>,
        body: Json<PasswordResetRequest>,
    ) -> Result<MailedResponse, Problems<{ JSON_BODY | TOO_MANY_REQUESTS | UNAVAILABLE }>> {
        let ip = crate::rate_limit::client_ip(req, state.config.trust_forwarded_for);
        limit_signup(&state, &ip, &body.email)?;
        let email = normalize_email(&body.email);
        crate::accounts::request_reset(&state.pool, &state.config.notify.app_url, &email)
            .await
            .map_err(ApiError::from)?;
        Ok(MailedResponse::Accepted)
    }

    /// Set a new password with a reset link's token; every session of the
    /// account is revoked (sign in again).
    #[oai(path = "/api/users/password-reset/confirm", method = "post")]
    async fn password_reset_confirm(
        &self,
        req: &poem::Request,
        state: Data<&AppState>,
        body: Json<PasswordResetConfirm>,
    ) -> Result<PasswordSetResponse, Problems<{ JSON_BODY | TOO_MANY_REQUESTS | UNAVAILABLE }>>
    {
        let ip = crate::rate_limit::client_ip(req, state.config.trust_forwarded_for);
        state.limits.auth.check(&format!("ip:{ip}"))?;
        if let Some(e) = password_errors(&body.password) {
            return Err(e.into());
        }
        let body = body.0;
        crate::accounts::reset_password(&state.pool, body.token.trim(), body.password.plain())
            .await
            .map_err(ApiError::from)?;
        Ok(PasswordSetResponse::Changed)
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
        check_slowdown(&state, &email, &ip).await?;
        let user = {
            let mut conn = state.pool.get().await?;
            User::find_by_email(&mut conn, &email).await?
        };
        let stored_hash = user.as_ref().map(|u| u.password_hash.clone());
        // Always hashed, so timing does not tell whether the email has an account.
        let verified = verify_password(body.0.password.plain(), stored_hash).await;
        let user = match user {
            Some(user) if verified => user,
            _ => return Err(state.limits.signin_failures.failed(&email).into()),
        };
        let session = start_session(&state, user, &ip).await?;
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

impl slotwise_web::problems::IntoProblem for crate::accounts::AccountError {}
