//! Argon2id password hashing with OWASP's recommended parameters (19 MiB, t=2, p=1).
//! Tens of milliseconds of CPU each: callers on the async workers run it in `web::block`.

use crate::error::Error;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use argon2::{Algorithm, Argon2, Params, Version};
use std::sync::{Arc, LazyLock};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

const MEMORY_KIB: u32 = 19 * 1024;
const ITERATIONS: u32 = 2;
const PARALLELISM: u32 = 1;

fn argon2() -> Argon2<'static> {
    let params = Params::new(MEMORY_KIB, ITERATIONS, PARALLELISM, None)
        .expect("constant Argon2 parameters are valid");
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// A PHC string (`$argon2id$v=19$m=19456,t=2,p=1$salt$hash`) with a fresh random salt.
pub fn hash(password: &str) -> Result<String, Error> {
    argon2()
        .hash_password(password.as_bytes())
        .map(|h| h.to_string())
        .map_err(Error::internal)
}

pub fn verify(password: &str, phc: &str) -> bool {
    argon2().verify_password(password.as_bytes(), phc).is_ok()
}

/// Spends the time of a real verification, so an unknown email answers as slowly as a
/// wrong password and response times do not reveal which accounts exist. Argon2's cost
/// does not depend on the password, so the caller's input is not needed.
pub fn verify_nothing() {
    static DUMMY: LazyLock<String> =
        LazyLock::new(|| hash("switchboard-dummy-password").unwrap_or_default());
    let _ = verify("not the password", &DUMMY);
}

/// Hashes running at once, per core: each holds 19 MiB, so a burst of logins or sign-ups
/// must queue at the door, not in memory.
const HASHES_PER_CORE: usize = 2;

/// The door to password hashing: a bounded number at once; past it, `503` at once.
#[derive(Clone)]
pub struct HashGate(Arc<Semaphore>);

impl Default for HashGate {
    fn default() -> HashGate {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        HashGate::new(cores * HASHES_PER_CORE)
    }
}

impl HashGate {
    pub fn new(at_once: usize) -> HashGate {
        HashGate(Arc::new(Semaphore::new(at_once.max(1))))
    }

    /// A place to hash in, held until dropped; `503` with `Retry-After` when all are taken.
    pub fn enter(&self) -> Result<OwnedSemaphorePermit, Error> {
        self.0.clone().try_acquire_owned().map_err(|_| {
            Error::unavailable_for(
                "the server is busy checking passwords; try again in a second",
                1,
            )
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_verify_and_use_argon2id_with_owasp_parameters() {
        let phc = hash("correct horse battery").unwrap();
        assert!(phc.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{phc}");
        assert!(verify("correct horse battery", &phc));
        assert!(!verify("wrong horse battery", &phc));
        assert!(!verify("anything", "not a phc string"));
        assert_ne!(phc, hash("correct horse battery").unwrap(), "salted");
    }
}
