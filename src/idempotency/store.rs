//! Remembered answers of requests made with an `Idempotency-Key`.

use super::TTL;
use crate::clock::Timestamp;
use crate::error::Result;
use rusqlite::{Connection, OptionalExtension, params};

pub struct Stored {
    pub fingerprint: Vec<u8>,
    pub response: String,
}

/// The answer given to this key within the last 24 hours, if any.
pub fn recall(
    conn: &Connection,
    account_id: i64,
    key: &str,
    now: Timestamp,
) -> Result<Option<Stored>> {
    Ok(conn
        .prepare_cached(
            "SELECT request_hash, response FROM idempotency_keys
             WHERE account_id = ?1 AND key = ?2 AND created_at > ?3",
        )?
        .query_row(params![account_id, key, now - TTL], |r| {
            Ok(Stored {
                fingerprint: r.get(0)?,
                response: r.get(1)?,
            })
        })
        .optional()?)
}

/// Keeps an answer; an expired entry of the same key is replaced.
pub fn remember(
    conn: &Connection,
    account_id: i64,
    key: &str,
    fingerprint: &[u8],
    response: &str,
    now: Timestamp,
) -> Result<()> {
    conn.prepare_cached(
        "INSERT OR REPLACE INTO idempotency_keys (account_id, key, request_hash, response, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5)",
    )?
    .execute(params![account_id, key, fingerprint, response, now])?;
    Ok(())
}

/// Drops answers older than 24 hours.
pub fn sweep(conn: &Connection, now: Timestamp) -> Result<usize> {
    Ok(conn
        .prepare_cached("DELETE FROM idempotency_keys WHERE created_at <= ?1")?
        .execute([now - TTL])?)
}
