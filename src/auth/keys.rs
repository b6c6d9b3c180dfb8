//! API keys: generation, and the in-memory cache that resolves a presented key without
//! touching the database or paying a slow hash.
//!
//! A key is `sb_live_` followed by 160 random bits in hex. The database keeps its SHA-256
//! digest; the cache maps digests to the resolved key. Revoking through this server drops
//! the entry at once; changes made by another process (the command line) bump the
//! database's `auth_epoch`, which the server polls every second and which clears the cache.

use super::{digest, random_hex};
use crate::accounts::store::{self, KeyRecord, ResolvedKey};
use crate::clock::Timestamp;
use crate::error::{Error, Result};
use rusqlite::Connection;
use std::collections::HashMap;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::{Mutex, RwLock};

pub const KEY_PREFIX: &str = "sb_live_";
const SECRET_BYTES: usize = 20;
/// How much of the key is kept in clear to recognise it in a list.
const SHOWN_HEX: usize = 6;
/// Longer presented keys are refused before hashing.
pub const MAX_PRESENTED_LEN: usize = 256;
const MAX_CACHED: usize = 50_000;
/// Active keys one account may hold.
pub const MAX_ACTIVE_PER_ACCOUNT: i64 = 100;
pub const MAX_NAME_CHARS: usize = 100;

pub struct NewKey {
    /// The whole key: shown once, never stored.
    pub secret: String,
    pub prefix: String,
    pub digest: [u8; 32],
}

pub fn generate() -> NewKey {
    let secret = format!("{KEY_PREFIX}{}", random_hex(SECRET_BYTES));
    NewKey {
        prefix: secret[..KEY_PREFIX.len() + SHOWN_HEX].to_string(),
        digest: digest(&secret),
        secret,
    }
}

/// A key just issued: its record, and the secret to show once.
pub struct IssuedKey {
    pub record: KeyRecord,
    pub secret: String,
}

/// Creates a key for an account. `name` defaults to "default".
pub fn issue(
    conn: &Connection,
    account_id: i64,
    name: Option<&str>,
    now: Timestamp,
) -> Result<IssuedKey> {
    let name = match name.map(str::trim) {
        None | Some("") => "default",
        Some(n) if n.chars().count() > MAX_NAME_CHARS => {
            return Err(Error::invalid(format!(
                "name: must be at most {MAX_NAME_CHARS} characters"
            )));
        }
        Some(n) => n,
    };
    if store::count_active_keys(conn, account_id)? >= MAX_ACTIVE_PER_ACCOUNT {
        return Err(Error::conflict(format!(
            "this account already has {MAX_ACTIVE_PER_ACCOUNT} active keys; revoke one first"
        )));
    }
    let key = generate();
    let id = store::insert_key(conn, account_id, name, &key.prefix, &key.digest, now)?;
    Ok(IssuedKey {
        record: KeyRecord {
            id,
            name: name.to_string(),
            prefix: key.prefix,
            created_at: now,
            last_used_at: None,
            revoked_at: None,
        },
        secret: key.secret,
    })
}

#[derive(Default)]
pub struct KeyCache {
    entries: RwLock<HashMap<[u8; 32], ResolvedKey>>,
    epoch: AtomicI64,
    /// Moves whenever entries are dropped: a key read from the database before a drop
    /// (a revocation racing the read) must not enter the cache after it.
    generation: AtomicU64,
    /// Last use of each key since the last flush to the database.
    last_used: Mutex<HashMap<i64, Timestamp>>,
}

impl KeyCache {
    pub fn new(epoch: i64) -> KeyCache {
        KeyCache {
            epoch: AtomicI64::new(epoch),
            ..KeyCache::default()
        }
    }

    pub fn get(&self, digest: &[u8; 32]) -> Option<ResolvedKey> {
        self.entries.read().ok()?.get(digest).copied()
    }

