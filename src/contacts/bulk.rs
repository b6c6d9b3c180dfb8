//! SQL for imports and exports: batches of rows upserted in one writer job, and pages of
//! people read in id order for a streaming export.

use super::import::{Failure, Row};
use super::model::{AttrKind, AttrValue, PersonChanges, PersonType};
use super::store::{self, attribute_keys, check_location, insert_row, resolve_slots, update_row};
use super::tags::tag_id;
use crate::clock::Timestamp;
use crate::error::{ApiError, Result};
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
    let mut tags = TagLinks::default();
    let sql = BulkSql::new(slots.values().copied().max().unwrap_or(0));
    for row in rows {
        match upsert_row(
            conn,
            account_id,
            kind,
            &row.changes,
            &slots,
            &sql,
            &mut tags,
            now,
        ) {
            Ok((_, true)) => outcome.created += 1,
            Ok((_, false)) => outcome.updated += 1,
            Err(e) => outcome.failed.push(Failure {
                row: row.number,
                message: e.message,
            }),
        }
    }
    tags.write(conn, kind)?;
    Ok(outcome)
}

/// Tag links of a batch, written together at its end: sorted and many to a statement, so
/// SQLite appends to its B-trees instead of descending them from the root for each link.
#[derive(Default)]
struct TagLinks {
    /// Tag ids by name as spelled, and lowercased.
    ids: HashMap<String, i64>,
    links: Vec<(i64, i64)>,
}

impl TagLinks {
    const PER_STATEMENT: usize = 500;

    fn write(mut self, conn: &Connection, kind: PersonType) -> Result<()> {
        self.links.sort_unstable();
        self.links.dedup();
        for chunk in self.links.chunks(Self::PER_STATEMENT) {
            let one = format!("(?, ?, {})", kind.code());
            let values = vec![one.as_str(); chunk.len()].join(", ");
            let sql = format!(
                "INSERT OR IGNORE INTO contact_tags (contact_id, tag_id, type) VALUES {values}"
            );
            let mut stmt = conn.prepare_cached(&sql)?;
            for (i, (contact, tag)) in chunk.iter().enumerate() {
                stmt.raw_bind_parameter(2 * i + 1, contact)?;
                stmt.raw_bind_parameter(2 * i + 2, tag)?;
            }
            stmt.raw_execute()?;
        }
        Ok(())
    }
}

/// Upserts people as an import does, all or nothing: the first failure (prefixed with
/// `persons[i].`) fails the whole call. Returns their ids in order.
pub fn upsert_people(
    conn: &Connection,
    account_id: i64,
    kind: PersonType,
    people: Vec<PersonChanges>,
    now: Timestamp,
) -> Result<Vec<i64>> {
    let rows: Vec<Row> = people
        .into_iter()
        .enumerate()
        .map(|(number, changes)| Row { number, changes })
        .collect();
    let slots = batch_slots(conn, account_id, &rows)?;
    let sql = BulkSql::new(slots.values().copied().max().unwrap_or(0));
    let mut tags = TagLinks::default();
    let mut ids = Vec::with_capacity(rows.len());
    for row in &rows {
        let (id, _) = upsert_row(
            conn,
            account_id,
            kind,
            &row.changes,
            &slots,
            &sql,
            &mut tags,
            now,
        )
        .map_err(|e| ApiError {
            message: format!("persons[{}].{}", row.number, e.message),
            ..e
        })?;
        ids.push(id);
    }
    tags.write(conn, kind)?;
    Ok(ids)
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
    let mut slots = resolve_slots(conn, account_id, &wanted)?;
    // Rows spell a name as their header does: look it up without lowercasing each time.
    for (name, _) in &wanted {
        if let Some(slot) = slots.get(&name.to_lowercase()).copied() {
            slots.insert(name.clone(), slot);
        }
    }
    Ok(slots)
}

/// The columns a bulk row may set, in parameter order (after account, type and time).
const BULK_COLUMNS: [&str; 15] = [
    "name",
    "first_name",
    "last_name",
    "phone",
    "email",
    "external_id",
    "gender",
    "birth_date",
    "contact_stage",
    "channel",
    "telegram_id",
    "instagram_id",
    "messenger_id",
    "location_id",
    "opted_out",
];
/// Parameter number of the first value column: after ?1 account, ?2 type, ?3 time and the
/// built-in columns.
const FIRST_SLOT_PARAM: usize = 4 + BULK_COLUMNS.len();

