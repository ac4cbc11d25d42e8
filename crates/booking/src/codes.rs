//! Ticket codes a scanner verifies offline: a compact token of the event, the
//! ticket and the ticket's move counter, signed with the event's Ed25519 key.
//! Every move bumps the counter, so an old code still verifies as a signature
//! but is stale: the check-in list (and the server) know the current counter.
//!
//! An event's key is derived from the server's `TICKET_SIGNING_SECRET`
//! (HMAC-SHA256 of the event id), so nothing secret is stored per event and
//! the private key is never served; the public key is, in the check-in list.
//!
//! The token is 101 bytes (version 1, event id 16, ticket id 16, counter 4,
//! signature 64), 135 characters of unpadded base64url: a version 8 QR code
//! at error correction M (49×49 modules), which a phone camera reads from a
//! screen at arm's length.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ed25519_dalek::{Signature, Signer, SigningKey, Verifier, VerifyingKey};
use hmac::{Hmac, Mac};
use sha2::Sha256;
use std::sync::OnceLock;
use uuid::Uuid;

const VERSION: u8 = 1;
const PAYLOAD: usize = 1 + 16 + 16 + 4;
/// A token's length in bytes, before base64url.
pub const TOKEN_BYTES: usize = PAYLOAD + 64;
/// A token's length in characters, as the QR code and the mail carry it.
pub const TOKEN_CHARS: usize = (TOKEN_BYTES * 4).div_ceil(3);

static SECRET: OnceLock<Vec<u8>> = OnceLock::new();

/// Sets the process's signing secret (once; the same secret again is fine:
/// several test apps share a process).
pub fn configure(secret: &str) -> anyhow::Result<()> {
    let set = SECRET.get_or_init(|| secret.as_bytes().to_vec());
    anyhow::ensure!(
        set == secret.as_bytes(),
        "one TICKET_SIGNING_SECRET per process"
    );
    Ok(())
}

fn secret() -> &'static [u8] {
    SECRET
        .get()
        .expect("codes::configure runs when the service starts (AppState::new)")
}

/// The event's signing key (never leaves this process).
fn signing_key(event_id: Uuid) -> SigningKey {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret()).expect("any key length");
    mac.update(b"slotwise ticket signing key v1:");
    mac.update(event_id.as_bytes());
    SigningKey::from_bytes(&mac.finalize().into_bytes().into())
}

/// The event's public key, as the check-in list serves it (32 bytes, base64url).
pub fn public_key(event_id: Uuid) -> String {
    URL_SAFE_NO_PAD.encode(signing_key(event_id).verifying_key().as_bytes())
}

fn payload(event_id: Uuid, ticket_id: Uuid, counter: i32) -> [u8; PAYLOAD] {
    let mut p = [0u8; PAYLOAD];
    p[0] = VERSION;
    p[1..17].copy_from_slice(event_id.as_bytes());
    p[17..33].copy_from_slice(ticket_id.as_bytes());
    p[33..37].copy_from_slice(&counter.to_be_bytes());
    p
}

/// The code of a ticket at move `counter`.
pub fn sign(event_id: Uuid, ticket_id: Uuid, counter: i32) -> String {
    let p = payload(event_id, ticket_id, counter);
    let signature = signing_key(event_id).sign(&p);
    let mut token = Vec::with_capacity(TOKEN_BYTES);
    token.extend_from_slice(&p);
    token.extend_from_slice(&signature.to_bytes());
    URL_SAFE_NO_PAD.encode(token)
}

/// What a verified code says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Scanned {
    pub event_id: Uuid,
    pub ticket_id: Uuid,
    pub counter: i32,
}

/// Why a scanned string is not a code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum CodeError {
    /// Not a token at all: a misread, or text typed by hand.
    #[error("this is not a ticket code")]
    Garbled,
    /// The shape of a token whose signature is not the event's.
    #[error("this code was not issued by Slotwise")]
    Forged,
}

/// Reads and verifies a scanned code (with the key of the event it names).
pub fn verify(code: &str) -> Result<Scanned, CodeError> {
    let bytes = URL_SAFE_NO_PAD
        .decode(code.trim())
        .map_err(|_| CodeError::Garbled)?;
    if bytes.len() != TOKEN_BYTES || bytes[0] != VERSION {
        return Err(CodeError::Garbled);
    }
    let (p, sig) = bytes.split_at(PAYLOAD);
    let event_id = Uuid::from_slice(&p[1..17]).map_err(|_| CodeError::Garbled)?;
    let ticket_id = Uuid::from_slice(&p[17..33]).map_err(|_| CodeError::Garbled)?;
    let counter = i32::from_be_bytes(p[33..37].try_into().expect("4 bytes"));
    let signature = Signature::from_slice(sig).map_err(|_| CodeError::Garbled)?;
    let key: VerifyingKey = signing_key(event_id).verifying_key();
    key.verify(p, &signature).map_err(|_| CodeError::Forged)?;
    Ok(Scanned {
        event_id,
        ticket_id,
        counter,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn setup() {
        configure(crate::config::DEV_TICKET_SIGNING_SECRET).expect("one secret");
    }

    #[test]
    fn a_code_verifies_and_says_what_it_was_signed_for() {
        setup();
        let (event, ticket) = (Uuid::new_v4(), Uuid::new_v4());
        let code = sign(event, ticket, 3);
        assert_eq!(code.len(), TOKEN_CHARS);
        assert_eq!(TOKEN_CHARS, 135);
        let scanned = verify(&code).expect("valid");
        assert_eq!(
            scanned,
            Scanned {
                event_id: event,
                ticket_id: ticket,
                counter: 3
            }
        );
    }

    #[test]
    fn a_changed_byte_or_another_events_key_is_forged_and_junk_is_garbled() {
        setup();
        let (event, ticket) = (Uuid::new_v4(), Uuid::new_v4());
        let mut bytes = URL_SAFE_NO_PAD.decode(sign(event, ticket, 0)).expect("b64");
        // Raise the counter: the signature no longer matches.
        bytes[36] = 9;
        assert_eq!(
            verify(&URL_SAFE_NO_PAD.encode(&bytes)),
            Err(CodeError::Forged)
        );
        // Claim another event with this event's signature.
        let mut other = URL_SAFE_NO_PAD.decode(sign(event, ticket, 0)).expect("b64");
        other[1..17].copy_from_slice(Uuid::new_v4().as_bytes());
        assert_eq!(
            verify(&URL_SAFE_NO_PAD.encode(&other)),
            Err(CodeError::Forged)
        );
        for junk in ["", "hello", "0123456789abcdef0123456789abcdef", "%%%"] {
            assert_eq!(verify(junk), Err(CodeError::Garbled), "{junk}");
        }
    }
}
