//! `Stripe-Signature`: `t=<unix time>,v1=<hex HMAC-SHA256 of "t.payload">[,v1=...]`.
//!
//! Verified here rather than through a typed event parser so that an event is
//! accepted on its signature alone, whatever fields its object carries.
//! Our own check, not async-stripe-webhook's: that crate keeps only the last
//! `v1` of the header (Stripe sends several while a secret is rolled) and has
//! no verify-only call, just `construct_event`, which also parses the event
//! into types the emulator's events do not fit.

use hmac::{Hmac, Mac};
use sha2::Sha256;

pub const TOLERANCE_SECS: i64 = 300;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignatureError {
    Missing,
    Malformed,
    Stale,
    Mismatch,
}

impl SignatureError {
    pub fn message(self) -> &'static str {
        match self {
            SignatureError::Missing => "the Stripe-Signature header is missing",
            SignatureError::Malformed => "the Stripe-Signature header is malformed",
            SignatureError::Stale => "the signature timestamp is outside the 300 s tolerance",
            SignatureError::Mismatch => "no v1 signature matches the payload",
        }
    }
}

fn mac(secret: &str, timestamp: i64, payload: &[u8]) -> Hmac<Sha256> {
    let mut mac =
        Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes keys of any length");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(payload);
    mac
}

/// Checks `header` against `payload` at time `now` (unix seconds).
pub fn verify(
    secret: &str,
    header: Option<&str>,
    payload: &[u8],
    now: i64,
) -> Result<(), SignatureError> {
    let header = header.ok_or(SignatureError::Missing)?;
    let mut timestamp = None;
    let mut signatures = Vec::new();
    for part in header.split(',') {
        match part.trim().split_once('=') {
            Some(("t", t)) => {
                timestamp = Some(t.parse::<i64>().map_err(|_| SignatureError::Malformed)?)
            }
            Some(("v1", sig)) => {
                signatures.push(hex::decode(sig).map_err(|_| SignatureError::Malformed)?)
            }
            Some(_) => {}
            None => return Err(SignatureError::Malformed),
        }
    }
    let timestamp = timestamp.ok_or(SignatureError::Malformed)?;
    if signatures.is_empty() {
        return Err(SignatureError::Malformed);
    }
    if (now - timestamp).abs() > TOLERANCE_SECS {
        return Err(SignatureError::Stale);
    }
    let valid = signatures
        .iter()
        .any(|sig| mac(secret, timestamp, payload).verify_slice(sig).is_ok());
    if valid {
        Ok(())
    } else {
        Err(SignatureError::Mismatch)
    }
}

/// A header as Stripe would send it (used by tests and the emulator tooling).
pub fn sign(secret: &str, payload: &[u8], timestamp: i64) -> String {
    let sig = hex::encode(mac(secret, timestamp, payload).finalize().into_bytes());
    format!("t={timestamp},v1={sig}")
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "whsec_test";

    #[test]
    fn a_signed_payload_verifies_within_tolerance() {
        let header = sign(SECRET, b"{}", 1_000);
        assert_eq!(verify(SECRET, Some(&header), b"{}", 1_000 + 300), Ok(()));
        assert_eq!(verify(SECRET, Some(&header), b"{}", 1_000 - 300), Ok(()));
        assert_eq!(
            verify(SECRET, Some(&header), b"{}", 1_301),
            Err(SignatureError::Stale)
        );
    }

    #[test]
    fn any_of_several_v1_signatures_may_match() {
        let good = sign(SECRET, b"{}", 50);
        let other = sign("whsec_other", b"{}", 50);
        let sig = good.split("v1=").nth(1).expect("sig");
        let header = format!("{other},v1={sig},v0=ignored");
        assert_eq!(verify(SECRET, Some(&header), b"{}", 50), Ok(()));
    }

    #[test]
    fn forged_tampered_or_malformed_headers_fail() {
        let header = sign(SECRET, b"{}", 50);
        assert_eq!(
            verify("whsec_other", Some(&header), b"{}", 50),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(
            verify(SECRET, Some(&header), b"{ }", 50),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(
            verify(SECRET, None, b"{}", 50),
            Err(SignatureError::Missing)
        );
        assert_eq!(
            verify(SECRET, Some("t=50"), b"{}", 50),
            Err(SignatureError::Malformed)
        );
        assert_eq!(
            verify(SECRET, Some("v1=zz,t=50"), b"{}", 50),
            Err(SignatureError::Malformed)
        );
        assert_eq!(
            verify(SECRET, Some("garbage"), b"{}", 50),
            Err(SignatureError::Malformed)
        );
    }
}
