//! SQL for imports and exports: batches of rows upserted in one writer job, and pages of
//! people read in id order for a streaming export.

use super::counters::Inserted;
use super::import::{Failure, Row};
use super::model::{AttrKind, AttrValue, MAX_ATTRIBUTES, PersonChanges, PersonType};
use super::store::{
    self, attribute_keys, check_location, insert_row, resolve_slots, update_row, value_ref,
};
use crate::accounts::store as accounts;
use crate::clock::Timestamp;
use crate::error::Result;
use crate::fields::Patch;
use rusqlite::types::{ToSqlOutput, ValueRef};
use rusqlite::{Connection, OptionalExtension, params};
use serde::Serialize;
use std::cell::RefCell;
use std::collections::HashMap;

mod links;
use links::{TagLinks, Whose};

#[derive(Debug, Default, Serialize)]
pub struct Outcome {
    pub created: usize,
    pub updated: usize,
    pub failed: Vec<Failure>,
}

/// Upserts a batch: each row updates the person with its `externalId`, else with its phone,
/// else becomes a new one. Tags are added (never removed); attributes and fields a row does
/// not carry are left as they are. A row that fails changes nothing and is reported.
///
/// Each row is first inserted as a new person, letting the unique indexes find the ones
/// that exist already (most rows of an import are new, and trying costs no lookup); only
/// those take the row-by-row path. One row to a statement: an insert of many rows makes
/// SQLite journal every page it changes, in case one row fails, and that cost more than
/// the statements it saved.
pub fn upsert(
    conn: &Connection,
    account_id: i64,
    kind: PersonType,
    rows: &[Row],
    now: Timestamp,
) -> Result<Outcome> {
    let mut outcome = Outcome::default();
    let slots = match batch_slots(conn, account_id, rows) {
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
    let batch = Batch::new(conn, account_id, kind, now, &slots, rows)?;
    let mut tags = TagLinks::default();
    for row in rows {
        if let Err(e) = check_location(conn, account_id, &row.changes) {
            outcome.failed.push(Failure {
                row: row.number,
                message: e.message,
            });
        } else if clears_something(&row.changes) || !batch.insert_new(row, &mut tags)? {
            batch.apply(row, &mut outcome, &mut tags)?;
        } else {
            outcome.created += 1;
        }
    }
    tags.write(conn, kind)?;
    batch.inserted.borrow_mut().write(conn, account_id, kind)?;
    accounts::count_stored(conn, account_id, outcome.created as i64, 0)?;
    Ok(outcome)
}

/// What every row of one batch shares.
struct Batch<'a> {
    conn: &'a Connection,
    account_id: i64,
    kind: PersonType,
    now: Timestamp,
    slots: &'a HashMap<String, usize>,
    sql: BulkSql,
    /// The people the batch's own statements inserted, counted (`insert_row` counts its own).
    inserted: RefCell<Inserted>,
    /// Whether the account listens to `contact.created` (asked once, not for each person).
    listening: bool,
}

impl<'a> Batch<'a> {
    fn new(
        conn: &'a Connection,
        account_id: i64,
        kind: PersonType,
        now: Timestamp,
        slots: &'a HashMap<String, usize>,
        rows: &[Row],
    ) -> Result<Self> {
        Ok(Batch {
            conn,
            account_id,
            kind,
            now,
            slots,
            sql: BulkSql::new(rows, slots),
            inserted: RefCell::default(),
            listening: store::listens_for_created(conn, account_id)?,
        })
    }

    /// Inserts the row as a new person with its `tag_names` and `tag_bits`, unless a unique
    /// index (phone, externalId) holds its key already, or a constraint no model check
    /// foresaw refuses it: then it is left to the general path, which finds that person or
    /// reports why.
    fn insert_new(&self, row: &Row, tags: &mut TagLinks) -> Result<bool> {
        let conn = self.conn;
        let names = tags.names_json(conn, self.account_id, &row.changes)?;
        let mut stmt = conn.prepare_cached(&self.sql.insert_new)?;
        self.sql
            .bind(&mut stmt, self, None, &row.changes, names.as_ref())?;
        match stmt.raw_execute() {
            Ok(1) => {}
            Ok(_) => return Ok(false),
            Err(rusqlite::Error::SqliteFailure(e, _))
                if e.code == rusqlite::ErrorCode::ConstraintViolation =>
            {
                return Ok(false);
            }
            Err(e) => return Err(e.into()),
        }
        let id = conn.last_insert_rowid();
        self.created(id, &row.changes)?;
        tags.add(conn, self.account_id, id, &row.changes, Whose::Fresh)?;
        Ok(true)
    }

