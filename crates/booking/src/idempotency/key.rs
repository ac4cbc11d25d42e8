//! The `Idempotency-Key` header and the request fingerprint.

use sha2::{Digest, Sha256};

/// A valid key: 1..=255 printable ASCII characters, sent bare (`abc`) or as a
/// structured-header string (`"abc"`); both forms name the same key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdempotencyKey(String);

/// Why an `Idempotency-Key` header is refused (`api/` answers 400).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    #[error(
        "send an `Idempotency-Key` header (1 to 255 printable ASCII characters) so a retry can never book twice"
    )]
    Missing,
    #[error("`Idempotency-Key` must be 1 to 255 printable ASCII characters")]
    Invalid,
}

impl IdempotencyKey {
    /// The OpenAPI document says the same (`slotwise_web::contract::IDEMPOTENCY_KEY_PATTERN`): keep them in step.
    pub fn parse(header: Option<&str>) -> Result<Self, KeyError> {
        let raw = (header.map(str::trim))
            .filter(|s| !s.is_empty())
            .ok_or(KeyError::Missing)?;
        let key = match raw.strip_prefix('"').and_then(|s| s.strip_suffix('"')) {
            Some(inner) => inner,
            None => raw,
        };
        let printable = key.bytes().all(|b| (0x20..=0x7e).contains(&b));
        if key.is_empty() || key.len() > 255 || !printable {
            return Err(KeyError::Invalid);
        }
        Ok(Self(key.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// SHA-256 of method, path and the canonical (sorted-key) JSON body.
pub fn fingerprint(method: &str, path: &str, canonical_body: &serde_json::Value) -> Vec<u8> {
    let mut hasher = Sha256::new();
    hasher.update(method.as_bytes());
    hasher.update(b"\n");
    hasher.update(path.as_bytes());
    hasher.update(b"\n");
    hasher.update(canonical_body.to_string().as_bytes());
    hasher.finalize().to_vec()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bare_and_quoted_keys_are_the_same_key() {
        let bare = IdempotencyKey::parse(Some("abc-123")).expect("bare key");
        let quoted = IdempotencyKey::parse(Some("\"abc-123\"")).expect("quoted key");
        assert_eq!(bare, quoted);
        assert_eq!(bare.as_str(), "abc-123");
    }

    #[test]
    fn missing_empty_long_or_unprintable_keys_are_rejected() {
        let refused = |h: Option<&str>| IdempotencyKey::parse(h).map(|_| ()).unwrap_err();
        assert_eq!(refused(None), KeyError::Missing);
        assert_eq!(refused(Some("  ")), KeyError::Missing);
        assert_eq!(refused(Some("\"\"")), KeyError::Invalid);
        assert_eq!(refused(Some(&"k".repeat(256))), KeyError::Invalid);
        assert_eq!(refused(Some("caf\u{e9}")), KeyError::Invalid);
        assert!(IdempotencyKey::parse(Some(&"k".repeat(255))).is_ok());
    }

    #[test]
    fn fingerprint_depends_on_body_not_key_order() {
        let a = serde_json::json!({"a": 1, "b": 2});
        let b: serde_json::Value = serde_json::from_str(r#"{"b":2,"a":1}"#).expect("json");
        assert_eq!(
            fingerprint("POST", "/bookings", &a),
            fingerprint("POST", "/bookings", &b)
        );
        let c = serde_json::json!({"a": 1, "b": 3});
        assert_ne!(
            fingerprint("POST", "/bookings", &a),
            fingerprint("POST", "/bookings", &c)
        );
    }
}
