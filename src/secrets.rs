//! Channel secrets at rest. With the operator's key (`--secret-key-file`), a secret is
//! stored sealed: ChaCha20-Poly1305 with a random nonce, bound to where it belongs (the
//! account, the channel and the field), so that a database file or a backup alone reveals
//! no provider token, and a sealed value moved to another account or field does not open.
//! Without the key, secrets are stored as given, as before. Pure: no SQL, no HTTP.

use anyhow::Context;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{ChaCha20Poly1305, Key, Nonce};
use std::fmt;
use std::path::Path;

/// How a sealed value starts; the rest is hex of the nonce and the ciphertext with its tag.
const SEALED: &str = "enc:v1:";
const NONCE_BYTES: usize = 12;

/// The operator's 32-byte key.
#[derive(Clone)]
pub struct SecretKey([u8; 32]);

impl fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretKey(***)")
    }
}

impl SecretKey {
    /// A new random key, as 64 hex digits (what a key file holds).
    pub fn generate() -> String {
        hex::encode(rand::random::<[u8; 32]>())
    }

    /// Reads a key file: 64 hex digits (surrounding whitespace ignored).
    pub fn from_file(path: &Path) -> anyhow::Result<SecretKey> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read the secret key file {}", path.display()))?;
        SecretKey::parse(text.trim()).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))
    }

    pub fn parse(hex_key: &str) -> Result<SecretKey, String> {
        let bytes =
            hex::decode(hex_key).map_err(|_| "the key must be 64 hex digits".to_string())?;
        let key: [u8; 32] = bytes
            .try_into()
            .map_err(|_| "the key must be 64 hex digits (32 bytes)".to_string())?;
        Ok(SecretKey(key))
    }

    fn cipher(&self) -> ChaCha20Poly1305 {
        ChaCha20Poly1305::new(Key::from_slice(&self.0))
    }

    /// `secret` sealed for the place `at` names.
    pub fn seal(&self, at: &str, secret: &str) -> String {
        let nonce = rand::random::<[u8; NONCE_BYTES]>();
        let payload = Payload {
            msg: secret.as_bytes(),
            aad: at.as_bytes(),
        };
        let sealed = self
            .cipher()
            .encrypt(Nonce::from_slice(&nonce), payload)
            .expect("sealing in memory does not fail");
        format!("{SEALED}{}{}", hex::encode(nonce), hex::encode(sealed))
    }

    /// The secret a sealed value holds, if this key sealed it for `at`.
    pub fn open(&self, at: &str, sealed: &str) -> Result<String, String> {
        let bytes = sealed
            .strip_prefix(SEALED)
            .and_then(|hex_text| hex::decode(hex_text).ok())
            .filter(|b| b.len() > NONCE_BYTES)
            .ok_or("not a sealed value")?;
        let (nonce, sealed) = bytes.split_at(NONCE_BYTES);
        let payload = Payload {
            msg: sealed,
            aad: at.as_bytes(),
        };
        let secret = self
            .cipher()
            .decrypt(Nonce::from_slice(nonce), payload)
            .map_err(|_| "it was sealed with another key, or for another place")?;
        String::from_utf8(secret).map_err(|_| "it is not text".to_string())
    }
}

/// Whether a stored value is sealed.
pub fn is_sealed(value: &str) -> bool {
    value.starts_with(SEALED)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sealed_secret_opens_only_with_its_key_and_in_its_place() {
        let key = SecretKey::parse(&SecretKey::generate()).unwrap();
        let sealed = key.seal("1/whatsapp/accessToken", "EAAG-token");
        assert!(is_sealed(&sealed) && !sealed.contains("EAAG"));
        assert_ne!(
            sealed,
            key.seal("1/whatsapp/accessToken", "EAAG-token"),
            "fresh nonces"
        );
        assert_eq!(
            key.open("1/whatsapp/accessToken", &sealed).unwrap(),
            "EAAG-token"
        );
        assert!(
            key.open("2/whatsapp/accessToken", &sealed).is_err(),
            "another account"
        );
        assert!(
            key.open("1/whatsapp/appSecret", &sealed).is_err(),
            "another field"
        );
        let other = SecretKey::parse(&SecretKey::generate()).unwrap();
        assert!(other.open("1/whatsapp/accessToken", &sealed).is_err());
        let last = if sealed.ends_with('0') { "1" } else { "0" };
        let tampered = format!("{}{last}", &sealed[..sealed.len() - 1]);
        assert!(key.open("1/whatsapp/accessToken", &tampered).is_err());
        assert!(key.open("1/whatsapp/accessToken", "EAAG-token").is_err());
        assert!(SecretKey::parse("abcd").is_err());
        assert_eq!(format!("{key:?}"), "SecretKey(***)");
    }
}
