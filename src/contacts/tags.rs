//! SQL for tags: names per account (case-insensitive), links to people, counts.

use super::model::{MAX_TAGS, PersonType};
use super::store::exists;
use crate::clock::Timestamp;
use crate::error::{ApiError, Result};
use rusqlite::{Connection, OptionalExtension, params};
use serde_json::{Value, json};

pub(super) fn tag_id(conn: &Connection, account_id: i64, name: &str) -> Result<i64> {
    let existing = conn
        .prepare_cached("SELECT id FROM tags WHERE account_id = ?1 AND name = ?2")?
        .query_row(params![account_id, name], |r| r.get(0))
        .optional()?;
    if let Some(id) = existing {
        return Ok(id);
    }
    conn.prepare_cached("INSERT INTO tags (account_id, name) VALUES (?1, ?2)")?
        .execute(params![account_id, name])?;
    Ok(conn.last_insert_rowid())
}

pub(super) fn set_tags(
    conn: &Connection,
    account_id: i64,
    kind: PersonType,
    contact_id: i64,
    names: &[String],
) -> Result<()> {
    conn.prepare_cached("DELETE FROM contact_tags WHERE contact_id = ?1")?
        .execute([contact_id])?;
    add_tag_links(conn, account_id, kind, contact_id, names)
}

fn add_tag_links(
    conn: &Connection,
    account_id: i64,
    kind: PersonType,
    contact_id: i64,
    names: &[String],
) -> Result<()> {
    let mut link = conn.prepare_cached(
        "INSERT OR IGNORE INTO contact_tags (contact_id, tag_id, type) VALUES (?1, ?2, ?3)",
    )?;
    for name in names {
        link.execute(params![
            contact_id,
            tag_id(conn, account_id, name)?,
            kind.code()
        ])?;
    }
    Ok(())
}

pub fn add_tags(
    conn: &Connection,
    account_id: i64,
    kind: PersonType,
    id: i64,
    names: &[String],
    now: Timestamp,
) -> Result<()> {
    exists(conn, account_id, kind, id)?;
    add_tag_links(conn, account_id, kind, id, names)?;
    let count: i64 = conn
        .prepare_cached("SELECT count(*) FROM contact_tags WHERE contact_id = ?1")?
        .query_row([id], |r| r.get(0))?;
    if count > MAX_TAGS as i64 {
        return Err(ApiError::bad_request(format!(
            "tags: at most {MAX_TAGS} tags per contact"
        )));
    }
    touch(conn, id, now)
}

pub fn remove_tags(
    conn: &Connection,
    account_id: i64,
    kind: PersonType,
    id: i64,
    names: &[String],
    now: Timestamp,
) -> Result<()> {
    exists(conn, account_id, kind, id)?;
    let mut unlink = conn.prepare_cached(
        "DELETE FROM contact_tags WHERE contact_id = ?1
         AND tag_id = (SELECT id FROM tags WHERE account_id = ?2 AND name = ?3)",
    )?;
    for name in names {
        unlink.execute(params![id, account_id, name])?;
    }
    touch(conn, id, now)
}

fn touch(conn: &Connection, id: i64, now: Timestamp) -> Result<()> {
    conn.prepare_cached("UPDATE contacts SET updated_at = ?2 WHERE id = ?1")?
        .execute(params![id, now])?;
    Ok(())
}

/// Every tag of the account with the number of people (contacts and clients) carrying it.
pub fn tag_counts(conn: &Connection, account_id: i64) -> Result<Vec<Value>> {
    let mut stmt = conn.prepare_cached(
        "SELECT t.name, (SELECT count(*) FROM contact_tags ct WHERE ct.tag_id = t.id)
         FROM tags t WHERE t.account_id = ?1 ORDER BY t.name",
    )?;
    let rows = stmt.query_map([account_id], |r| {
        Ok(json!({"name": r.get::<_, String>(0)?, "count": r.get::<_, i64>(1)?}))
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}
