//! SQL for imports and exports: batches of rows upserted in one writer job, and pages of
//! people read in id order for a streaming export.

use super::import::{Failure, Row};
use super::model::{AttrKind, AttrValue, Person, PersonChanges, PersonType};
use super::store::{
    self, attribute_keys, check_location, insert_row, resolve_slots, tag_id, update_row,
};
use crate::clock::Timestamp;
use crate::error::Result;
use rusqlite::{Connection, OptionalExtension, params};
use serde::Serialize;
use std::collections::HashMap;

#[derive(Debug, Default, Serialize)]
pub struct Outcome {
    pub created: usize,
    pub updated: usize,
    pub failed: Vec<Failure>,
}

/// Upserts a batch: each row updates the person with its `externalId`, else with its phone,
/// else becomes a new one. Tags are added (never removed); attributes and fields a row does
/// not carry are left as they are. A row that fails changes nothing and is reported.
pub fn upsert(
    conn: &Connection,
    account_id: i64,
    kind: PersonType,
    rows: Vec<Row>,
    now: Timestamp,
) -> Result<Outcome> {
    let mut outcome = Outcome::default();
    let slots = match batch_slots(conn, account_id, &rows) {
        Ok(slots) => slots,
        Err(e) => {
            // An attribute this batch cannot store (kind changed meanwhile, no free slot).
            outcome.failed = rows
                .iter()
                .map(|r| Failure {
                    row: r.number,
                    message: e.message.clone(),
                })
                .collect();
            return Ok(outcome);
        }
    };
    let mut tags: HashMap<String, i64> = HashMap::new();
    for row in rows {
        match upsert_row(conn, account_id, kind, &row.changes, &slots, &mut tags, now) {
            Ok(true) => outcome.created += 1,
            Ok(false) => outcome.updated += 1,
            Err(e) => outcome.failed.push(Failure {
                row: row.number,
                message: e.message,
            }),
        }
    }
    Ok(outcome)
}

/// Slots for every attribute name the batch writes, by lowercase name.
fn batch_slots(conn: &Connection, account_id: i64, rows: &[Row]) -> Result<HashMap<String, usize>> {
    let mut wanted: Vec<(String, AttrKind)> = Vec::new();
    for (name, value) in rows.iter().flat_map(|r| &r.changes.attributes) {
        if let Some(value) = value
            && !wanted.iter().any(|(n, _)| n.eq_ignore_ascii_case(name))
        {
            wanted.push((name.clone(), value.kind()));
        }
    }
    resolve_slots(conn, account_id, &wanted)
}

fn find(
    conn: &Connection,
    account_id: i64,
    kind: PersonType,
    column: &str,
    value: &Option<Option<String>>,
) -> Result<Option<i64>> {
    let Some(Some(value)) = value else {
        return Ok(None);
    };
    let sql =
        format!("SELECT id FROM contacts WHERE account_id = ?1 AND type = ?2 AND {column} = ?3");
    Ok(conn
        .prepare_cached(&sql)?
        .query_row(params![account_id, kind.code(), value], |r| r.get(0))
        .optional()?)
}

/// `Ok(true)` when a person was created, `Ok(false)` when one was updated.
fn upsert_row(
    conn: &Connection,
    account_id: i64,
    kind: PersonType,
    changes: &PersonChanges,
    slots: &HashMap<String, usize>,
    tags: &mut HashMap<String, i64>,
    now: Timestamp,
) -> Result<bool> {
    check_location(conn, account_id, changes)?;
    let placed: Vec<(usize, Option<AttrValue>)> = changes
        .attributes
        .iter()
        .filter_map(|(name, value)| {
            slots
                .get(&name.to_lowercase())
                .map(|slot| (*slot, value.clone()))
        })
        .collect();
    let existing = match find(conn, account_id, kind, "external_id", &changes.external_id)? {
        Some(id) => Some(id),
        None => find(conn, account_id, kind, "phone", &changes.phone)?,
    };
    let (id, created) = match existing {
        Some(id) => {
            update_row(conn, account_id, kind, id, changes, &placed, now)?;
            (id, false)
        }
        None => (
            insert_row(conn, account_id, kind, changes, &placed, now)?,
            true,
        ),
    };
    if let Some(names) = &changes.tags {
        let mut link = conn.prepare_cached(
            "INSERT OR IGNORE INTO contact_tags (contact_id, tag_id) VALUES (?1, ?2)",
        )?;
        for name in names {
            let tag = match tags.get(&name.to_lowercase()) {
                Some(tag) => *tag,
                None => {
                    let tag = tag_id(conn, account_id, name)?;
                    tags.insert(name.to_lowercase(), tag);
                    tag
                }
            };
            link.execute(params![id, tag])?;
        }
    }
    Ok(created)
}

/// Up to `limit` people with ids above `after`, in id order, with their tags.
pub fn page_after(
    conn: &Connection,
    account_id: i64,
    kind: PersonType,
    after: i64,
    limit: u32,
) -> Result<Vec<Person>> {
    let keys = attribute_keys(conn, account_id)?;
    let mut people = store::page_after(conn, account_id, kind, after, limit, &keys)?;
    let (Some(first), Some(last)) = (people.first(), people.last()) else {
        return Ok(people);
    };
    let (first, last): (i64, i64) = (first.id.parse().unwrap_or(0), last.id.parse().unwrap_or(0));
    let mut stmt = conn.prepare_cached(
        "SELECT ct.contact_id, t.name FROM contact_tags ct JOIN tags t ON t.id = ct.tag_id
         WHERE ct.contact_id BETWEEN ?1 AND ?2 AND t.account_id = ?3 ORDER BY ct.contact_id, t.name",
    )?;
    let mut tags: HashMap<i64, Vec<String>> = HashMap::new();
    for row in stmt.query_map(params![first, last, account_id], |r| {
        Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?))
    })? {
        let (id, name) = row?;
        tags.entry(id).or_default().push(name);
    }
    for person in &mut people {
        if let Some(t) = tags.remove(&person.id.parse().unwrap_or(0)) {
            person.tags = t;
        }
    }
    Ok(people)
}

/// The account's attribute names in slot order: the export's extra columns.
pub fn attribute_names(conn: &Connection, account_id: i64) -> Result<Vec<String>> {
    Ok(attribute_keys(conn, account_id)?
        .into_iter()
        .map(|k| k.name)
        .collect())
}
