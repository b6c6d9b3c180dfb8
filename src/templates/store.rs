//! SQL for templates. `(name, language)` is unique per account.

use super::approval::Status;
use super::model::{Header, Template};
use crate::clock::{self, Timestamp};
use crate::db::is_unique_violation;
use crate::error::{Error, Result};
use crate::fields::Page;
use rusqlite::{Connection, OptionalExtension, Row, params};
use serde_json::{Value, json};

/// A stored template, its approval and its times.
pub struct Stored {
    pub id: i64,
    pub template: Template,
    pub status: Status,
    pub status_reason: Option<String>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

impl Stored {
    pub fn view(&self) -> Value {
        let t = &self.template;
        json!({
            "id": self.id.to_string(),
            "name": t.name,
            "language": t.language,
            "category": t.category,
            "header": t.header,
            "body": t.body,
            "footer": t.footer,
            "buttons": t.buttons,
            "status": self.status.as_str(),
            "statusReason": self.status_reason,
            "placeholders": t.placeholders(),
            "createdAt": clock::rfc3339(self.created_at),
            "updatedAt": clock::rfc3339(self.updated_at),
        })
    }
}

const COLUMNS: &str = "id, name, language, category, header, body, footer, buttons, created_at, \
    updated_at, status, status_reason";

fn from_row(row: &Row) -> rusqlite::Result<Stored> {
    let header: Option<String> = row.get(4)?;
    let buttons: String = row.get(7)?;
    Ok(Stored {
        id: row.get(0)?,
        template: Template {
            name: row.get(1)?,
            language: row.get(2)?,
            category: row.get(3)?,
            header: header.and_then(|h| serde_json::from_str::<Header>(&h).ok()),
            body: row.get(5)?,
            footer: row.get(6)?,
            buttons: serde_json::from_str(&buttons).unwrap_or_default(),
        },
        created_at: row.get(8)?,
        updated_at: row.get(9)?,
        status: Status::stored(&row.get::<_, String>(10)?),
        status_reason: row.get(11)?,
    })
}

fn not_found(id: i64) -> Error {
    Error::not_found(format!("no template with id {id}"))
}

fn conflict(t: &Template, err: rusqlite::Error) -> Error {
    if is_unique_violation(&err) {
        return Error::conflict(format!(
            "name: a template named {} in language {} already exists",
            t.name, t.language
        ));
    }
    err.into()
}

fn json_of<T: serde::Serialize>(value: &T) -> String {
    serde_json::to_string(value).unwrap_or_default()
}

pub fn insert(conn: &Connection, account_id: i64, t: &Template, now: Timestamp) -> Result<i64> {
    conn.prepare_cached(
        "INSERT INTO templates (account_id, name, language, category, header, body, footer, buttons, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?9)",
    )?
    .execute(params![
        account_id,
        t.name,
        t.language,
        t.category,
        t.header.as_ref().map(json_of),
        t.body,
        t.footer,
        json_of(&t.buttons),
        now
    ])
    .map_err(|e| conflict(t, e))?;
    Ok(conn.last_insert_rowid())
}

pub fn update(
    conn: &Connection,
    account_id: i64,
    id: i64,
    t: &Template,
    now: Timestamp,
) -> Result<()> {
    let changed = conn
        .prepare_cached(
            "UPDATE templates SET name = ?3, language = ?4, category = ?5, header = ?6, body = ?7, footer = ?8,
             buttons = ?9, updated_at = ?10 WHERE id = ?1 AND account_id = ?2",
        )?
        .execute(params![
            id,
            account_id,
            t.name,
            t.language,
            t.category,
            t.header.as_ref().map(json_of),
            t.body,
            t.footer,
            json_of(&t.buttons),
            now
        ])
        .map_err(|e| conflict(t, e))?;
    (changed == 1).then_some(()).ok_or_else(|| not_found(id))
}

pub fn get(conn: &Connection, account_id: i64, id: i64) -> Result<Stored> {
    conn.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM templates WHERE id = ?1 AND account_id = ?2"
    ))?
    .query_row(params![id, account_id], from_row)
    .optional()?
    .ok_or_else(|| not_found(id))
}

