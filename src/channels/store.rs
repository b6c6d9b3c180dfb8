//! Channel settings in SQL, one JSON object per account and channel. Secrets are stored as
//! given (the provider needs them back), so backups of the database hold them too.

use crate::clock::Timestamp;
use crate::error::Result;
use crate::messages::model::Channel;
use rusqlite::{Connection, OptionalExtension, params};
use serde_json::{Map, Value};

pub fn get(
    conn: &Connection,
    account_id: i64,
    channel: Channel,
) -> Result<Option<Map<String, Value>>> {
    let stored: Option<String> = conn
        .prepare_cached(
            "SELECT settings FROM channel_settings WHERE account_id = ?1 AND channel = ?2",
        )?
        .query_row(params![account_id, channel.as_str()], |r| r.get(0))
        .optional()?;
    Ok(stored.and_then(|s| serde_json::from_str(&s).ok()))
}

pub fn put(
    conn: &Connection,
    account_id: i64,
    channel: Channel,
    settings: &Map<String, Value>,
    now: Timestamp,
) -> Result<()> {
    conn.prepare_cached(
        "INSERT INTO channel_settings (account_id, channel, settings, updated_at) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT (account_id, channel) DO UPDATE SET settings = ?3, updated_at = ?4",
    )?
    .execute(params![
        account_id,
        channel.as_str(),
        Value::Object(settings.clone()).to_string(),
        now
    ])?;
    Ok(())
}

/// Back to the sandbox.
pub fn delete(conn: &Connection, account_id: i64, channel: Channel) -> Result<()> {
    conn.prepare_cached("DELETE FROM channel_settings WHERE account_id = ?1 AND channel = ?2")?
        .execute(params![account_id, channel.as_str()])?;
    Ok(())
}
