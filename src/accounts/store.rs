//! SQL for accounts, API keys, admin sessions and usage counters. Every function takes a
//! connection, so the server's writer, its read pool and the command line share them.

use super::model::{Email, Limits, Overrides, Plan};
use crate::clock::Timestamp;
use crate::db::is_unique_violation;
use crate::error::{Error, Result};
use rusqlite::{Connection, OptionalExtension, Row, params};

#[derive(Debug, Clone)]
pub struct Account {
    pub id: i64,
    pub email: String,
    pub plan: Plan,
    pub overrides: Overrides,
    pub created_at: Timestamp,
}

impl Account {
    pub fn limits(&self) -> Limits {
        self.overrides.apply(self.plan)
    }
}

const ACCOUNT_COLUMNS: &str = "id, email, plan, limit_per_minute, limit_per_day, limit_segments, \
    created_at, limit_contacts, limit_messages";

fn account_from_row(row: &Row) -> rusqlite::Result<Account> {
    let plan: String = row.get(2)?;
    Ok(Account {
        id: row.get(0)?,
        email: row.get(1)?,
        // The CHECK constraint keeps other values out of the table.
        plan: plan.parse().unwrap_or(Plan::Trial),
        overrides: Overrides {
            per_minute: row.get(3)?,
            per_day: row.get(4)?,
            segments: row.get(5)?,
            contacts: row.get(7)?,
            messages: row.get(8)?,
        },
        created_at: row.get(6)?,
    })
}

pub fn count_accounts(conn: &Connection) -> Result<i64> {
    Ok(conn.query_row("SELECT count(*) FROM accounts", [], |r| r.get(0))?)
}

pub fn create_account(
    conn: &Connection,
    email: &Email,
    password_hash: &str,
    plan: Plan,
    now: Timestamp,
) -> Result<Account> {
    let inserted = conn.execute(
        "INSERT INTO accounts (email, password_hash, plan, created_at) VALUES (?1, ?2, ?3, ?4)",
        params![email.as_str(), password_hash, plan.as_str(), now],
    );
    match inserted {
        Ok(_) => {}
        Err(e) if is_unique_violation(&e) => {
            return Err(Error::conflict(
                "email: an account with this email already exists",
            ));
        }
        Err(e) => return Err(e.into()),
    }
    Ok(Account {
        id: conn.last_insert_rowid(),
        email: email.as_str().to_string(),
        plan,
        overrides: Overrides::default(),
        created_at: now,
    })
}

pub fn get_account(conn: &Connection, id: i64) -> Result<Option<Account>> {
    let sql = format!("SELECT {ACCOUNT_COLUMNS} FROM accounts WHERE id = ?1");
    Ok(conn
        .prepare_cached(&sql)?
        .query_row([id], account_from_row)
        .optional()?)
}

/// The account with this email, and its password hash.
pub fn find_account_by_email(conn: &Connection, email: &str) -> Result<Option<(Account, String)>> {
    let sql = format!("SELECT {ACCOUNT_COLUMNS}, password_hash FROM accounts WHERE email = ?1");
    Ok(conn
        .prepare_cached(&sql)?
        .query_row([email.trim()], |row| {
            Ok((account_from_row(row)?, row.get(9)?))
        })
        .optional()?)
}

fn account_id_by_email(conn: &Connection, email: &str) -> Result<i64> {
    conn.query_row(
        "SELECT id FROM accounts WHERE email = ?1",
        [email.trim()],
        |r| r.get(0),
    )
    .optional()?
    .ok_or_else(|| Error::not_found(format!("no account with email {}", email.trim())))
}

pub fn set_plan(conn: &Connection, email: &str, plan: Plan) -> Result<()> {
    let id = account_id_by_email(conn, email)?;
    conn.execute(
        "UPDATE accounts SET plan = ?1 WHERE id = ?2",
        params![plan.as_str(), id],
    )?;
    bump_auth_epoch(conn)
}

pub fn set_overrides(conn: &Connection, email: &str, overrides: Overrides) -> Result<()> {
    let id = account_id_by_email(conn, email)?;
    conn.execute(
        "UPDATE accounts SET limit_per_minute = ?1, limit_per_day = ?2, limit_segments = ?3,
             limit_contacts = ?5, limit_messages = ?6
         WHERE id = ?4",
        params![
            overrides.per_minute,
            overrides.per_day,
            overrides.segments,
            id,
            overrides.contacts,
            overrides.messages
        ],
    )?;
    bump_auth_epoch(conn)
}

// ---- API keys ----

#[derive(Debug, Clone)]
pub struct KeyRecord {
    pub id: i64,
    pub name: String,
    pub prefix: String,
    pub created_at: Timestamp,
    pub last_used_at: Option<Timestamp>,
    pub revoked_at: Option<Timestamp>,
}

/// What a request's key resolves to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ResolvedKey {
    pub key_id: i64,
    pub account_id: i64,
    pub limits: Limits,
}

