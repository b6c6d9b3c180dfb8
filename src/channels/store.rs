//! Channel settings in SQL, one JSON object per account and channel. The provider needs the
//! secrets back, so they are stored whole: sealed with the operator's key when there is one
//! ([`crate::secrets`]), else as given, so that every backup holds them.

use super::model;
use crate::clock::Timestamp;
use crate::error::{Error, Result};
use crate::messages::model::Channel;
use crate::secrets::{SecretKey, is_sealed};
use rusqlite::{Connection, OptionalExtension, params};
use serde_json::{Map, Value};

/// Where a secret belongs: what its seal is bound to.
fn place(account_id: i64, channel: Channel, field: &str) -> String {
    format!("{account_id}/{}/{field}", channel.as_str())
}

/// The secret fields of stored settings, opened with `key`; `Err` naming the first that
/// will not open.
fn opened(
    account_id: i64,
    channel: Channel,
    mut settings: Map<String, Value>,
    key: Option<&SecretKey>,
) -> std::result::Result<Map<String, Value>, String> {
    for field in model::fields(channel).iter().filter(|f| f.secret) {
        let Some(Value::String(value)) = settings.get(field.name) else {
            continue;
        };
        if !is_sealed(value) {
            continue;
        }
        let Some(key) = key else {
            return Err(format!(
                "its {} is sealed, and the server has no --secret-key-file",
                field.name
            ));
        };
        let secret = key
            .open(&place(account_id, channel, field.name), value)
            .map_err(|e| format!("its {} cannot be opened: {e}", field.name))?;
        settings.insert(field.name.into(), Value::String(secret));
    }
    Ok(settings)
}

/// The settings with their secret fields sealed with `key` (as given without one).
fn sealed(
    account_id: i64,
    channel: Channel,
    settings: &Map<String, Value>,
    key: Option<&SecretKey>,
) -> Map<String, Value> {
    let mut out = settings.clone();
    if let Some(key) = key {
        for field in model::fields(channel).iter().filter(|f| f.secret) {
            if let Some(Value::String(secret)) = settings.get(field.name) {
                let sealed = key.seal(&place(account_id, channel, field.name), secret);
                out.insert(field.name.into(), Value::String(sealed));
            }
        }
    }
    out
}

/// An account's settings of one channel, as stored.
#[derive(Debug, Clone, PartialEq)]
pub enum Stored {
    /// None: the channel delivers through the sandbox.
    Missing,
    Settings(Map<String, Value>),
    /// A row that no longer reads as settings, and why: never taken for "none".
    Unreadable(String),
}

/// The settings, their secrets opened with `key`.
pub fn read(
    conn: &Connection,
    account_id: i64,
    channel: Channel,
    key: Option<&SecretKey>,
) -> Result<Stored> {
    let stored: Option<String> = conn
        .prepare_cached(
            "SELECT settings FROM channel_settings WHERE account_id = ?1 AND channel = ?2",
        )?
        .query_row(params![account_id, channel.as_str()], |r| r.get(0))
        .optional()?;
    Ok(match stored {
        None => Stored::Missing,
        Some(text) => match serde_json::from_str(&text) {
            Ok(Value::Object(settings)) => match opened(account_id, channel, settings, key) {
                Ok(settings) => Stored::Settings(settings),
                Err(why) => Stored::Unreadable(why),
            },
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
    key: Option<&SecretKey>,
) -> Result<Option<Map<String, Value>>> {
    match read(conn, account_id, channel, key)? {
        Stored::Missing => Ok(None),
        Stored::Settings(settings) => Ok(Some(settings)),
        Stored::Unreadable(why) => Err(Error::conflict(unreadable(channel, &why))),
    }
}

/// What the log and the API say of settings that no longer read.
pub fn unreadable(channel: Channel, why: &str) -> String {
    format!(
        "the stored {} settings cannot be read: {why}; set the channel up again",
        channel.as_str()
    )
}

/// Stores the settings, their secrets sealed with `key` if there is one.
pub fn put(
    conn: &Connection,
    account_id: i64,
    channel: Channel,
    settings: &Map<String, Value>,
    key: Option<&SecretKey>,
    now: Timestamp,
) -> Result<()> {
    let settings = sealed(account_id, channel, settings, key);
    conn.prepare_cached(
        "INSERT INTO channel_settings (account_id, channel, settings, updated_at) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT (account_id, channel) DO UPDATE SET settings = ?3, updated_at = ?4",
    )?
    .execute(params![
        account_id,
        channel.as_str(),
        Value::Object(settings).to_string(),
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

/// Seals every stored secret with `to`: plain ones, and sealed ones opened with `from` (the
/// key they were sealed with; `to` itself when `None`). All or nothing, in the caller's
/// transaction. Returns how many channels' settings were written.
pub fn reseal(conn: &Connection, from: Option<&SecretKey>, to: &SecretKey) -> Result<usize> {
    let rows: Vec<(i64, String, String)> = conn
        .prepare("SELECT account_id, channel, settings FROM channel_settings")?
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
        .collect::<rusqlite::Result<_>>()?;
    let mut written = 0;
    for (account_id, name, text) in rows {
        let what = |why: String| {
            Error::conflict(format!(
                "the {name} settings of account {account_id}: {why}"
            ))
        };
        let channel = Channel::parse(&name).ok_or_else(|| what("not a channel we know".into()))?;
        let settings = match serde_json::from_str(&text) {
            Ok(Value::Object(settings)) => settings,
            _ => return Err(what("they are not a JSON object".into())),
        };
        let settings = opened(account_id, channel, settings, from.or(Some(to))).map_err(what)?;
        put_raw(
            conn,
            account_id,
            channel,
            &sealed(account_id, channel, &settings, Some(to)),
        )?;
        written += 1;
    }
    Ok(written)
}

fn put_raw(
    conn: &Connection,
    account_id: i64,
    channel: Channel,
    settings: &Map<String, Value>,
) -> Result<()> {
    conn.execute(
        "UPDATE channel_settings SET settings = ?3 WHERE account_id = ?1 AND channel = ?2",
        params![
            account_id,
            channel.as_str(),
            Value::Object(settings.clone()).to_string()
        ],
    )?;
    Ok(())
}
