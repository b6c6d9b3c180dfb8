//! What provider webhooks check before anything else: a cap on calls per account, and each
//! account's channel settings kept in memory, so that a call is judged by its signature
//! before it costs a database connection. The channel routes drop an entry whenever its
//! settings change.

use super::store::{self, Stored};
use crate::auth::throttle::FailureThrottle;
use crate::clock::Timestamp;
use crate::db::Pool;
use crate::error::{Error, Result};
use crate::messages::model::Channel;
use crate::secrets::SecretKey;
use serde_json::{Map, Value};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// Webhook calls one account may make in a minute, on all its channels: far above what a
/// busy WhatsApp number's callbacks come to, far below what would crowd out other accounts.
pub const CALLS_PER_MINUTE: u32 = 30_000;
/// Accounts' settings kept at once; past it the cache starts over.
const MAX_CACHED: usize = 10_000;

/// An account's settings of one channel, or `None` when it has none usable.
pub type Settings = Option<Arc<Map<String, Value>>>;

pub struct Hooks {
    settings: Mutex<HashMap<(i64, Channel), Settings>>,
    calls: FailureThrottle,
}

impl Default for Hooks {
    fn default() -> Hooks {
        Hooks::new(CALLS_PER_MINUTE)
    }
}

impl Hooks {
    pub fn new(calls_per_minute: u32) -> Hooks {
        Hooks {
            settings: Mutex::new(HashMap::new()),
            calls: FailureThrottle::new(calls_per_minute, 60),
        }
    }

    /// Counts a call to `account`'s webhooks: `429` once the minute's calls are used up.
    pub fn admit(&self, account: i64, now: Timestamp) -> Result<()> {
        self.calls
            .reserve(&account.to_string(), now)
            .map_err(|wait| Error::limited("too many webhook calls for this account", wait))
    }

    /// The settings, from memory when they are there. Settings that no longer read count
    /// as none (the caller answers as for an unknown account); the log says why.
    pub fn settings(
        &self,
        pool: &Pool,
        key: Option<&SecretKey>,
        account: i64,
        channel: Channel,
    ) -> Result<Settings> {
        let place = (account, channel);
        if let Some(found) = self
            .settings
            .lock()
            .ok()
            .and_then(|s| s.get(&place).cloned())
        {
            return Ok(found);
        }
        let found = match store::read(&*pool.get()?, account, channel, key)? {
            Stored::Settings(settings) => Some(Arc::new(settings)),
            Stored::Missing => None,
            Stored::Unreadable(why) => {
                log::error!(
                    "webhook of account {account}: {}",
                    store::unreadable(channel, &why)
                );
                None
            }
        };
        if let Ok(mut cached) = self.settings.lock() {
            if cached.len() >= MAX_CACHED {
                cached.clear();
            }
            cached.insert(place, found.clone());
        }
        Ok(found)
    }

    /// The account's settings of `channel` changed: read them afresh next time.
    pub fn forget(&self, account: i64, channel: Channel) {
        if let Ok(mut cached) = self.settings.lock() {
            cached.remove(&(account, channel));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_account_has_its_own_cap_per_minute() {
        let hooks = Hooks::new(2);
        assert!(hooks.admit(1, 0).is_ok());
        assert!(hooks.admit(1, 1).is_ok());
        let refused = hooks.admit(1, 2).unwrap_err();
        assert_eq!(
            (refused.kind, refused.retry_after),
            (crate::error::Kind::Limited, Some(58))
        );
        assert!(hooks.admit(2, 2).is_ok(), "another account is not held up");
        assert!(hooks.admit(1, 60).is_ok(), "the next minute");
    }
}
