//! How many imports run at once: one per account, a few per server. An import holds a
//! core parsing and the writer writing, for seconds to minutes; more at once would only
//! share them and let one account crowd out the rest.

use crate::error::Error;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// Imports of one account at once.
pub const PER_ACCOUNT: usize = 1;
/// Seconds a refused import is told to wait.
const RETRY_AFTER: u64 = 10;

#[derive(Debug, Clone)]
pub struct ImportGate {
    per_server: usize,
    running: Arc<Mutex<HashMap<i64, usize>>>,
}

impl Default for ImportGate {
    /// As many as there are cores, at least two.
    fn default() -> ImportGate {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        ImportGate::new(cores.max(2))
    }
}

/// An import's place; given back when dropped.
#[derive(Debug)]
pub struct Place {
    gate: ImportGate,
    account: i64,
}

impl Drop for Place {
    fn drop(&mut self) {
        if let Ok(mut running) = self.gate.running.lock()
            && let Some(n) = running.get_mut(&self.account)
        {
            *n -= 1;
            if *n == 0 {
                running.remove(&self.account);
            }
        }
    }
}

impl ImportGate {
    pub fn new(per_server: usize) -> ImportGate {
        ImportGate {
            per_server: per_server.max(1),
            running: Arc::default(),
        }
    }

    /// A place for one of `account`'s imports; `429` with `Retry-After` when the account
    /// or the server has as many running as it may.
    pub fn enter(&self, account: i64) -> Result<Place, Error> {
        let mut running = self
            .running
            .lock()
            .map_err(|_| Error::internal("the import gate's lock is poisoned"))?;
        if running.get(&account).copied().unwrap_or(0) >= PER_ACCOUNT {
            return Err(Error::limited(
                "this account has an import running; send the next when it ends",
                RETRY_AFTER,
            ));
        }
        if running.values().sum::<usize>() >= self.per_server {
            return Err(Error::limited(
                "the server is running as many imports as it takes at once; try again shortly",
                RETRY_AFTER,
            ));
        }
        *running.entry(account).or_default() += 1;
        Ok(Place {
            gate: self.clone(),
            account,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_import_per_account_and_a_few_per_server() {
        let gate = ImportGate::new(2);
        let first = gate.enter(1).unwrap();
        assert_eq!(gate.enter(1).unwrap_err().kind, crate::error::Kind::Limited);
        let second = gate.enter(2).unwrap();
        let refused = gate.enter(3).unwrap_err();
        assert_eq!(refused.retry_after, Some(RETRY_AFTER));
        drop(first);
        let _third = gate.enter(3).unwrap();
        drop(second);
        assert!(gate.enter(1).is_ok(), "places are given back");
    }
}