    /// Counts a person one of the batch's statements inserted, and records its event.
    fn created(&self, id: i64, changes: &PersonChanges) -> Result<()> {
        self.inserted.borrow_mut().add(changes);
        if self.listening {
            store::record_created(self.conn, self.account_id, id, self.now)?;
        }
        Ok(())
    }

    /// Upserts one row on the general path, recording what became of it.
    fn apply(&self, row: &Row, outcome: &mut Outcome, tags: &mut TagLinks) -> Result<()> {
        match self.upsert_row(&row.changes, tags) {
            Ok((_, true)) => outcome.created += 1,
            Ok((_, false)) => outcome.updated += 1,
            Err(e) => outcome.failed.push(Failure {
                row: row.number,
                message: e.message,
            }),
        }
        Ok(())
    }

    /// Upserts one row on the general path: its person is looked up by `externalId`, then
    /// by phone (its location is checked already). Returns the person's id, and whether it
    /// was created (else updated).
    fn upsert_row(&self, changes: &PersonChanges, tags: &mut TagLinks) -> Result<(i64, bool)> {
        let (conn, account_id, kind, now) = (self.conn, self.account_id, self.kind, self.now);
        let existing = match find(self, FIND_BY_EXTERNAL_ID, &changes.external_id)? {
            Some(id) => Some(id),
            None => find(self, FIND_BY_PHONE, &changes.phone)?,
        };
        let conflict = |e| store::conflict(conn, account_id, kind, changes, e);
        let (id, created) = if clears_something(changes) {
            let placed: Vec<(usize, Option<AttrValue>)> = changes
                .attributes
                .iter()
                .filter_map(|(name, value)| Some((*by_name(self.slots, name)?, value.clone())))
                .collect();
            match existing {
                Some(id) => {
                    update_row(conn, account_id, kind, id, changes, &placed, now)?;
                    (id, false)
                }
                None => (
                    insert_row(conn, account_id, kind, changes, &placed, now)?,
                    true,
                ),
            }
        } else {
            let (sql, created) = match existing {
                Some(_) => (&self.sql.update, false),
                None => (&self.sql.insert, true),
            };
            let mut stmt = conn.prepare_cached(sql)?;
            self.sql.bind(&mut stmt, self, existing, changes, None)?;
            stmt.raw_execute().map_err(conflict)?;
            let id = existing.unwrap_or_else(|| conn.last_insert_rowid());
            if created {
                self.created(id, changes)?;
            }
            (id, created)
        };
        let whose = if created {
            Whose::Created
        } else {
            Whose::Updated
        };
        tags.add(conn, account_id, id, changes, whose)?;
        Ok((id, created))
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
    let upserted = upsert_all(conn, account_id, kind, people, now, |i, e| {
        e.within(&format!("persons[{i}]"))
    })?;
    Ok(upserted.into_iter().map(|(id, _)| id).collect())
}

/// Upserts one person as an import row does: the one with its `externalId`, else with its
/// phone, else a new one. Returns its id, and whether it is new.
pub fn upsert_person(
    conn: &Connection,
    account_id: i64,
    kind: PersonType,
    person: PersonChanges,
    now: Timestamp,
) -> Result<(i64, bool)> {
    let upserted = upsert_all(conn, account_id, kind, vec![person], now, |_, e| e)?;
    Ok(upserted[0])
}

fn upsert_all(
    conn: &Connection,
    account_id: i64,
    kind: PersonType,
    people: Vec<PersonChanges>,
    now: Timestamp,
    place: impl Fn(usize, crate::error::Error) -> crate::error::Error,
) -> Result<Vec<(i64, bool)>> {
    let rows: Vec<Row> = people
        .into_iter()
        .enumerate()
        .map(|(number, changes)| Row { number, changes })
        .collect();
    let slots = batch_slots(conn, account_id, &rows)?;
    let batch = Batch::new(conn, account_id, kind, now, &slots, &rows)?;
    let mut tags = TagLinks::default();
    let mut upserted = Vec::with_capacity(rows.len());
    for row in &rows {
        let (id, new) = check_location(conn, account_id, &row.changes)
            .and_then(|()| batch.upsert_row(&row.changes, &mut tags))
            .map_err(|e| place(row.number, e))?;
        upserted.push((id, new));
    }
    tags.write(conn, kind)?;
    batch.inserted.borrow_mut().write(conn, account_id, kind)?;
    let created = upserted.iter().filter(|(_, new)| *new).count();
    accounts::count_stored(conn, account_id, created as i64, 0)?;
    Ok(upserted)
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

/// What a change does to a column: `None` leaves it, `Some(None)` clears it.
type Change<'c> = Option<Option<ValueRef<'c>>>;
/// Reads one column's change off a row.
type Get = for<'c> fn(&'c PersonChanges) -> Change<'c>;

/// The built-in columns an import row may write, each with its value in a change.
const FIELDS: [(&str, Get); 15] = [
    ("name", |c| text(&c.name)),
    ("first_name", |c| text(&c.first_name)),
    ("last_name", |c| text(&c.last_name)),
    ("phone", |c| text(&c.phone)),
    ("email", |c| text(&c.email)),
    ("external_id", |c| text(&c.external_id)),
    ("gender", |c| {
        c.gender
            .map(|g| g.map(|g| ValueRef::Text(g.as_str().as_bytes())))
    }),
    ("birth_date", |c| text(&c.birth_date)),
    ("contact_stage", |c| text(&c.contact_stage)),
    ("channel", |c| text(&c.channel)),
    ("telegram_id", |c| text(&c.telegram_id)),
    ("instagram_id", |c| text(&c.instagram_id)),
    ("messenger_id", |c| text(&c.messenger_id)),
    ("location_id", |c| {
        c.location_id.map(|l| l.map(ValueRef::Integer))
    }),
    ("opted_out", |c| {
        c.opted_out.map(|o| Some(ValueRef::Integer(i64::from(o))))
    }),
];

fn text(v: &Patch<String>) -> Change<'_> {
    v.as_ref()
        .map(|v| v.as_deref().map(|s| ValueRef::Text(s.as_bytes())))
}

