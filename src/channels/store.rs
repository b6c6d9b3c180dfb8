//! Channel settings in SQL, one JSON object per account and channel. Secrets are stored as
//! given (the provider needs them back), so backups of the database hold them too.

use crate::clock::Timestamp;
use crate::error::{ApiError, Result};
use crate::messages::model::Channel;
use rusqlite::{Connection, OptionalExtension, params};
use serde_json::{Map, Value};

/// An account's settings of one channel, as stored.
#[derive(Debug, Clone, PartialEq)]
pub enum Stored {
    /// None: the channel delivers through the sandbox.
    Missing,
    Settings(Map<String, Value>),
    /// A row that no longer reads as settings, and why: never taken for "none".
    Unreadable(String),
}

pub fn read(conn: &Connection, account_id: i64, channel: Channel) -> Result<Stored> {
    let stored: Option<String> = conn
        .prepare_cached(
            "SELECT settings FROM channel_settings WHERE account_id = ?1 AND channel = ?2",
        )?
        .query_row(params![account_id, channel.as_str()], |r| r.get(0))
        .optional()?;
    Ok(match stored {
        None => Stored::Missing,
        Some(text) => match serde_json::from_str(&text) {
            Ok(Value::Object(settings)) => Stored::Settings(settings),
            Ok(_) => Stored::Unreadable("they are not a JSON object".into()),
            Err(e) => Stored::Unreadable(format!("they are not JSON ({e})")),
        },
    })
}

/// The settings, `None` when there are none; `409` naming the channel when the stored ones
/// no longer read.
pub fn get(
    conn: &Connection,
    account_id: i64,
    channel: Channel,
) -> Result<Option<Map<String, Value>>> {
    match read(conn, account_id, channel)? {
        Stored::Missing => Ok(None),
        Stored::Settings(settings) => Ok(Some(settings)),
        Stored::Unreadable(why) => Err(ApiError::conflict(unreadable(channel, &why))),
    }
}

/// What the log and the API say of settings that no longer read.
pub fn unreadable(channel: Channel, why: &str) -> String {
    format!(
        "the stored {} settings cannot be read: {why}; set the channel up again",
        channel.as_str()
    )
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
