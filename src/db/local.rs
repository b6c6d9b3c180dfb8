//! A read connection of each HTTP worker's own, for the reads every request makes (a
//! contact by id, an API key not yet cached).
//!
//! A pool checkout takes the pool's lock and moves its shared counters twice a request, and
//! with several workers those cache lines travel between cores on every read. A worker
//! runs on one thread and never holds a connection across an `.await`, so a connection of
//! its own needs no lock.

use super::{ConnectionManager, Pool};
use crate::error::Result;
use r2d2::ManageConnection;
use rusqlite::Connection;
use std::cell::RefCell;
use std::path::PathBuf;

/// Made once per worker by the app factory (`app_data`), so it never crosses threads.
pub struct LocalReader {
    manager: ConnectionManager,
    pool: Pool,
    conn: RefCell<Option<Connection>>,
}

impl LocalReader {
    pub fn new(path: PathBuf, pool: Pool) -> LocalReader {
        LocalReader {
            manager: ConnectionManager { path },
            pool,
            conn: RefCell::new(None),
        }
    }

    /// Runs `read` on this worker's connection, opened on first use. A read nested in
    /// another (none today) takes a pool connection instead of waiting for itself.
    pub fn read<T>(&self, read: impl FnOnce(&Connection) -> Result<T>) -> Result<T> {
        match self.conn.try_borrow_mut() {
            Ok(mut slot) => {
                if slot.is_none() {
                    *slot = Some(self.manager.connect()?);
                }
                read(slot.as_ref().expect("opened above"))
            }
            Err(_) => read(&*self.pool.get()?),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn accounts(conn: &Connection) -> Result<i64> {
        Ok(conn.query_row("SELECT count(*) FROM accounts", [], |r| r.get(0))?)
    }

    #[test]
    fn the_workers_connection_sees_each_commit_refuses_writes_and_nests_through_the_pool() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sb.db");
        let (pool, writer) = crate::db::open(&path).unwrap();
        let reader = LocalReader::new(path, pool);
        assert_eq!(reader.read(accounts).unwrap(), 0);

        // Kept open between reads, it still reads the latest commit: no snapshot is held.
        writer
            .submit(|conn| {
                conn.execute(
                    "INSERT INTO accounts (email, password_hash, plan, created_at)
                     VALUES ('a@x.co', 'x', 'unlimited', 0)",
                    [],
                )?;
                Ok(())
            })
            .wait()
            .unwrap();
        assert_eq!(reader.read(accounts).unwrap(), 1);

        let write = reader.read(|conn| Ok(conn.execute("DELETE FROM accounts", [])?));
        assert!(write.is_err(), "a reader must be query_only");

        let nested = reader.read(|outer| Ok((accounts(outer)?, reader.read(accounts)?)));
        assert_eq!(nested.unwrap(), (1, 1));
    }
}