/// The account's template with this name and language, which a send names.
pub fn find(conn: &Connection, account_id: i64, name: &str, language: &str) -> Result<Stored> {
    conn.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM templates WHERE account_id = ?1 AND name = ?2 AND language = ?3"
    ))?
    .query_row(params![account_id, name, language], from_row)
    .optional()?
    .ok_or_else(|| {
        Error::not_found(format!(
            "template: no template {name} in language {language} in this account"
        ))
    })
}

/// The account's template with this name, for a send that names no language (Wati's):
/// the first registered, when the name exists in several languages.
pub fn find_by_name(conn: &Connection, account_id: i64, name: &str) -> Result<Stored> {
    conn.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM templates WHERE account_id = ?1 AND name = ?2 ORDER BY id LIMIT 1"
    ))?
    .query_row(params![account_id, name], from_row)
    .optional()?
    .ok_or_else(|| Error::not_found(format!("template_name: no template {name} in this account")))
}

pub fn list(conn: &Connection, account_id: i64, page: Page) -> Result<(Vec<Stored>, i64)> {
    let total = conn
        .prepare_cached("SELECT count(*) FROM templates WHERE account_id = ?1")?
        .query_row([account_id], |r| r.get(0))?;
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM templates WHERE account_id = ?1 ORDER BY id LIMIT ?2 OFFSET ?3"
    ))?;
    let rows = stmt.query_map(params![account_id, page.limit, page.offset], from_row)?;
    Ok((rows.collect::<rusqlite::Result<_>>()?, total))
}

pub fn delete(conn: &Connection, account_id: i64, id: i64) -> Result<()> {
    let deleted = conn
        .prepare_cached("DELETE FROM templates WHERE id = ?1 AND account_id = ?2")?
        .execute(params![id, account_id])?;
    (deleted == 1).then_some(()).ok_or_else(|| not_found(id))
}

/// What a sync did with one of the provider's templates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Synced {
    Created,
    Updated,
}

/// Stores a template as the provider has it (its content, category and approval), made or
/// replaced by `(name, language)`.
pub fn put_synced(
    conn: &Connection,
    account_id: i64,
    t: &Template,
    status: Status,
    reason: Option<&str>,
    now: Timestamp,
) -> Result<Synced> {
    let updated = conn
        .prepare_cached(
            "UPDATE templates SET category = ?4, header = ?5, body = ?6, footer = ?7, buttons = ?8,
                 status = ?9, status_reason = ?10, updated_at = ?11
             WHERE account_id = ?1 AND name = ?2 AND language = ?3",
        )?
        .execute(params![
            account_id,
            t.name,
            t.language,
            t.category,
            t.header.as_ref().map(json_of),
            t.body,
            t.footer,
            json_of(&t.buttons),
            status.as_str(),
            reason,
            now
        ])?;
    if updated == 1 {
        return Ok(Synced::Updated);
    }
    insert(conn, account_id, t, now)?;
    set_status(conn, account_id, &t.name, &t.language, status, reason, now)?;
    Ok(Synced::Created)
}

/// Sets the approval of the account's template `(name, language)`; false if it has none.
pub fn set_status(
    conn: &Connection,
    account_id: i64,
    name: &str,
    language: &str,
    status: Status,
    reason: Option<&str>,
    now: Timestamp,
) -> Result<bool> {
    let changed = conn
        .prepare_cached(
            "UPDATE templates SET status = ?4, status_reason = ?5, updated_at = ?6
             WHERE account_id = ?1 AND name = ?2 AND language = ?3",
        )?
        .execute(params![
            account_id,
            name,
            language,
            status.as_str(),
            reason,
            now
        ])?;
    Ok(changed == 1)
}
