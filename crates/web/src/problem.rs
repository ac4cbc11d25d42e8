//! RFC 9457 problem details: the one error type of both services.

use poem::http::{HeaderName, HeaderValue, StatusCode};
use poem::{IntoResponse, Response};
use poem_openapi::Object;
use serde::{Deserialize, Serialize};

pub const PROBLEM_JSON: &str = "application/problem+json";

/// A field that failed validation.
#[derive(Debug, Clone, PartialEq, Eq, Object, Serialize, Deserialize)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

impl FieldError {
    pub fn new(field: &str, message: &str) -> Self {
        Self {
            field: field.to_owned(),
            message: message.to_owned(),
        }
    }
}

/// An error answer (`application/problem+json`).
#[derive(Debug, Clone, PartialEq, Eq, Object, Serialize, Deserialize)]
pub struct Problem {
    /// A URI reference naming the kind of problem.
    #[oai(rename = "type")]
    #[serde(rename = "type")]
    pub type_: String,
    pub title: String,
    pub status: u16,
    pub detail: String,
    /// Stable, machine-readable snake_case code, e.g. `booking_conflict`.
    pub code: String,
    /// Per-field validation messages; empty when the problem is not about input.
    pub errors: Vec<FieldError>,
    /// `sold_out`: how many units of the short tier are left.
    #[oai(skip_serializing_if_is_none)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub available: Option<i64>,
    /// `seat_unavailable`, `unknown_seat`: the seats concerned.
    #[oai(skip_serializing_if_is_none)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seats: Option<Vec<String>>,
    /// A door scan refused (`already_checked_in`, `ticket_void`): what the
    /// door person needs to know.
    #[oai(skip_serializing_if_is_none)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub checkin: Option<CheckinFacts>,
    /// When what was asked for goes on sale (`not_on_sale`, not yet).
    #[oai(skip_serializing_if_is_none)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub opens_at: Option<chrono::DateTime<chrono::Utc>>,
    /// When its sale ended (`not_on_sale`, no more).
    #[oai(skip_serializing_if_is_none)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub closed_at: Option<chrono::DateTime<chrono::Utc>>,
}

/// Facts of a door scan (`checkin` of a refused one's problem; a batch
/// answer carries them inline).
#[derive(Debug, Clone, PartialEq, Eq, Object, Serialize, Deserialize)]
pub struct CheckinFacts {
    /// The ticket scanned, when the code named one.
    #[oai(skip_serializing_if_is_none)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ticket_id: Option<uuid::Uuid>,
    /// `already_checked_in`, `conflict`: when the ticket was admitted...
    #[oai(skip_serializing_if_is_none)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub checked_in_at: Option<chrono::DateTime<chrono::Utc>>,
    /// ...and by which scanner device (its name).
    #[oai(skip_serializing_if_is_none)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device: Option<String>,
    /// `ticket_void`: `moved` (a newer code exists), `refunded`, `revoked`
    /// or `event_cancelled`.
    #[oai(skip_serializing_if_is_none)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// The error of every operation: a status, a problem body and optional headers.
#[derive(Debug, Clone)]
pub struct ApiError {
    pub problem: Box<Problem>,
    pub headers: Vec<(HeaderName, HeaderValue)>,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &str, title: &str, detail: impl Into<String>) -> Self {
        Self {
            problem: Box::new(Problem {
                type_: format!("/problems/{}", code.replace('_', "-")),
                title: title.to_owned(),
                status: status.as_u16(),
                detail: detail.into(),
                code: code.to_owned(),
                errors: Vec::new(),
                available: None,
                seats: None,
                checkin: None,
                opens_at: None,
                closed_at: None,
            }),
            headers: Vec::new(),
        }
    }

    pub fn from_problem(problem: Problem) -> Self {
        Self {
            problem: Box::new(problem),
            headers: Vec::new(),
        }
    }

    /// Says how many units are left (`sold_out`).
    pub fn with_available(mut self, available: i64) -> Self {
        self.problem.available = Some(available);
        self
    }

    /// When a sale opens or closed (`not_on_sale`).
    pub fn with_sale_window(
        mut self,
        opens_at: Option<chrono::DateTime<chrono::Utc>>,
        closed_at: Option<chrono::DateTime<chrono::Utc>>,
    ) -> Self {
        self.problem.opens_at = opens_at;
        self.problem.closed_at = closed_at;
        self
    }