/// The two statements of a batch. Every row binds every parameter: an INSERT stores NULL
/// for what a row lacks, an UPDATE keeps the old value (`coalesce`), so one prepared
/// statement serves all rows and nothing is formatted per row.
struct BulkSql {
    insert: String,
    update: String,
    /// Value columns a1..a{slots} are bound after the built-in columns.
    slots: usize,
}

impl BulkSql {
    fn new(slots: usize) -> BulkSql {
        let slot_names: Vec<String> = (1..=slots).map(|i| format!("a{i}")).collect();
        let mut columns = vec!["account_id", "type", "created_at", "updated_at"];
        columns.extend(BULK_COLUMNS);
        columns.extend(slot_names.iter().map(String::as_str));
        let mut values = vec!["?1".to_string(), "?2".into(), "?3".into(), "?3".into()];
        for (i, column) in BULK_COLUMNS.iter().enumerate() {
            values.push(match *column {
                "opted_out" => format!("coalesce(?{}, 0)", i + 4),
                _ => format!("?{}", i + 4),
            });
        }
        values.extend((0..slots).map(|i| format!("?{}", FIRST_SLOT_PARAM + i)));
        let insert = format!(
            "INSERT INTO contacts ({}) VALUES ({})",
            columns.join(", "),
            values.join(", ")
        );
        let mut sets = vec!["updated_at = ?3".to_string()];
        for (i, column) in BULK_COLUMNS.iter().enumerate() {
            sets.push(format!("{column} = coalesce(?{}, {column})", i + 4));
        }
        for (i, column) in slot_names.iter().enumerate() {
            sets.push(format!(
                "{column} = coalesce(?{}, {column})",
                FIRST_SLOT_PARAM + i
            ));
        }
        let update = format!(
            "UPDATE contacts SET {} WHERE id = ?{}",
            sets.join(", "),
            FIRST_SLOT_PARAM + slots
        );
        BulkSql {
            insert,
            update,
            slots,
        }
    }

    /// Binds a row's values to one of this batch's statements.
    fn bind(
        &self,
        stmt: &mut rusqlite::Statement,
        account_id: i64,
        kind: PersonType,
        now: Timestamp,
        changes: &PersonChanges,
        placed: &[(usize, Option<AttrValue>)],
    ) -> rusqlite::Result<()> {
        fn text(v: &Option<Option<String>>) -> Option<&str> {
            v.as_ref().and_then(|v| v.as_deref())
        }
        stmt.raw_bind_parameter(1, account_id)?;
        stmt.raw_bind_parameter(2, kind.code())?;
        stmt.raw_bind_parameter(3, now)?;
        let texts = [
            &changes.name,
            &changes.first_name,
            &changes.last_name,
            &changes.phone,
            &changes.email,
            &changes.external_id,
        ];
        for (i, value) in texts.into_iter().enumerate() {
            stmt.raw_bind_parameter(4 + i, text(value))?;
        }
        stmt.raw_bind_parameter(10, changes.gender.flatten().map(|g| g.as_str()))?;
        stmt.raw_bind_parameter(11, text(&changes.birth_date))?;
        stmt.raw_bind_parameter(12, text(&changes.contact_stage))?;
        stmt.raw_bind_parameter(13, text(&changes.channel))?;
        stmt.raw_bind_parameter(14, text(&changes.telegram_id))?;
        stmt.raw_bind_parameter(15, text(&changes.instagram_id))?;
        stmt.raw_bind_parameter(16, text(&changes.messenger_id))?;
        stmt.raw_bind_parameter(17, changes.location_id.flatten())?;
        stmt.raw_bind_parameter(18, changes.opted_out)?;
        for slot in 1..=self.slots {
            let value = placed
                .iter()
                .find(|(s, _)| *s == slot)
                .and_then(|(_, v)| v.as_ref());
            stmt.raw_bind_parameter(FIRST_SLOT_PARAM + slot - 1, value.map(store::sql_of))?;
        }
        Ok(())
    }
}

