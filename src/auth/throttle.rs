//! Throttling of admin logins, per email and per client address, and of sign-ups per
//! client address, so a password cannot be guessed at speed and password hashing cannot be
//! used to exhaust the server. An attempt is taken *before* the hash it guards and given
//! back on success, so a burst of concurrent guesses cannot all pass the check before any
//! is counted. Kept in memory: a restart forgets it, which costs an attacker a restart
//! they cannot cause.

use crate::clock::Timestamp;
use std::collections::HashMap;
use std::sync::Mutex;

/// Failures allowed per email within the window.
pub const PER_EMAIL: u32 = 5;
/// Failures allowed per client address within the window (it may try many emails).
pub const PER_CLIENT: u32 = 20;
/// Sign-ups per client address within the window.
pub const SIGNUPS_PER_CLIENT: u32 = 10;
pub const WINDOW_SECS: i64 = 15 * 60;
const MAX_TRACKED: usize = 100_000;

#[derive(Clone, Copy)]
struct Failures {
    first: Timestamp,
    count: u32,
}

/// Counts failures per key in a window that starts at the first failure.
pub struct FailureThrottle {
    max: u32,
    window: i64,
    failures: Mutex<HashMap<String, Failures>>,
}

impl FailureThrottle {
    pub fn new(max: u32, window: i64) -> Self {
        FailureThrottle {
            max,
            window,
            failures: Mutex::new(HashMap::new()),
        }
    }

    /// Seconds to wait if `key` has used up its failures, else `None`.
    pub fn blocked(&self, key: &str, now: Timestamp) -> Option<u64> {
        let failures = self.failures.lock().ok()?;
        let f = failures.get(key)?;
        let ends = f.first + self.window;
        (f.count >= self.max && now < ends).then(|| (ends - now) as u64)
    }

    /// Takes one attempt for `key`, before the work it guards; `Err(seconds to wait)` when
    /// the window's attempts are taken.
    pub fn reserve(&self, key: &str, now: Timestamp) -> Result<(), u64> {
        let Ok(mut failures) = self.failures.lock() else {
            return Err(1);
        };
        if failures.len() >= MAX_TRACKED {
            let window = self.window;
            failures.retain(|_, f| f.first + window > now);
        }
        let f = failures.entry(key.to_string()).or_insert(Failures {
            first: now,
            count: 0,
        });
        if f.first + self.window <= now {
            *f = Failures {
                first: now,
                count: 0,
            };
        }
        if f.count >= self.max {
            return Err((f.first + self.window - now).max(1) as u64);
        }
        f.count += 1;
        Ok(())
    }

    /// Gives back an attempt that [`FailureThrottle::reserve`] took and that succeeded.
    pub fn give_back(&self, key: &str) {
        if let Ok(mut failures) = self.failures.lock()
            && let Some(f) = failures.get_mut(key)
        {
            f.count = f.count.saturating_sub(1);
        }
    }

    pub fn fail(&self, key: &str, now: Timestamp) {
        let Ok(mut failures) = self.failures.lock() else {
            return;
        };
        if failures.len() >= MAX_TRACKED {
            let window = self.window;
            failures.retain(|_, f| f.first + window > now);
        }
        let f = failures.entry(key.to_string()).or_insert(Failures {
            first: now,
            count: 0,
        });
        if f.first + self.window <= now {
            *f = Failures {
                first: now,
                count: 0,
            };
        }
        f.count += 1;
    }

    pub fn clear(&self, key: &str) {
        if let Ok(mut failures) = self.failures.lock() {
            failures.remove(key);
        }
    }
}

/// The admin login's two throttles, and sign-up's.
pub struct LoginThrottle {
    pub by_email: FailureThrottle,
    pub by_client: FailureThrottle,
    pub signups: FailureThrottle,
}

impl Default for LoginThrottle {
    fn default() -> Self {
        LoginThrottle {
            by_email: FailureThrottle::new(PER_EMAIL, WINDOW_SECS),
            by_client: FailureThrottle::new(PER_CLIENT, WINDOW_SECS),
            signups: FailureThrottle::new(SIGNUPS_PER_CLIENT, WINDOW_SECS),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_after_max_failures_until_the_window_ends() {
        let t = FailureThrottle::new(3, 100);
        for i in 0..3 {
            assert_eq!(t.blocked("a", 10 + i), None);
            t.fail("a", 10 + i);
        }
        assert_eq!(t.blocked("a", 20), Some(90));
        assert_eq!(t.blocked("b", 20), None, "keys are independent");
        assert_eq!(t.blocked("a", 110), None, "window over");
        t.fail("a", 110);
        assert_eq!(
            t.blocked("a", 111),
            None,
            "a new window starts from one failure"
        );
    }

    #[test]
    fn reservations_are_taken_before_the_work_and_given_back_on_success() {
        let t = FailureThrottle::new(2, 100);
        assert_eq!(t.reserve("a", 0), Ok(()));
        assert_eq!(t.reserve("a", 1), Ok(()));
        assert_eq!(
            t.reserve("a", 2),
            Err(98),
            "both taken while their work runs"
        );
        t.give_back("a");
        assert_eq!(t.reserve("a", 3), Ok(()));
        assert_eq!(t.reserve("a", 100), Ok(()), "a new window");
    }

    #[test]
    fn clear_forgets() {
        let t = FailureThrottle::new(1, 100);
        t.fail("a", 0);
        assert!(t.blocked("a", 1).is_some());
        t.clear("a");
        assert!(t.blocked("a", 1).is_none());
    }
}