    /// Names the seats concerned (`seat_unavailable`, `unknown_seat`).
    pub fn with_seats(mut self, seats: Vec<String>) -> Self {
        self.problem.seats = Some(seats);
        self
    }

    /// Says what a refused door scan found.
    pub fn with_checkin(mut self, facts: CheckinFacts) -> Self {
        self.problem.checkin = Some(facts);
        self
    }

    pub fn with_errors(mut self, errors: Vec<FieldError>) -> Self {
        self.problem.errors = errors;
        self
    }

    pub fn with_header(mut self, name: &'static str, value: &'static str) -> Self {
        self.headers.push((
            HeaderName::from_static(name),
            HeaderValue::from_static(value),
        ));
        self
    }

    pub fn with_header_value(mut self, name: &'static str, value: HeaderValue) -> Self {
        self.headers.push((HeaderName::from_static(name), value));
        self
    }

    pub fn status(&self) -> StatusCode {
        StatusCode::from_u16(self.problem.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }

    /// 400 with one message per bad field.
    pub fn validation(errors: Vec<FieldError>) -> Self {
        let detail = errors
            .iter()
            .map(|e| format!("{}: {}", e.field, e.message))
            .collect::<Vec<_>>()
            .join("; ");
        Self::new(
            StatusCode::BAD_REQUEST,
            "validation_failed",
            "Invalid request",
            detail,
        )
        .with_errors(errors)
    }

    pub fn bad_request(code: &str, detail: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, code, "Bad request", detail)
    }

    pub fn unauthorized(detail: impl Into<String>) -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "Authentication required",
            detail,
        )
    }

    pub fn forbidden(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, "forbidden", "Not allowed", detail)
    }

    pub fn not_found(what: &str) -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "not_found",
            "Not found",
            format!("{what} not found"),
        )
    }

    pub fn conflict(code: &str, title: &str, detail: impl Into<String>) -> Self {
        Self::new(StatusCode::CONFLICT, code, title, detail)
    }

    pub fn unprocessable(code: &str, title: &str, detail: impl Into<String>) -> Self {
        Self::new(StatusCode::UNPROCESSABLE_ENTITY, code, title, detail)
    }

    pub fn unavailable(detail: impl Into<String>) -> Self {
        Self::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "service_unavailable",
            "Service unavailable",
            detail,
        )
        .with_header("retry-after", "1")
    }

    pub fn internal() -> Self {
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal_error",
            "Internal error",
            "an unexpected error occurred; it has been logged",
        )
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} {}: {}",
            self.problem.status, self.problem.code, self.problem.detail
        )
    }
}

impl std::error::Error for ApiError {}

impl poem::error::ResponseError for ApiError {
    fn status(&self) -> StatusCode {
        ApiError::status(self)
    }

    fn as_response(&self) -> Response {
        self.clone().into_response()
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = serde_json::to_vec(&self.problem).unwrap_or_default();
        let mut response = Response::builder()
            .status(self.status())
            .content_type(PROBLEM_JSON)
            .body(body);
        for (name, value) in self.headers {
            response.headers_mut().insert(name, value);
        }
        response
    }
}

impl From<slotwise_db::DbError> for ApiError {
    fn from(err: slotwise_db::DbError) -> Self {
        use slotwise_db::DbError as E;
        match &err {
            E::DatabaseError(diesel::result::DatabaseErrorKind::ClosedConnection, _)
            | E::BrokenTransactionManager => {
                tracing::warn!(error = %err, "database connection lost");
                ApiError::unavailable("the database is unreachable; retry shortly")
            }
            // NUL and invalid Unicode in text the client sent (22021, 22P05): their input, not our fault.
            E::DatabaseError(_, info)
                if info.message().contains("invalid byte sequence")
                    || info
                        .message()
                        .contains("unsupported Unicode escape sequence") =>
            {
                ApiError::bad_request(
                    "invalid_text",
                    "text fields must not contain NUL or invalid Unicode",
                )
            }
            // A hot on-sale: the stock rows stayed locked past `lock_timeout` (55P03).
            E::DatabaseError(_, info) if info.message().contains("lock timeout") => {
                tracing::warn!(error = %err, "lock timeout");
                ApiError::unavailable("too many buyers at once; retry in a moment")
            }
            E::DatabaseError(_, info) if info.message().contains("statement timeout") => {
                tracing::warn!(error = %err, "statement timeout");
                ApiError::unavailable("the database is overloaded; retry shortly")
            }
            _ => {
                tracing::error!(error = %err, "database error");
                ApiError::internal()
            }
        }
    }
}