pub fn count_active_keys(conn: &Connection, account_id: i64) -> Result<i64> {
    Ok(conn.query_row(
        "SELECT count(*) FROM api_keys WHERE account_id = ?1 AND revoked_at IS NULL",
        [account_id],
        |r| r.get(0),
    )?)
}

pub fn insert_key(
    conn: &Connection,
    account_id: i64,
    name: &str,
    prefix: &str,
    digest: &[u8],
    now: Timestamp,
) -> Result<i64> {
    conn.execute(
        "INSERT INTO api_keys (account_id, name, prefix, digest, created_at) VALUES (?1, ?2, ?3, ?4, ?5)",
        params![account_id, name, prefix, digest, now],
    )?;
    Ok(conn.last_insert_rowid())
}

pub fn list_keys(conn: &Connection, account_id: i64) -> Result<Vec<KeyRecord>> {
    let mut stmt = conn.prepare_cached(
        "SELECT id, name, prefix, created_at, last_used_at, revoked_at
         FROM api_keys WHERE account_id = ?1 ORDER BY id",
    )?;
    let rows = stmt.query_map([account_id], |row| {
        Ok(KeyRecord {
            id: row.get(0)?,
            name: row.get(1)?,
            prefix: row.get(2)?,
            created_at: row.get(3)?,
            last_used_at: row.get(4)?,
            revoked_at: row.get(5)?,
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// Revokes a key; `account_id` scopes the search (the command line passes `None`).
/// Revoking an already revoked key succeeds and keeps the first revocation time.
pub fn revoke_key(
    conn: &Connection,
    account_id: Option<i64>,
    key_id: i64,
    now: Timestamp,
) -> Result<()> {
    let found = conn.execute(
        "UPDATE api_keys SET revoked_at = coalesce(revoked_at, ?1)
         WHERE id = ?2 AND (?3 IS NULL OR account_id = ?3)",
        params![now, key_id, account_id],
    )?;
    if found == 0 {
        return Err(Error::not_found(format!("no API key with id {key_id}")));
    }
    bump_auth_epoch(conn)
}

/// The live key with this digest, with its account's current limits.
pub fn resolve_key(conn: &Connection, digest: &[u8]) -> Result<Option<ResolvedKey>> {
    let mut stmt = conn.prepare_cached(
        "SELECT k.id, a.id, a.plan, a.limit_per_minute, a.limit_per_day, a.limit_segments,
                a.limit_contacts, a.limit_messages
         FROM api_keys k JOIN accounts a ON a.id = k.account_id
         WHERE k.digest = ?1 AND k.revoked_at IS NULL",
    )?;
    let resolved = stmt
        .query_row([digest], |row| {
            let plan: String = row.get(2)?;
            let overrides = Overrides {
                per_minute: row.get(3)?,
                per_day: row.get(4)?,
                segments: row.get(5)?,
                contacts: row.get(6)?,
                messages: row.get(7)?,
            };
            Ok(ResolvedKey {
                key_id: row.get(0)?,
                account_id: row.get(1)?,
                limits: overrides.apply(plan.parse().unwrap_or(Plan::Trial)),
            })
        })
        .optional()?;
    Ok(resolved)
}

pub fn record_last_used(conn: &Connection, uses: &[(i64, Timestamp)]) -> Result<()> {
    let mut stmt = conn.prepare_cached(
        "UPDATE api_keys SET last_used_at = max(coalesce(last_used_at, 0), ?2) WHERE id = ?1",
    )?;
    for (key_id, at) in uses {
        stmt.execute(params![key_id, at])?;
    }
    Ok(())
}

// ---- admin sessions ----

pub fn insert_session(
    conn: &Connection,
    digest: &[u8],
    account_id: i64,
    now: Timestamp,
    expires_at: Timestamp,
) -> Result<()> {
    conn.execute(
        "INSERT INTO admin_sessions (digest, account_id, created_at, expires_at) VALUES (?1, ?2, ?3, ?4)",
        params![digest, account_id, now, expires_at],
    )?;
    Ok(())
}

pub fn session_account(conn: &Connection, digest: &[u8], now: Timestamp) -> Result<Option<i64>> {
    Ok(conn
        .prepare_cached(
            "SELECT account_id FROM admin_sessions WHERE digest = ?1 AND expires_at > ?2",
        )?
        .query_row(params![digest, now], |r| r.get(0))
        .optional()?)
}

pub fn delete_session(conn: &Connection, digest: &[u8]) -> Result<()> {
    conn.execute("DELETE FROM admin_sessions WHERE digest = ?1", [digest])?;
    Ok(())
}

pub fn delete_expired_sessions(conn: &Connection, now: Timestamp) -> Result<usize> {
    Ok(conn.execute("DELETE FROM admin_sessions WHERE expires_at <= ?1", [now])?)
}

// ---- what an account stores, against its quotas ----

/// People and messages an account stores.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Stored {
    pub people: i64,
    pub messages: i64,
}

pub fn stored(conn: &Connection, account_id: i64) -> Result<Stored> {
    Ok(conn
        .prepare_cached("SELECT people, messages FROM account_usage WHERE account_id = ?1")?
        .query_row([account_id], |r| {
            Ok(Stored {
                people: r.get(0)?,
                messages: r.get(1)?,
            })
        })
        .optional()?
        .unwrap_or_default())
}

/// Counts `people` and `messages` just stored by the account (what inserts them calls it;
/// deletes are counted by triggers).
pub fn count_stored(conn: &Connection, account_id: i64, people: i64, messages: i64) -> Result<()> {
    if people != 0 || messages != 0 {
        conn.prepare_cached(
            "INSERT INTO account_usage (account_id, people, messages) VALUES (?1, ?2, ?3)
             ON CONFLICT (account_id) DO UPDATE SET people = people + ?2, messages = messages + ?3",
        )?
        .execute(params![account_id, people, messages])?;
    }
    Ok(())
}

/// Whether the account may store `people` more people and `messages` more messages.
pub fn has_room(conn: &Connection, account_id: i64, people: i64, messages: i64) -> Result<bool> {
    Ok(room_error(conn, account_id, people, messages)?.is_none())
}

/// `403` naming the quota when the account may not store `people` more people and
/// `messages` more messages; nothing is written.
pub fn check_room(conn: &Connection, account_id: i64, people: i64, messages: i64) -> Result<()> {
    match room_error(conn, account_id, people, messages)? {
        Some(e) => Err(e),
        None => Ok(()),
    }
}

fn room_error(
    conn: &Connection,
    account_id: i64,
    people: i64,
    messages: i64,
) -> Result<Option<Error>> {
    // One read: the plan, its overrides and what is stored (none for a new account).
    let found = conn
        .prepare_cached(
            "SELECT a.plan, a.limit_contacts, a.limit_messages,
                    coalesce(u.people, 0), coalesce(u.messages, 0)
             FROM accounts a LEFT JOIN account_usage u ON u.account_id = a.id WHERE a.id = ?1",
        )?
        .query_row([account_id], |r| {
            let plan: String = r.get(0)?;
            let overrides = Overrides {
                contacts: r.get(1)?,
                messages: r.get(2)?,
                ..Overrides::default()
            };
            let used = Stored {
                people: r.get(3)?,
                messages: r.get(4)?,
            };
            Ok((overrides.apply(plan.parse().unwrap_or(Plan::Trial)), used))
        })
        .optional()?;
    let Some((limits, used)) = found else {
        return Ok(Some(Error::unauthorized()));
    };
    let over = |what: &str, limit: Option<u32>, used: i64, adding: i64| {
        let limit = i64::from(limit?);
        (adding > 0 && used + adding > limit).then(|| {
            Error::forbidden(format!(
                "storage quota: this account may store {limit} {what} and holds {used}; \
                 this would add {adding}. Delete some, or ask the operator for a larger quota"
            ))
        })
    };
    Ok(
        over("contacts and clients", limits.contacts, used.people, people)
            .or_else(|| over("messages", limits.messages, used.messages, messages)),
    )
}

// ---- usage and the auth epoch ----

pub fn usage_of_day(conn: &Connection, day: i64) -> Result<Vec<(i64, u32)>> {
    let mut stmt = conn.prepare("SELECT account_id, requests FROM usage_daily WHERE day = ?1")?;
    let rows = stmt.query_map([day], |r| Ok((r.get(0)?, r.get(1)?)))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// Stores absolute request counts `(account, day, count)`, never lowering a stored one.
pub fn save_usage(conn: &Connection, counts: &[(i64, i64, u32)]) -> Result<()> {
    let mut stmt = conn.prepare_cached(
        "INSERT INTO usage_daily (account_id, day, requests) VALUES (?1, ?2, ?3)
         ON CONFLICT (account_id, day) DO UPDATE SET requests = max(requests, excluded.requests)",
    )?;
    for (account_id, day, count) in counts {
        match stmt.execute(params![account_id, day, count]) {
            // The account was deleted meanwhile: nothing to count.
            Err(rusqlite::Error::SqliteFailure(e, _))
                if e.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_FOREIGNKEY => {}
            other => {
                other?;
            }
        }
    }
    Ok(())
}

pub fn auth_epoch(conn: &Connection) -> Result<i64> {
    Ok(conn
        .prepare_cached("SELECT value FROM meta WHERE key = 'auth_epoch'")?
        .query_row([], |r| r.get(0))?)
}

fn bump_auth_epoch(conn: &Connection) -> Result<()> {
    conn.execute(
        "UPDATE meta SET value = value + 1 WHERE key = 'auth_epoch'",
        [],
    )?;
    Ok(())
}
