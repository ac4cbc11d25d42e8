//! Opaque cursors and page limits shared by every list.

use crate::problem::{ApiError, FieldError};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::Serialize;
use serde::de::DeserializeOwned;

pub const DEFAULT_LIMIT: u32 = 20;
pub const MAX_LIMIT: u32 = 100;

pub fn encode_cursor<T: Serialize>(position: &T) -> String {
    URL_SAFE_NO_PAD.encode(serde_json::to_vec(position).unwrap_or_default())
}

pub fn decode_cursor<T: DeserializeOwned>(cursor: &str) -> Result<T, ApiError> {
    URL_SAFE_NO_PAD
        .decode(cursor)
        .ok()
        .and_then(|bytes| serde_json::from_slice(&bytes).ok())
        .ok_or_else(|| {
            ApiError::validation(vec![FieldError {
                field: "cursor".into(),
                message: "not a cursor this API returned".into(),
            }])
        })
}

/// `limit` checked against 1..=100, defaulting to 20.
pub fn page_limit(limit: Option<u32>) -> Result<u32, ApiError> {
    match limit {
        None => Ok(DEFAULT_LIMIT),
        Some(n) if (1..=MAX_LIMIT).contains(&n) => Ok(n),
        Some(_) => Err(ApiError::validation(vec![FieldError {
            field: "limit".into(),
            message: format!("must be between 1 and {MAX_LIMIT}"),
        }])),
    }
}

/// A page of `limit` from `rows` fetched with one extra, and the cursor (the
/// position `at` the last row) to pass for the next one, `None` on the last page.
pub fn split_page<T, P: Serialize>(
    rows: Vec<T>,
    limit: u32,
    at: impl Fn(&T) -> P,
) -> (Vec<T>, Option<String>) {
    let more = rows.len() > limit as usize;
    let items: Vec<T> = rows.into_iter().take(limit as usize).collect();
    let next = more
        .then(|| items.last().map(|r| encode_cursor(&at(r))))
        .flatten();
    (items, next)
}