    /// Read before looking a key up in the database; hand it to [`KeyCache::insert`].
    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::SeqCst)
    }

    /// Caches a key read from the database, unless entries were dropped since
    /// `generation` was read: the read may predate a revocation.
    pub fn insert(&self, digest: [u8; 32], key: ResolvedKey, generation: u64) {
        if let Ok(mut entries) = self.entries.write() {
            // Drops move the generation under this lock, so this check cannot race one.
            if self.generation.load(Ordering::SeqCst) != generation {
                return;
            }
            if entries.len() >= MAX_CACHED {
                entries.clear();
            }
            entries.insert(digest, key);
        }
    }

    pub fn forget_key(&self, key_id: i64) {
        if let Ok(mut entries) = self.entries.write() {
            self.generation.fetch_add(1, Ordering::SeqCst);
            entries.retain(|_, k| k.key_id != key_id);
        }
    }

    /// Clears everything if the database's epoch moved since the last look.
    pub fn observe_epoch(&self, epoch: i64) {
        if self.epoch.swap(epoch, Ordering::SeqCst) != epoch
            && let Ok(mut entries) = self.entries.write()
        {
            self.generation.fetch_add(1, Ordering::SeqCst);
            entries.clear();
        }
    }

    pub fn touch(&self, key_id: i64, now: Timestamp) {
        if let Ok(mut used) = self.last_used.lock() {
            used.insert(key_id, now);
        }
    }

    pub fn take_last_used(&self) -> Vec<(i64, Timestamp)> {
        self.last_used
            .lock()
            .map(|mut used| used.drain().collect())
            .unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::accounts::Limits;

    fn resolved(key_id: i64) -> ResolvedKey {
        ResolvedKey {
            key_id,
            account_id: 1,
            limits: Limits::default(),
        }
    }

    #[test]
    fn generated_keys_have_the_prefix_and_enough_entropy() {
        let key = generate();
        assert!(key.secret.starts_with("sb_live_"));
        assert_eq!(key.secret.len(), KEY_PREFIX.len() + 2 * SECRET_BYTES);
        assert!(key.secret.starts_with(&key.prefix));
        assert_eq!(key.digest, digest(&key.secret));
        assert_ne!(key.secret, generate().secret);
    }

    #[test]
    fn forgetting_and_epochs_clear_entries() {
        let cache = KeyCache::new(3);
        cache.insert([1; 32], resolved(1), cache.generation());
        cache.insert([2; 32], resolved(2), cache.generation());
        cache.forget_key(1);
        assert!(cache.get(&[1; 32]).is_none());
        assert!(cache.get(&[2; 32]).is_some());
        cache.observe_epoch(3);
        assert!(cache.get(&[2; 32]).is_some(), "same epoch keeps entries");
        cache.observe_epoch(4);
        assert!(cache.get(&[2; 32]).is_none());
    }

    #[test]
    fn a_key_read_before_a_revocation_never_enters_the_cache_after_it() {
        let cache = KeyCache::new(0);
        let before = cache.generation();
        // The read happens here; meanwhile key 1 is revoked and forgotten.
        cache.forget_key(1);
        cache.insert([1; 32], resolved(1), before);
        assert!(cache.get(&[1; 32]).is_none());

        // Racing threads, as requests race an admin's revocation: each reads the
        // generation, then "the database" (the flag), then caches what it read. The
        // revocation commits (the flag), then forgets the key. Whatever the interleaving,
        // the key is not cached at the end.
        for _ in 0..20 {
            let cache = std::sync::Arc::new(KeyCache::new(0));
            let revoked = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
            let readers: Vec<_> = (0..3)
                .map(|_| {
                    let (cache, revoked) = (cache.clone(), revoked.clone());
                    std::thread::spawn(move || {
                        for _ in 0..5_000 {
                            let generation = cache.generation();
                            if !revoked.load(Ordering::SeqCst) {
                                std::hint::spin_loop();
                                cache.insert([1; 32], resolved(1), generation);
                            }
                        }
                    })
                })
                .collect();
            std::thread::yield_now();
            revoked.store(true, Ordering::SeqCst);
            cache.forget_key(1);
            for reader in readers {
                reader.join().unwrap();
            }
            assert!(cache.get(&[1; 32]).is_none(), "a revoked key came back");
        }
    }

    #[test]
    fn last_use_is_taken_once() {
        let cache = KeyCache::new(0);
        cache.touch(7, 100);
        cache.touch(7, 101);
        assert_eq!(cache.take_last_used(), vec![(7, 101)]);
        assert!(cache.take_last_used().is_empty());
    }
}