/// The value a row sets for `FIELDS[i]`, if it sets one.
fn field(c: &PersonChanges, i: usize) -> Option<ValueRef<'_>> {
    (FIELDS[i].1)(c).flatten()
}

/// A name's entry as the row spells it, else lowercased (tags and attribute names are
/// case-insensitive; the maps hold both spellings they met).
pub(super) fn by_name<'m, V>(map: &'m HashMap<String, V>, name: &str) -> Option<&'m V> {
    map.get(name).or_else(|| map.get(&name.to_lowercase()))
}

/// A column the statements of a batch set.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Column {
    /// `FIELDS[i]`
    Field(usize),
    /// The value column `a{slot}`.
    Slot(usize),
    /// `tag_names` and `tag_bits`, set by inserts of new people ([`TagLinks::names_json`]).
    TagNames,
    TagBits,
}

/// The statements of a batch, naming only the columns some row of it sets (an import of
/// phones and emails binds two built-in values a row, not fifteen). Every row binds every
/// named column: an INSERT stores NULL for what a row lacks, an UPDATE keeps the old value
/// (`coalesce`), so one prepared statement serves all rows and nothing is formatted per
/// row. Parameters ?1, ?2 and ?3 are the account, the type and the time, ?4 the person's id
/// (NULL for an insert: SQLite picks it), and the row's columns follow from ?5.
struct BulkSql {
    columns: Vec<Column>,
    /// Where each slot's value goes among a row's parameters, by slot number.
    slot_at: [Option<usize>; MAX_ATTRIBUTES + 1],
    insert: String,
    /// The insert, skipping a row whose phone or externalId is stored already.
    insert_new: String,
    update: String,
}

