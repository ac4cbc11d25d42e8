//! Each operation's error type documents only the statuses it can answer:
//! `Problems<{ NOT_FOUND | UNAVAILABLE }>` wraps an [`ApiError`] and lists
//! exactly those in the OpenAPI document, every one as problem+json. A handler
//! returns it and uses `?` on anything that converts into an `ApiError`.

use crate::problem::{ApiError, PROBLEM_JSON, Problem};
use poem::{IntoResponse, Response};
use poem_openapi::ApiResponse;
use poem_openapi::registry::{MetaMediaType, MetaResponse, MetaResponses, Registry};
use poem_openapi::types::Type;

pub const BAD_REQUEST: u32 = 1 << 0;
pub const UNAUTHORIZED: u32 = 1 << 1;
pub const PAYMENT_REQUIRED: u32 = 1 << 2;
pub const FORBIDDEN: u32 = 1 << 3;
pub const NOT_FOUND: u32 = 1 << 4;
pub const CONFLICT: u32 = 1 << 5;
pub const PRECONDITION_FAILED: u32 = 1 << 6;
pub const PAYLOAD_TOO_LARGE: u32 = 1 << 7;
pub const UNSUPPORTED_MEDIA_TYPE: u32 = 1 << 8;
pub const UNPROCESSABLE: u32 = 1 << 9;
pub const PRECONDITION_REQUIRED: u32 = 1 << 10;
pub const TOO_MANY_REQUESTS: u32 = 1 << 11;
pub const UNAVAILABLE: u32 = 1 << 12;
pub const GONE: u32 = 1 << 13;

/// What any operation with a JSON body can answer about the body itself.
pub const JSON_BODY: u32 = BAD_REQUEST | PAYLOAD_TOO_LARGE | UNSUPPORTED_MEDIA_TYPE;

const DESCRIBED: [(u32, u16, &str); 14] = [
    (BAD_REQUEST, 400, "Invalid input or missing header"),
    (UNAUTHORIZED, 401, "Missing or invalid credentials"),
    (PAYMENT_REQUIRED, 402, "Payment declined"),
    (FORBIDDEN, 403, "Not allowed for this account"),
    (NOT_FOUND, 404, "Not found, or not yours"),
    (CONFLICT, 409, "Conflict with the current state"),
    (GONE, 410, "No longer valid"),
    (PRECONDITION_FAILED, 412, "Stale If-Match version"),
    (PAYLOAD_TOO_LARGE, 413, "Body too large"),
    (UNSUPPORTED_MEDIA_TYPE, 415, "Body is not JSON"),
    (UNPROCESSABLE, 422, "Well-formed but not acceptable"),
    (PRECONDITION_REQUIRED, 428, "If-Match required"),
    (TOO_MANY_REQUESTS, 429, "Too many requests; see Retry-After"),
    (
        UNAVAILABLE,
        503,
        "Database or payment provider unavailable; retry",
    ),
];

/// An operation's error: an [`ApiError`] whose possible statuses are `S`.
#[derive(Debug, Clone)]
pub struct Problems<const S: u32>(pub ApiError);

impl<const S: u32> From<ApiError> for Problems<S> {
    fn from(err: ApiError) -> Self {
        Self(err)
    }
}

/// A domain error that `api/` says as a problem (its `From` impl into
/// [`ApiError`]): `?` turns it into any operation's `Problems`.
pub trait IntoProblem: Into<ApiError> {}

impl<const S: u32, E: IntoProblem> From<E> for Problems<S> {
    fn from(err: E) -> Self {
        Self(err.into())
    }
}

impl<const S: u32> From<slotwise_db::DbError> for Problems<S> {
    fn from(err: slotwise_db::DbError) -> Self {
        Self(err.into())
    }
}

impl<const S: u32> From<slotwise_db::PoolError> for Problems<S> {
    fn from(err: slotwise_db::PoolError) -> Self {
        Self(err.into())
    }
}

impl<const S: u32> std::fmt::Display for Problems<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

/// The inner `ApiError` travels on, so the request-id layer finds and answers it.
impl<const S: u32> From<Problems<S>> for poem::Error {
    fn from(problems: Problems<S>) -> Self {
        problems.0.into()
    }
}

impl<const S: u32> IntoResponse for Problems<S> {
    fn into_response(self) -> Response {
        self.0.into_response()
    }
}

impl<const S: u32> ApiResponse for Problems<S> {
    fn meta() -> MetaResponses {
        MetaResponses {
            responses: DESCRIBED
                .into_iter()
                .filter(|(bit, _, _)| S & bit != 0)
                .map(|(_, status, description)| MetaResponse {
                    description,
                    status: Some(status),
                    status_range: None,
                    content: vec![MetaMediaType {
                        content_type: PROBLEM_JSON,
                        schema: Problem::schema_ref(),
                    }],
                    headers: vec![],
                })
                .collect(),
        }
    }

    fn register(registry: &mut Registry) {
        Problem::register(registry);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_operation_documents_only_its_statuses() {
        let statuses: Vec<Option<u16>> = Problems::<{ NOT_FOUND | UNAVAILABLE }>::meta()
            .responses
            .into_iter()
            .map(|r| r.status)
            .collect();
        assert_eq!(statuses, [Some(404), Some(503)]);
    }
}