impl From<slotwise_db::PoolError> for ApiError {
    fn from(err: slotwise_db::PoolError) -> Self {
        tracing::warn!(error = %err, "no database connection");
        if slotwise_db::pool::is_busy(&err) {
            // Every connection stayed busy for the pool's wait: load, not an outage.
            ApiError::unavailable("the service is busy; retry shortly")
        } else {
            ApiError::unavailable("the database is unreachable; retry shortly")
        }
    }
}

/// The field a body's validator refused (poem-openapi says "field `name`
/// verification failed. maxLength(100)"), in the words of the hand-written
/// checks, so a client reads one shape of 400 whichever refused it.
fn payload_field_error(reason: &str) -> Option<FieldError> {
    let rest = &reason[reason.find("field `")? + "field `".len()..];
    let (field, rest) = rest.split_once("` verification failed. ")?;
    let number = |prefix: &str| {
        rest.strip_prefix(prefix)
            .and_then(|r| r.split(|c: char| !c.is_ascii_digit()).next())
            .filter(|n| !n.is_empty())
            .map(str::to_owned)
    };
    let message = if let Some(n) = number("minLength(") {
        format!("must be at least {n} characters")
    } else if let Some(n) = number("maxLength(") {
        format!("must be at most {n} characters")
    } else if let Some(n) = number("minItems(") {
        format!("must have at least {n} items")
    } else if let Some(n) = number("maxItems(") {
        format!("must have at most {n} items")
    } else if rest.starts_with("pattern(") {
        "is not in the expected form".to_owned()
    } else {
        format!("is out of range: {rest}")
    };
    Some(FieldError {
        field: field.to_owned(),
        message,
    })
}

/// Turns any error that reached the top of the stack into problem+json.
pub fn problem_from_error(err: poem::Error) -> Response {
    if let Some(api) = err.downcast_ref::<ApiError>() {
        return api.clone().into_response();
    }
    if let Some(param) = err.downcast_ref::<poem_openapi::error::ParseParamError>() {
        return ApiError::validation(vec![FieldError {
            field: param.name.to_owned(),
            message: param.reason.clone(),
        }])
        .into_response();
    }
    if let Some(payload) = err.downcast_ref::<poem_openapi::error::ParseRequestPayloadError>()
        && let Some(field) = payload_field_error(&payload.reason)
    {
        return ApiError::validation(vec![field]).into_response();
    }
    let status = err.status();
    let api = match status {
        StatusCode::NOT_FOUND => {
            ApiError::new(status, "not_found", "Not found", "no such resource")
        }
        StatusCode::METHOD_NOT_ALLOWED => ApiError::new(
            status,
            "method_not_allowed",
            "Method not allowed",
            err.to_string(),
        ),
        StatusCode::UNAUTHORIZED => ApiError::unauthorized(
            "send `Authorization: Bearer <token>` with a token from /api/users/signin",
        ),
        StatusCode::UNSUPPORTED_MEDIA_TYPE => ApiError::new(
            status,
            "unsupported_media_type",
            "Unsupported media type",
            "send the body as `Content-Type: application/json`",
        ),
        StatusCode::PAYLOAD_TOO_LARGE => ApiError::new(
            status,
            "payload_too_large",
            "Payload too large",
            err.to_string(),
        ),
        s if s.is_client_error() => {
            ApiError::new(s, "invalid_request", "Invalid request", err.to_string())
        }
        _ => {
            tracing::error!(error = %err, "unhandled error");
            ApiError::internal()
        }
    };
    api.into_response()
}

#[cfg(test)]
mod tests {
    use super::payload_field_error;

    #[test]
    fn a_validator_refusal_names_its_field_in_plain_words() {
        let said = |reason: &str| payload_field_error(reason).map(|f| (f.field, f.message));
        assert_eq!(
            said(
                "failed to parse \"SignupRequest\": field `password` verification failed. minLength(8)"
            ),
            Some(("password".into(), "must be at least 8 characters".into()))
        );
        assert_eq!(
            said("failed to parse \"X\": field `name` verification failed. maxLength(100)"),
            Some(("name".into(), "must be at most 100 characters".into()))
        );
        assert_eq!(
            said("failed to parse \"X\": field `email` verification failed. pattern(\"^[^@]+@\")"),
            Some(("email".into(), "is not in the expected form".into()))
        );
        assert_eq!(said("expect a JSON object"), None);
    }
}