impl BulkSql {
    fn new(rows: &[Row], slots: &HashMap<String, usize>) -> BulkSql {
        let mut columns: Vec<Column> = (0..FIELDS.len())
            .filter(|&i| rows.iter().any(|r| field(&r.changes, i).is_some()))
            .map(Column::Field)
            .collect();
        if rows
            .iter()
            .any(|r| r.changes.tags.as_ref().is_some_and(|t| !t.is_empty()))
        {
            columns.extend([Column::TagNames, Column::TagBits]);
        }
        let mut used: Vec<usize> = slots.values().copied().collect();
        used.sort_unstable();
        used.dedup();
        let mut slot_at = [None; MAX_ATTRIBUTES + 1];
        for slot in used {
            slot_at[slot] = Some(columns.len());
            columns.push(Column::Slot(slot));
        }
        let names: Vec<String> = columns.iter().map(|c| c.name()).collect();
        let sets: Vec<String> = std::iter::once("updated_at = ?3".to_string())
            .chain(
                names
                    .iter()
                    .enumerate()
                    .map(|(i, name)| format!("{name} = coalesce(?{}, {name})", 5 + i)),
            )
            .collect();
        let mut names = vec!["id", "account_id", "type", "created_at", "updated_at"]
            .into_iter()
            .map(String::from)
            .collect::<Vec<_>>();
        let mut values = ["?4", "?1", "?2", "?3", "?3"].map(String::from).to_vec();
        for (i, column) in columns.iter().enumerate() {
            names.push(column.name());
            let n = 5 + i;
            values.push(match column {
                Column::Field(i) if FIELDS[*i].0 == "opted_out" => format!("coalesce(?{n}, 0)"),
                Column::TagNames => format!("coalesce(?{n}, '[]')"),
                Column::TagBits => format!("coalesce(?{n}, 0)"),
                _ => format!("?{n}"),
            });
        }
        let insert = format!(
            "INSERT INTO contacts ({}) VALUES ({})",
            names.join(", "),
            values.join(", ")
        );
        BulkSql {
            columns,
            slot_at,
            insert_new: format!("{insert} ON CONFLICT DO NOTHING"),
            insert,
            update: format!("UPDATE contacts SET {} WHERE id = ?4", sets.join(", ")),
        }
    }

    /// Binds the shared parameters, the person's id and the row's columns; `tags`, the
    /// `tag_names` and `tag_bits` (NULL: an insert stores none, an update keeps the old
    /// ones, which [`TagLinks`] then copies anew).
    fn bind(
        &self,
        stmt: &mut rusqlite::Statement,
        batch: &Batch,
        id: Option<i64>,
        changes: &PersonChanges,
        tags: Option<&(String, i64)>,
    ) -> rusqlite::Result<()> {
        stmt.raw_bind_parameter(1, batch.account_id)?;
        stmt.raw_bind_parameter(2, batch.kind.code())?;
        stmt.raw_bind_parameter(3, batch.now)?;
        stmt.raw_bind_parameter(4, id)?;
        let at = 5;
        let mut attributes: Vec<Option<&AttrValue>> = vec![None; self.columns.len()];
        for (name, value) in &changes.attributes {
            if let Some(i) = by_name(batch.slots, name).and_then(|&slot| self.slot_at[slot]) {
                attributes[i] = value.as_ref();
            }
        }
        for (i, column) in self.columns.iter().enumerate() {
            match column {
                Column::Field(f) => {
                    stmt.raw_bind_parameter(at + i, field(changes, *f).map(ToSqlOutput::Borrowed))?
                }
                Column::Slot(_) => stmt.raw_bind_parameter(
                    at + i,
                    attributes[i].map(|v| ToSqlOutput::Borrowed(value_ref(v))),
                )?,
                Column::TagNames => stmt.raw_bind_parameter(at + i, tags.map(|t| &t.0))?,
                Column::TagBits => stmt.raw_bind_parameter(at + i, tags.map(|t| t.1))?,
            }
        }
        Ok(())
    }
}

impl Column {
    fn name(self) -> String {
        match self {
            Column::Field(i) => FIELDS[i].0.to_string(),
            Column::Slot(slot) => format!("a{slot}"),
            Column::TagNames => "tag_names".to_string(),
            Column::TagBits => "tag_bits".to_string(),
        }
    }
}

/// True when a change clears a field (`null` in a JSON import): the bulk statements cannot
/// say "clear", so such rows take the general path.
fn clears_something(c: &PersonChanges) -> bool {
    FIELDS.iter().any(|(_, get)| matches!(get(c), Some(None)))
        || c.attributes.iter().any(|(_, v)| v.is_none())
}

const FIND_BY_EXTERNAL_ID: &str =
    "SELECT id FROM contacts WHERE account_id = ?1 AND type = ?2 AND external_id = ?3";
const FIND_BY_PHONE: &str =
    "SELECT id FROM contacts WHERE account_id = ?1 AND type = ?2 AND phone = ?3";

fn find(batch: &Batch, sql: &str, value: &Option<Option<String>>) -> Result<Option<i64>> {
    let Some(Some(value)) = value else {
        return Ok(None);
    };
    Ok(batch
        .conn
        .prepare_cached(sql)?
        .query_row(params![batch.account_id, batch.kind.code(), value], |r| {
            r.get(0)
        })
        .optional()?)
}

/// The account's attribute names in slot order: the export's extra columns.
pub fn attribute_names(conn: &Connection, account_id: i64) -> Result<Vec<String>> {
    Ok(attribute_keys(conn, account_id)?
        .into_iter()
        .map(|k| k.name)
        .collect())
}
