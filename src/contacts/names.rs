//! Each account's custom attribute names, kept in memory for reading people.
//!
//! Decoding a person's value slots needs the names; asking SQLite for them on every read
//! was a large share of a point lookup's profile. Names are append-only: once a slot has a
//! name and kind it keeps them (nothing updates or deletes `attribute_keys`, and accounts
//! are never deleted). So a kept list is right for every slot it names and can only lack
//! newer ones. Each read of a person also counts the account's names in its own snapshot;
//! a count above the list's length shows it is behind, and the reader reloads it in one
//! snapshot with the row, where every name a value of the row needs was committed. Only
//! committed names are kept: a list read inside a write transaction, which may still roll
//! back, serves that read and is not stored.

use super::model::AttrKey;
use super::store::attribute_keys;
use crate::error::Result;
use rusqlite::{Connection, MAIN_DB, TransactionState};
use std::collections::HashMap;
use std::sync::{Arc, PoisonError, RwLock};

/// One account's attribute names as of some snapshot.
#[derive(Debug, Default)]
pub struct Names {
    /// In name order, the order answers list attributes in.
    pub keys: Vec<AttrKey>,
    /// The highest named slot, 0 when none is: a read selects the slots up to it.
    last_slot: usize,
}

impl Names {
    pub fn new(mut keys: Vec<AttrKey>) -> Self {
        keys.sort_unstable_by(|a, b| a.name.cmp(&b.name));
        let last_slot = keys.iter().map(|k| k.slot).max().unwrap_or(0);
        Names { keys, last_slot }
    }

    pub fn last_slot(&self) -> usize {
        self.last_slot
    }
}

/// Names kept at most, over every account: a name with its text is about a hundred bytes,
/// so the cache stays within a few MB however many accounts a server holds.
const MAX_KEPT: usize = 32_768;

/// The names of the accounts read lately. `AttributeNames::default()` is an empty one,
/// which reads through to SQLite on first use, for callers without the shared one. Past
/// [`MAX_KEPT`] names it starts again empty (each account then reads its names once more).
#[derive(Debug, Default)]
pub struct AttributeNames {
    accounts: RwLock<Kept>,
}

#[derive(Debug, Default)]
struct Kept {
    lists: HashMap<i64, Arc<Names>>,
    /// Names in all the lists.
    names: usize,
}

impl AttributeNames {
    /// The account's names, read through `conn` the first time.
    pub fn get(&self, conn: &Connection, account_id: i64) -> Result<Arc<Names>> {
        let kept = self
            .accounts
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .lists
            .get(&account_id)
            .cloned();
        match kept {
            Some(names) => Ok(names),
            None => self.reload(conn, account_id),
        }
    }

    /// Reads the account's names again through `conn`, keeping them unless `conn` is inside
    /// a write transaction. Of two concurrent reloads the longer (newer) list stays.
    pub fn reload(&self, conn: &Connection, account_id: i64) -> Result<Arc<Names>> {
        let names = Arc::new(Names::new(attribute_keys(conn, account_id)?));
        if conn.transaction_state(Some(MAIN_DB))? != TransactionState::Write {
            let mut accounts = self
                .accounts
                .write()
                .unwrap_or_else(PoisonError::into_inner);
            if accounts.names + names.keys.len() > MAX_KEPT {
                *accounts = Kept::default();
            }
            let Kept {
                lists,
                names: count,
            } = &mut *accounts;
            let kept = lists.entry(account_id).or_default();
            if kept.keys.len() <= names.keys.len() {
                *count += names.keys.len() - kept.keys.len();
                *kept = names.clone();
            }
        }
        Ok(names)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::contacts::model::AttrKind;

    fn key(conn: &Connection, slot: i64, name: &str) {
        conn.execute(
            "INSERT INTO attribute_keys (account_id, slot, name, kind) VALUES (1, ?1, ?2, 'string')",
            rusqlite::params![slot, name],
        )
        .unwrap();
    }

    fn setup() -> Connection {
        let mut conn = Connection::open_in_memory().unwrap();
        crate::db::prepare_schema(&mut conn).unwrap();
        conn.execute(
            "INSERT INTO accounts (id, email, password_hash, plan, created_at) VALUES (1, 'a@b.c', 'x', 'trial', 0)",
            [],
        )
        .unwrap();
        conn
    }

    #[test]
    fn the_last_slot_is_the_highest_named() {
        let key = |slot| AttrKey {
            slot,
            name: format!("a{slot}"),
            kind: AttrKind::String,
        };
        assert_eq!(Names::new(vec![]).last_slot(), 0);
        assert_eq!(Names::new(vec![key(1), key(2), key(3)]).last_slot(), 3);
        assert_eq!(Names::new(vec![key(64), key(2)]).last_slot(), 64);
    }

    #[test]
    fn the_kept_names_are_bounded_over_all_accounts() {
        let conn = setup();
        for slot in 1..=40 {
            key(&conn, slot, &format!("a{slot}"));
        }
        let cache = AttributeNames::default();
        let kept = |cache: &AttributeNames| {
            let accounts = cache.accounts.read().unwrap();
            (accounts.lists.len(), accounts.names)
        };
        // One account's 40 names under other ids: the database has account 1's only, so
        // each id stands for an account with the same 40 names.
        let per_account = MAX_KEPT / 40;
        for id in 0..per_account as i64 {
            let names = Arc::new(Names::new(attribute_keys(&conn, 1).unwrap()));
            let mut accounts = cache.accounts.write().unwrap();
            accounts.names += names.keys.len();
            accounts.lists.insert(id + 100, names);
        }
        assert_eq!(kept(&cache), (per_account, per_account * 40));
        // One more account would pass the bound: the cache starts again with it alone.
        cache.reload(&conn, 1).unwrap();
        assert_eq!(kept(&cache), (1, 40));
        cache.reload(&conn, 1).unwrap();
        assert_eq!(kept(&cache), (1, 40), "a reload counts its names once");
    }

    #[test]
    fn a_kept_list_is_served_until_reloaded() {
        let conn = setup();
        key(&conn, 1, "plan");
        let cache = AttributeNames::default();
        assert_eq!(cache.get(&conn, 1).unwrap().keys.len(), 1);
        key(&conn, 2, "city");
        assert_eq!(cache.get(&conn, 1).unwrap().keys.len(), 1, "kept");
        assert_eq!(cache.reload(&conn, 1).unwrap().keys.len(), 2);
        assert_eq!(cache.get(&conn, 1).unwrap().keys.len(), 2);
    }

    #[test]
    fn names_read_inside_a_write_are_not_kept() {
        let conn = setup();
        let cache = AttributeNames::default();
        conn.execute_batch("BEGIN IMMEDIATE").unwrap();
        key(&conn, 1, "maybe");
        assert_eq!(cache.reload(&conn, 1).unwrap().keys.len(), 1);
        conn.execute_batch("ROLLBACK").unwrap();
        assert!(cache.get(&conn, 1).unwrap().keys.is_empty());
    }

    #[test]
    fn an_older_list_does_not_replace_a_newer_one() {
        let conn = setup();
        key(&conn, 1, "plan");
        let cache = AttributeNames::default();
        cache.reload(&conn, 1).unwrap();
        conn.execute("DELETE FROM attribute_keys", []).unwrap(); // an older snapshot
        cache.reload(&conn, 1).unwrap();
        assert_eq!(cache.get(&conn, 1).unwrap().keys.len(), 1);
    }
}