/// True when a change clears a field (`null` in a JSON import): the bulk statements cannot
/// say "clear", so such rows take the general path.
fn clears_something(c: &PersonChanges) -> bool {
    let texts = [
        &c.name,
        &c.first_name,
        &c.last_name,
        &c.phone,
        &c.email,
        &c.external_id,
        &c.birth_date,
        &c.contact_stage,
        &c.channel,
        &c.telegram_id,
        &c.instagram_id,
        &c.messenger_id,
    ];
    texts.iter().any(|v| matches!(v, Some(None)))
        || matches!(c.gender, Some(None))
        || matches!(c.location_id, Some(None))
        || c.attributes.iter().any(|(_, v)| v.is_none())
}

const FIND_BY_EXTERNAL_ID: &str =
    "SELECT id FROM contacts WHERE account_id = ?1 AND type = ?2 AND external_id = ?3";
const FIND_BY_PHONE: &str =
    "SELECT id FROM contacts WHERE account_id = ?1 AND type = ?2 AND phone = ?3";

fn find(
    conn: &Connection,
    account_id: i64,
    kind: PersonType,
    sql: &str,
    value: &Option<Option<String>>,
) -> Result<Option<i64>> {
    let Some(Some(value)) = value else {
        return Ok(None);
    };
    Ok(conn
        .prepare_cached(sql)?
        .query_row(params![account_id, kind.code(), value], |r| r.get(0))
        .optional()?)
}

/// The person's id, and whether it was created (else updated).
#[allow(clippy::too_many_arguments)]
fn upsert_row(
    conn: &Connection,
    account_id: i64,
    kind: PersonType,
    changes: &PersonChanges,
    slots: &HashMap<String, usize>,
    sql: &BulkSql,
    tags: &mut TagLinks,
    now: Timestamp,
) -> Result<(i64, bool)> {
    check_location(conn, account_id, changes)?;
    let placed: Vec<(usize, Option<AttrValue>)> = changes
        .attributes
        .iter()
        .filter_map(|(name, value)| {
            let slot = slots
                .get(name)
                .or_else(|| slots.get(&name.to_lowercase()))?;
            Some((*slot, value.clone()))
        })
        .collect();
    let existing = match find(
        conn,
        account_id,
        kind,
        FIND_BY_EXTERNAL_ID,
        &changes.external_id,
    )? {
        Some(id) => Some(id),
        None => find(conn, account_id, kind, FIND_BY_PHONE, &changes.phone)?,
    };
    let general = clears_something(changes);
    let conflict = |e| store::conflict(conn, account_id, kind, changes, e);
    let (id, created) = match existing {
        Some(id) if general => {
            update_row(conn, account_id, kind, id, changes, &placed, now)?;
            (id, false)
        }
        Some(id) => {
            let mut stmt = conn.prepare_cached(&sql.update)?;
            sql.bind(&mut stmt, account_id, kind, now, changes, &placed)?;
            stmt.raw_bind_parameter(FIRST_SLOT_PARAM + sql.slots, id)?;
            stmt.raw_execute().map_err(conflict)?;
            (id, false)
        }
        None if general => (
            insert_row(conn, account_id, kind, changes, &placed, now)?,
            true,
        ),
        None => {
            let mut stmt = conn.prepare_cached(&sql.insert)?;
            sql.bind(&mut stmt, account_id, kind, now, changes, &placed)?;
            stmt.raw_execute().map_err(conflict)?;
            (conn.last_insert_rowid(), true)
        }
    };
    if let Some(names) = &changes.tags {
        for name in names {
            let tag = match tags
                .ids
                .get(name)
                .or_else(|| tags.ids.get(&name.to_lowercase()))
            {
                Some(tag) => *tag,
                None => {
                    let tag = tag_id(conn, account_id, name)?;
                    tags.ids.insert(name.clone(), tag);
                    tags.ids.insert(name.to_lowercase(), tag);
                    tag
                }
            };
            tags.links.push((id, tag));
        }
    }
    Ok((id, created))
}

/// The account's attribute names in slot order: the export's extra columns.
pub fn attribute_names(conn: &Connection, account_id: i64) -> Result<Vec<String>> {
    Ok(attribute_keys(conn, account_id)?
        .into_iter()
        .map(|k| k.name)
        .collect())
}
