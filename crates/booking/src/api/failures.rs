//! The domain's errors as problems: the one place a [`Failure`] (and the
//! refusals of modules without an API file of their own) becomes HTTP.

use crate::auth::AuthError;
use crate::failure::Failure;
use crate::invalid::Invalid;
use crate::payments::webhook::WebhookError;
use crate::rate_limit::Limited;
use poem::http::{HeaderName, HeaderValue, StatusCode};
use slotwise_web::ApiError;

impl From<Failure> for ApiError {
    fn from(err: Failure) -> Self {
        match err {
            Failure::Database(e) => e.into(),
            Failure::Pool(e) => e.into(),
            Failure::StripeUnavailable(detail) => ApiError::unavailable(detail),
            Failure::Contention => ApiError::unavailable("too much contention; retry"),
            Failure::Crashed(_) => ApiError::internal(),
            Failure::Broken(what) => {
                tracing::error!(what, "broken invariant");
                ApiError::internal()
            }
        }
    }
}

impl From<AuthError> for ApiError {
    fn from(err: AuthError) -> Self {
        match err {
            AuthError::InvalidSession => ApiError::unauthorized(err.to_string()),
            AuthError::Failure(f) => f.into(),
        }
    }
}

/// 429 with `Retry-After`, or 401 for a wrong password still under the limit.
impl From<Limited> for ApiError {
    fn from(err: Limited) -> Self {
        let detail = err.to_string();
        let retry_after = match err {
            Limited::WrongPassword => {
                return ApiError::new(
                    StatusCode::UNAUTHORIZED,
                    "invalid_credentials",
                    "Invalid credentials",
                    detail,
                );
            }
            Limited::TooMany { retry_after, .. } => retry_after,
        };
        let mut api = ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            "rate_limited",
            "Too many requests",
            detail,
        );
        if let Ok(value) = HeaderValue::from_str(&retry_after.to_string()) {
            api.headers
                .push((HeaderName::from_static("retry-after"), value));
        }
        api
    }
}

impl From<WebhookError> for ApiError {
    fn from(err: WebhookError) -> Self {
        match err {
            WebhookError::BadSignature(detail) => {
                ApiError::bad_request("invalid_signature", detail)
            }
            WebhookError::BadEvent(detail) => ApiError::bad_request("invalid_webhook", detail),
            WebhookError::Failure(f) => f.into(),
        }
    }
}

impl From<Invalid> for ApiError {
    fn from(err: Invalid) -> Self {
        ApiError::validation(err.0)
    }
}

impl From<crate::events::EventError> for ApiError {
    fn from(err: crate::events::EventError) -> Self {
        use crate::events::EventError as E;
        let detail = err.to_string();
        match err {
            E::NotFound => ApiError::not_found("event"),
            E::NotOrganizer => ApiError::forbidden(detail),
            E::SlugTaken => ApiError::conflict("slug_taken", "Slug taken", detail),
            E::Invalid(e) => e.into(),
            E::Failure(e) => e.into(),
        }
    }
}

impl From<crate::orders::transfer::GiftError> for ApiError {
    fn from(err: crate::orders::transfer::GiftError) -> Self {
        use crate::orders::transfer::GiftError as E;
        let detail = err.to_string();
        match err {
            E::ToSelf => ApiError::unprocessable("gift_to_self", "Gift to yourself", detail),
            E::NothingToTakeBack(_) => {
                ApiError::conflict("no_pending_transfer", "No pending transfer", detail)
            }
            E::Failure(e) => e.into(),
        }
    }
}

impl From<crate::idempotency::key::KeyError> for ApiError {
    fn from(err: crate::idempotency::key::KeyError) -> Self {
        use crate::idempotency::key::KeyError as E;
        let code = match err {
            E::Missing => "idempotency_key_missing",
            E::Invalid => "idempotency_key_invalid",
        };
        ApiError::bad_request(code, err.to_string())
    }
}
// `?` turns each into any operation's `Problems`.
impl slotwise_web::problems::IntoProblem for Failure {}
impl slotwise_web::problems::IntoProblem for AuthError {}
impl slotwise_web::problems::IntoProblem for Limited {}
impl slotwise_web::problems::IntoProblem for WebhookError {}
impl slotwise_web::problems::IntoProblem for Invalid {}
impl slotwise_web::problems::IntoProblem for crate::events::EventError {}
impl slotwise_web::problems::IntoProblem for crate::orders::transfer::GiftError {}
impl slotwise_web::problems::IntoProblem for crate::idempotency::key::KeyError {}
