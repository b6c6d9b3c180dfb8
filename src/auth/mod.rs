//! Who is asking: API keys (with their in-memory cache and the request middleware), admin
//! sessions, password hashing and the login throttle.

pub mod keys;
pub mod password;
pub mod throttle;

use rand::TryRng;
use sha2::{Digest, Sha256};

/// `n` bytes from the operating system's random source, as lowercase hex.
pub fn random_hex(n: usize) -> String {
    let mut bytes = vec![0u8; n];
    rand::rngs::SysRng
        .try_fill_bytes(&mut bytes)
        .expect("the operating system's random source failed");
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// SHA-256 of a high-entropy secret (key or session token). A fast digest suffices: the
/// secrets are random, not passwords, so there is nothing to brute-force.
pub fn digest(secret: &str) -> [u8; 32] {
    Sha256::digest(secret.as_bytes()).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn random_hex_is_random_and_sized() {
        let a = random_hex(20);
        assert_eq!(a.len(), 40);
        assert!(a.bytes().all(|b| b.is_ascii_hexdigit()));
        assert_ne!(a, random_hex(20));
    }
}
