//! SQL for locations. Deleting one leaves its contacts without a location
//! (`ON DELETE SET NULL`).

use crate::clock::{self, Timestamp};
use crate::error::{Error, Result};
use crate::fields::Page;
use rusqlite::{Connection, OptionalExtension, Row, params};
use serde_json::{Value, json};

fn view(row: &Row) -> rusqlite::Result<Value> {
    Ok(json!({
        "id": row.get::<_, i64>(0)?.to_string(),
        "title": row.get::<_, String>(1)?,
        "createdAt": clock::rfc3339(row.get(2)?),
        "updatedAt": clock::rfc3339(row.get(3)?),
    }))
}

fn not_found(id: i64) -> Error {
    Error::not_found(format!("no location with id {id}"))
}

/// Checks a `location.id` given in a body (a person's, a segment's, a message's): `400`
/// unless it is one of the account's locations.
pub fn check_reference(conn: &Connection, account_id: i64, location_id: Option<i64>) -> Result<()> {
    let Some(id) = location_id else {
        return Ok(());
    };
    let found = conn
        .prepare_cached("SELECT 1 FROM locations WHERE id = ?1 AND account_id = ?2")?
        .exists(params![id, account_id])?;
    found
        .then_some(())
        .ok_or_else(|| Error::not_found(format!("location.id: no location {id} in this account")))
}

pub fn insert(conn: &Connection, account_id: i64, title: &str, now: Timestamp) -> Result<i64> {
    conn.prepare_cached(
        "INSERT INTO locations (account_id, title, created_at, updated_at) VALUES (?1, ?2, ?3, ?3)",
    )?
    .execute(params![account_id, title, now])?;
    Ok(conn.last_insert_rowid())
}

/// The id of the account's location with this title, made if there is none.
pub fn find_or_insert(
    conn: &Connection,
    account_id: i64,
    title: &str,
    now: Timestamp,
) -> Result<i64> {
    let found = conn
        .prepare_cached("SELECT id FROM locations WHERE account_id = ?1 AND title = ?2")?
        .query_row(params![account_id, title], |r| r.get(0))
        .optional()?;
    match found {
        Some(id) => Ok(id),
        None => insert(conn, account_id, title, now),
    }
}

pub fn get(conn: &Connection, account_id: i64, id: i64) -> Result<Value> {
    conn.prepare_cached(
        "SELECT id, title, created_at, updated_at FROM locations WHERE id = ?1 AND account_id = ?2",
    )?
    .query_row(params![id, account_id], view)
    .optional()?
    .ok_or_else(|| not_found(id))
}

pub fn list(conn: &Connection, account_id: i64, page: Page) -> Result<(Vec<Value>, i64)> {
    let total = conn
        .prepare_cached("SELECT count(*) FROM locations WHERE account_id = ?1")?
        .query_row([account_id], |r| r.get(0))?;
    let mut stmt = conn.prepare_cached(
        "SELECT id, title, created_at, updated_at FROM locations WHERE account_id = ?1
         ORDER BY id LIMIT ?2 OFFSET ?3",
    )?;
    let rows = stmt.query_map(params![account_id, page.limit, page.offset], view)?;
    Ok((rows.collect::<rusqlite::Result<_>>()?, total))
}

pub fn update(
    conn: &Connection,
    account_id: i64,
    id: i64,
    title: &str,
    now: Timestamp,
) -> Result<()> {
    let changed = conn
        .prepare_cached(
            "UPDATE locations SET title = ?3, updated_at = ?4 WHERE id = ?1 AND account_id = ?2",
        )?
        .execute(params![id, account_id, title, now])?;
    (changed == 1).then_some(()).ok_or_else(|| not_found(id))
}

pub fn delete(conn: &Connection, account_id: i64, id: i64) -> Result<()> {
    let deleted = conn
        .prepare_cached("DELETE FROM locations WHERE id = ?1 AND account_id = ?2")?
        .execute(params![id, account_id])?;
    (deleted == 1).then_some(()).ok_or_else(|| not_found(id))
}
