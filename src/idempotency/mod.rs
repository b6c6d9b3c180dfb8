//! `Idempotency-Key` (docs/api.md#messages): a retried send with the same key and body
//! replays the first answer byte for byte and sends nothing; the same key with another body
//! is `422`; a repeat while the first is still running is `409`. Keys are per account and
//! live 24 h.
//!
//! Only successful answers are remembered: a send refused with a `4xx` changed nothing, so
//! retrying it with the same key after fixing the cause is allowed.

pub mod store;

use crate::error::{Error, Kind};
use sha2::{Digest, Sha256};
use std::collections::HashSet;
use std::sync::{Arc, Mutex};

pub const HEADER: &str = "idempotency-key";
pub const MAX_KEY: usize = 255;
/// How long an answer is replayed.
pub const TTL: i64 = 24 * 3600;

/// The key a request's [`HEADER`] holds, if it has one: 1 to 255 visible ASCII characters.
pub fn key_of(header: Option<&[u8]>) -> Result<Option<String>, Error> {
    let Some(value) = header else {
        return Ok(None);
    };
    let key = std::str::from_utf8(value)
        .ok()
        .map(str::trim)
        .filter(|k| !k.is_empty() && k.len() <= MAX_KEY && k.bytes().all(|b| b.is_ascii_graphic()));
    key.map(|k| Some(k.to_string())).ok_or_else(|| {
        Error::invalid(format!(
            "Idempotency-Key: 1 to {MAX_KEY} visible ASCII characters"
        ))
    })
}

/// What makes two requests "the same": the route and the body's bytes.
pub fn fingerprint(path: &str, body: &[u8]) -> Vec<u8> {
    let mut hash = Sha256::new();
    hash.update(path.as_bytes());
    hash.update([0]);
    hash.update(body);
    hash.finalize().to_vec()
}

/// The answer to a request with a key that was used before.
pub fn replay(stored: store::Stored, fingerprint: &[u8]) -> Result<String, Error> {
    if stored.fingerprint != fingerprint {
        return Err(Error::new(
            Kind::Unprocessable,
            "Idempotency-Key: this key was used within 24 hours for a different request",
        ));
    }
    Ok(stored.response)
}

/// Keys whose first request is still being processed, per account.
#[derive(Default)]
pub struct InFlight(Arc<Mutex<HashSet<(i64, String)>>>);

/// Holds a key as in flight until dropped.
pub struct Claim {
    keys: Arc<Mutex<HashSet<(i64, String)>>>,
    entry: (i64, String),
}

impl InFlight {
    /// Claims the key, or `409` if a request with it is still running.
    pub fn claim(&self, account_id: i64, key: &str) -> Result<Claim, Error> {
        let entry = (account_id, key.to_string());
        let fresh = self.0.lock().expect("in-flight keys").insert(entry.clone());
        if !fresh {
            return Err(Error::conflict(
                "Idempotency-Key: a request with this key is still being processed; retry later",
            ));
        }
        Ok(Claim {
            keys: self.0.clone(),
            entry,
        })
    }
}

impl Drop for Claim {
    fn drop(&mut self) {
        if let Ok(mut keys) = self.keys.lock() {
            keys.remove(&self.entry);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_is_claimed_once_until_released() {
        let flight = InFlight::default();
        let first = flight.claim(1, "k").unwrap();
        assert_eq!(flight.claim(1, "k").err().unwrap().kind, Kind::Conflict);
        let _other_account = flight.claim(2, "k").unwrap();
        drop(first);
        flight.claim(1, "k").unwrap();
    }

    #[test]
    fn fingerprints_cover_route_and_body() {
        let a = fingerprint("/v1/messages/whatsapp/sendtext", b"{}");
        assert_eq!(a, fingerprint("/v1/messages/whatsapp/sendtext", b"{}"));
        assert_ne!(a, fingerprint("/v1/messages/telegram/sendtext", b"{}"));
        assert_ne!(a, fingerprint("/v1/messages/whatsapp/sendtext", b"{ }"));
    }
}
