//! SQL for contacts and clients, their tags and custom attributes. Every function takes the
//! account (and the person type), so no query can reach another account's rows.
//!
//! Custom attributes live in the value columns `a1..a64` of `contacts`; `attribute_keys`
//! maps each account's attribute names to a column and a kind. Column names are only ever
//! built from those slot numbers, never from input; every value is a bound parameter.

use super::counters::Inserted;
use super::model::{
    AttrKey, AttrKind, AttrValue, MAX_ATTRIBUTES, Person, PersonChanges, PersonType,
};
use super::names::{AttributeNames, Names};
use super::tags::set_tags;
use super::view::PersonView;
use crate::accounts::store as accounts;
use crate::clock::Timestamp;
use crate::db::{self, is_unique_violation};
use crate::error::{Error, Result};
use crate::locations::store as locations;
use rusqlite::types::{Value as Sql, ValueRef};
use rusqlite::{Connection, OptionalExtension, Row, params, params_from_iter};
use std::collections::HashMap;
use std::sync::LazyLock;

const BASE_COLUMNS: &str = "c.id, c.type, c.name, c.first_name, c.last_name, c.phone, c.email, \
     c.external_id, c.gender, c.birth_date, c.contact_stage, c.channel, c.telegram_id, \
     c.instagram_id, c.messenger_id, c.location_id, c.opted_out, c.last_activity_at, \
     c.created_at, c.updated_at";

/// The columns a person is read with, over `contacts c`, by the account's last named slot
/// `m` ([`person_columns`]): the built-in fields, the tag names, the value slots `a1..am`,
/// and how many attribute names the account has in the same snapshot: more than the
/// reader knows means its names are behind. (Reading all 64 slots to look for values in
/// unnamed ones was a tenth of a point lookup's instructions.) [`PersonView::read`] takes
/// them by position.
static PERSON_COLUMNS: LazyLock<Vec<String>> = LazyLock::new(|| {
    (0..=MAX_ATTRIBUTES)
        .map(|m| {
            let named: Vec<String> = (1..=m).map(|i| format!("c.a{i}, ")).collect();
            format!(
                "{BASE_COLUMNS}, c.tag_names, {}\
                 (SELECT count(*) FROM attribute_keys k WHERE k.account_id = c.account_id)",
                named.concat()
            )
        })
        .collect()
});

/// The columns of [`PERSON_COLUMNS`] for people read with `names`.
pub(super) fn person_columns(names: &Names) -> &'static str {
    &PERSON_COLUMNS[names.last_slot()]
}

static GET_SQL: LazyLock<Vec<String>> = LazyLock::new(|| {
    PERSON_COLUMNS
        .iter()
        .map(|columns| {
            format!(
                "SELECT {columns} FROM contacts c WHERE c.id = ?1 AND c.account_id = ?2 AND c.type = ?3"
            )
        })
        .collect()
});

pub fn attribute_keys(conn: &Connection, account_id: i64) -> Result<Vec<AttrKey>> {
    let mut stmt = conn.prepare_cached(
        "SELECT slot, name, kind FROM attribute_keys WHERE account_id = ?1 ORDER BY slot",
    )?;
    let rows = stmt.query_map([account_id], |r| {
        let kind: String = r.get(2)?;
        Ok(AttrKey {
            slot: r.get::<_, i64>(0)? as usize,
            name: r.get(1)?,
            kind: AttrKind::parse(&kind).unwrap_or(AttrKind::String),
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// The slot of each named attribute, by lowercase name, assigning free slots to new names
/// (with the kind given). A known name wanted with another kind is refused.
pub(super) fn resolve_slots(
    conn: &Connection,
    account_id: i64,
    wanted: &[(String, AttrKind)],
) -> Result<HashMap<String, usize>> {
    let mut keys = attribute_keys(conn, account_id)?;
    let mut slots = HashMap::with_capacity(wanted.len());
    for (name, kind) in wanted {
        let slot = match keys.iter().find(|k| k.name.eq_ignore_ascii_case(name)) {
            Some(key) if key.kind != *kind => {
                return Err(Error::invalid(format!(
                    "attributes.{name}: this account's {} attribute holds {} values",
                    key.name,
                    key.kind.as_str()
                )));
            }
            Some(key) => key.slot,
            None => {
                let slot = (1..=MAX_ATTRIBUTES)
                    .find(|s| keys.iter().all(|k| k.slot != *s))
                    .ok_or_else(|| {
                        Error::invalid(format!(
                            "attributes.{name}: this account already uses {MAX_ATTRIBUTES} attribute names"
                        ))
                    })?;
                conn.execute(
                    "INSERT INTO attribute_keys (account_id, slot, name, kind) VALUES (?1, ?2, ?3, ?4)",
                    params![account_id, slot as i64, name, kind.as_str()],
                )?;
                keys.push(AttrKey {
                    slot,
                    name: name.clone(),
                    kind: *kind,
                });
                slot
            }
        };
        slots.insert(name.to_lowercase(), slot);
    }
    Ok(slots)
}

/// The slot and new value of each attribute a change writes. Removing a name the account
/// never used is nothing to write.
fn slots_for(
    conn: &Connection,
    account_id: i64,
    attributes: &[(String, Option<AttrValue>)],
) -> Result<Vec<(usize, Option<AttrValue>)>> {
    if attributes.is_empty() {
        return Ok(Vec::new());
    }
    let wanted: Vec<(String, AttrKind)> = attributes
        .iter()
        .filter_map(|(name, value)| value.as_ref().map(|v| (name.clone(), v.kind())))
        .collect();
    let mut slots = resolve_slots(conn, account_id, &wanted)?;
    for key in attribute_keys(conn, account_id)? {
        slots.entry(key.name.to_lowercase()).or_insert(key.slot);
    }
    Ok(attributes
        .iter()
        .filter_map(|(name, value)| {
            slots
                .get(&name.to_lowercase())
                .map(|slot| (*slot, value.clone()))
        })
        .collect())
}

/// An attribute value as SQLite stores it, its text not copied (the import binds these);
/// [`sql_of`] is the owned form. The two must agree.
pub(super) fn value_ref(value: &AttrValue) -> ValueRef<'_> {
    match value {
        AttrValue::Text(s) => ValueRef::Text(s.as_bytes()),
        AttrValue::Int(i) => ValueRef::Integer(*i),
        AttrValue::Real(f) => ValueRef::Real(*f),
        AttrValue::Bool(b) => ValueRef::Integer(i64::from(*b)),
    }
}

pub(super) fn sql_of(value: &AttrValue) -> Sql {
    match value {
        AttrValue::Text(s) => Sql::Text(s.clone()),
        AttrValue::Int(i) => Sql::Integer(*i),
        AttrValue::Real(f) => Sql::Real(*f),
        AttrValue::Bool(b) => Sql::Integer(i64::from(*b)),
    }
}

/// The columns a change writes, with their values (`Null` clears).
fn columns(changes: &PersonChanges) -> Vec<(&'static str, Sql)> {
    fn text(v: &Option<String>) -> Sql {
        v.clone().map_or(Sql::Null, Sql::Text)
    }
    let mut out = Vec::new();
    let texts = [
        ("name", &changes.name),
        ("first_name", &changes.first_name),
        ("last_name", &changes.last_name),
        ("phone", &changes.phone),
        ("email", &changes.email),
        ("external_id", &changes.external_id),
        ("birth_date", &changes.birth_date),
        ("contact_stage", &changes.contact_stage),
        ("channel", &changes.channel),
        ("telegram_id", &changes.telegram_id),
        ("instagram_id", &changes.instagram_id),
        ("messenger_id", &changes.messenger_id),
    ];
    for (column, value) in texts {
        if let Some(v) = value {
            out.push((column, text(v)));
        }
    }
    if let Some(g) = changes.gender {
        out.push((
            "gender",
            g.map_or(Sql::Null, |g| Sql::Text(g.as_str().into())),
        ));
    }
    if let Some(l) = changes.location_id {
        out.push(("location_id", l.map_or(Sql::Null, Sql::Integer)));
    }
    if let Some(o) = changes.opted_out {
        out.push(("opted_out", Sql::Integer(i64::from(o))));
    }
    out
}

pub(super) fn check_location(
    conn: &Connection,
    account_id: i64,
    changes: &PersonChanges,
) -> Result<()> {
    locations::check_reference(conn, account_id, changes.location_id.flatten())
}

/// Turns a uniqueness failure into a `409` naming the field and the record holding it.
pub(super) fn conflict(
    conn: &Connection,
    account_id: i64,
    kind: PersonType,
    changes: &PersonChanges,
    err: rusqlite::Error,
) -> Error {
    if !is_unique_violation(&err) {
        return err.into();
    }
    let (field, column, value) = if err.to_string().contains("external_id") {
        (
            "externalId",
            "external_id",
            changes.external_id.clone().flatten(),
        )
    } else {
        ("phoneNumber", "phone", changes.phone.clone().flatten())
    };
    let holder: Option<i64> = conn
        .query_row(
            &format!(
                "SELECT id FROM contacts WHERE account_id = ?1 AND type = ?2 AND {column} = ?3"
            ),
            params![account_id, kind.code(), value],
            |r| r.get(0),
        )
        .optional()
        .ok()
        .flatten();
    let who = holder.map_or_else(
        || format!("another {}", kind.as_str()),
        |id| format!("{} {id}", kind.as_str()),
    );
    Error::conflict(format!(
        "{field}: {who} of this account already has this value"
    ))
}

pub fn insert(
    conn: &Connection,
    account_id: i64,
    kind: PersonType,
    changes: &PersonChanges,
    now: Timestamp,
) -> Result<i64> {
    check_location(conn, account_id, changes)?;
    accounts::check_room(conn, account_id, 1, 0)?;
    let slots = slots_for(conn, account_id, &changes.attributes)?;
    let id = insert_row(conn, account_id, kind, changes, &slots, now)?;
    if let Some(tags) = &changes.tags {
        set_tags(conn, account_id, kind, id, tags)?;
    }
    accounts::count_stored(conn, account_id, 1, 0)?;
    Ok(id)
}

/// The columns and values a change writes, its attributes placed by `slots`.
fn assignments(
    changes: &PersonChanges,
    slots: &[(usize, Option<AttrValue>)],
) -> Vec<(String, Sql)> {
    columns(changes)
        .into_iter()
        .map(|(c, v)| (c.to_string(), v))
        .chain(
            slots
                .iter()
                .map(|(slot, v)| (format!("a{slot}"), v.as_ref().map_or(Sql::Null, sql_of))),
        )
        .collect()
}

/// Inserts the row of a checked change, and counts it by birth date, stage and gender (its
/// caller counts it against the account's quota).
pub(super) fn insert_row(
    conn: &Connection,
    account_id: i64,
    kind: PersonType,
    changes: &PersonChanges,
    slots: &[(usize, Option<AttrValue>)],
    now: Timestamp,
) -> Result<i64> {
    let mut names = vec![
        "account_id".to_string(),
        "type".into(),
        "created_at".into(),
        "updated_at".into(),
    ];
    let mut values = vec![
        Sql::Integer(account_id),
        Sql::Integer(kind.code()),
        Sql::Integer(now),
        Sql::Integer(now),
    ];
    for (column, value) in assignments(changes, slots) {
        names.push(column);
        values.push(value);
    }
    let placeholders = (1..=names.len())
        .map(|i| format!("?{i}"))
        .collect::<Vec<_>>()
        .join(", ");
    let sql = format!(
        "INSERT INTO contacts ({}) VALUES ({placeholders})",
        names.join(", ")
    );
    conn.prepare_cached(&sql)?
        .execute(params_from_iter(values))
        .map_err(|e| conflict(conn, account_id, kind, changes, e))?;
    let id = conn.last_insert_rowid();
    let mut counted = Inserted::default();
    counted.add(changes);
    counted.write(conn, account_id, kind)?;
    record_created(conn, account_id, id, now)?;
    Ok(id)
}

/// Records `contact.created` for person `id` when its account has an endpoint listening, in
/// the transaction of the insert. Not a trigger: any trigger on insert makes SQLite keep a
/// statement journal for each insert statement, which cost an import more than its rows.
pub(super) fn record_created(
    conn: &Connection,
    account_id: i64,
    id: i64,
    at: Timestamp,
) -> Result<()> {
    conn.prepare_cached(
        "INSERT INTO webhook_events (account_id, event_type, object_id, created_at)
         SELECT ?1, 'contact.created', ?2, ?3 WHERE EXISTS (SELECT 1 FROM webhook_subscriptions
             WHERE account_id = ?1 AND event_type IN ('*', 'contact.created'))",
    )?
    .execute(params![account_id, id, at])?;
    Ok(())
}

/// Whether the account has an endpoint listening to `contact.created`: a batch asks once,
/// and records each person it creates only if so.
pub(super) fn listens_for_created(conn: &Connection, account_id: i64) -> Result<bool> {
    Ok(conn
        .prepare_cached(
            "SELECT 1 FROM webhook_subscriptions
             WHERE account_id = ?1 AND event_type IN ('*', 'contact.created')",
        )?
        .exists([account_id])?)
}

pub(super) fn exists(conn: &Connection, account_id: i64, kind: PersonType, id: i64) -> Result<()> {
    let found = conn
        .prepare_cached("SELECT 1 FROM contacts WHERE id = ?1 AND account_id = ?2 AND type = ?3")?
        .exists(params![id, account_id, kind.code()])?;
    found.then_some(()).ok_or_else(|| not_found(kind, id))
}

pub fn not_found(kind: PersonType, id: i64) -> Error {
    Error::not_found(format!("no {} with id {id}", kind.as_str()))
}

pub fn update(
    conn: &Connection,
    account_id: i64,
    kind: PersonType,
    id: i64,
    changes: &PersonChanges,
    now: Timestamp,
) -> Result<()> {
    exists(conn, account_id, kind, id)?;
    check_location(conn, account_id, changes)?;
    let slots = slots_for(conn, account_id, &changes.attributes)?;
    update_row(conn, account_id, kind, id, changes, &slots, now)?;
    if let Some(tags) = &changes.tags {
        set_tags(conn, account_id, kind, id, tags)?;
    }
    Ok(())
}

/// Writes the columns a checked change sets on an existing row.
pub(super) fn update_row(
    conn: &Connection,
    account_id: i64,
    kind: PersonType,
    id: i64,
    changes: &PersonChanges,
    slots: &[(usize, Option<AttrValue>)],
    now: Timestamp,
) -> Result<()> {
    let mut sets = vec!["updated_at = ?1".to_string()];
    let mut values = vec![Sql::Integer(now)];
    for (column, value) in assignments(changes, slots) {
        values.push(value);
        sets.push(format!("{column} = ?{}", values.len()));
    }
    values.push(Sql::Integer(id));
    let sql = format!(
        "UPDATE contacts SET {} WHERE id = ?{}",
        sets.join(", "),
        values.len()
    );
    conn.prepare_cached(&sql)?
        .execute(params_from_iter(values))
        .map_err(|e| conflict(conn, account_id, kind, changes, e))?;
    Ok(())
}

pub fn delete(conn: &Connection, account_id: i64, kind: PersonType, id: i64) -> Result<()> {
    let deleted = conn
        .prepare_cached("DELETE FROM contacts WHERE id = ?1 AND account_id = ?2 AND type = ?3")?
        .execute(params![id, account_id, kind.code()])?;
    (deleted == 1)
        .then_some(())
        .ok_or_else(|| not_found(kind, id))
}

/// A person from a row of [`person_columns`]; `None` when `names` are behind.
fn person_from_row(row: &Row, names: &Names) -> rusqlite::Result<Option<Person>> {
    PersonView::read(row, names)?
        .map(|p| p.to_person())
        .transpose()
}

/// Runs `read` (one statement) with the account's kept attribute names and, when a row
/// shows them behind, once more with names reloaded in one snapshot with the read. The
/// first try needs no transaction of its own: a single statement reads one snapshot.
pub(super) fn with_names<T>(
    conn: &Connection,
    names: &AttributeNames,
    account_id: i64,
    read: impl Fn(&Names) -> Result<Option<T>>,
) -> Result<T> {
    if let Some(out) = read(&*names.get(conn, account_id)?)? {
        return Ok(out);
    }
    let again = |conn: &Connection| {
        read(&*names.reload(conn, account_id)?)?
            .ok_or_else(|| Error::internal("a custom attribute value has no name"))
    };
    if conn.is_autocommit() {
        db::snapshot(conn, again)
    } else {
        again(conn)
    }
}

/// The id of the account's person of `kind` with this (normalised) phone, if any.
pub fn by_phone(
    conn: &Connection,
    account_id: i64,
    kind: PersonType,
    phone: &str,
) -> Result<Option<i64>> {
    Ok(conn
        .prepare_cached(
            "SELECT id FROM contacts WHERE account_id = ?1 AND type = ?2 AND phone = ?3 LIMIT 1",
        )?
        .query_row(params![account_id, kind.code(), phone], |r| r.get(0))
        .optional()?)
}

/// The highest person id in the file (any account): later ids are new people.
pub fn last_id(conn: &Connection) -> Result<i64> {
    Ok(
        conn.query_row("SELECT coalesce(max(id), 0) FROM contacts", [], |r| {
            r.get(0)
        })?,
    )
}

/// The account's people with ids above `after`, in id order.
pub fn ids_after(conn: &Connection, account_id: i64, after: i64) -> Result<Vec<i64>> {
    let mut stmt = conn
        .prepare_cached("SELECT id FROM contacts WHERE account_id = ?1 AND id > ?2 ORDER BY id")?;
    let ids = stmt.query_map(params![account_id, after], |r| r.get(0))?;
    Ok(ids.collect::<rusqlite::Result<_>>()?)
}

/// A person of the account, contact or client, if they exist.
pub fn view_of(
    conn: &Connection,
    names: &AttributeNames,
    account_id: i64,
    id: i64,
) -> Result<Option<Person>> {
    let kind: Option<i64> = conn
        .prepare_cached("SELECT type FROM contacts WHERE id = ?1 AND account_id = ?2")?
        .query_row(params![id, account_id], |r| r.get(0))
        .optional()?;
    kind.map(|k| get(conn, names, account_id, PersonType::from_code(k), id))
        .transpose()
}

pub fn get(
    conn: &Connection,
    names: &AttributeNames,
    account_id: i64,
    kind: PersonType,
    id: i64,
) -> Result<Person> {
    Ok(get_with(conn, names, account_id, kind, id, |p| {
        p.to_person()
    })??)
}

/// What `make` makes of the person, read without copying it out of SQLite's buffers.
pub fn get_with<T>(
    conn: &Connection,
    names: &AttributeNames,
    account_id: i64,
    kind: PersonType,
    id: i64,
    make: impl Fn(PersonView) -> T,
) -> Result<T> {
    with_names(conn, names, account_id, |names| {
        conn.prepare_cached(&GET_SQL[names.last_slot()])?
            .query_row(params![id, account_id, kind.code()], |row| {
                Ok(PersonView::read(row, names)?.map(&make))
            })
            .optional()?
            .ok_or_else(|| not_found(kind, id))
    })
}

/// People of an account and type matching `condition` (an SQL condition over `contacts c`
/// with `params` bound in order), in id order: those with ids above `after`, then skipping
/// `offset`, at most `limit`. With their tags.
#[allow(clippy::too_many_arguments)]
/// An SQL condition over `contacts c`, with its parameters in order. Made by this module
/// or by the rule compiler (`segments::compile`), never from input text.
#[derive(Debug, Clone, PartialEq)]
pub struct Condition {
    pub sql: String,
    pub params: Vec<Sql>,
}

impl Condition {
    pub fn everyone() -> Condition {
        Condition {
            sql: "1".into(),
            params: Vec::new(),
        }
    }

    /// The people with these ids (one bound parameter, however many).
    pub fn ids(ids: &[i64]) -> Condition {
        let list: Vec<String> = ids.iter().map(i64::to_string).collect();
        Condition {
            sql: "c.id IN (SELECT value FROM json_each(?))".into(),
            params: vec![Sql::Text(format!("[{}]", list.join(",")))],
        }
    }
}

/// Which part of a list to read, in id order: after `after` (a cursor that costs the same
/// at any depth), then skipping `offset` (for `page`), at most `limit`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    pub after: i64,
    pub offset: i64,
    pub limit: u32,
}

impl Window {
    /// The first `limit`.
    pub fn first(limit: u32) -> Window {
        Window {
            after: 0,
            offset: 0,
            limit,
        }
    }

    /// This window read no further than the last of `total` people (counted from the
    /// first): `None` when it starts past them. A window after a cursor is kept whole.
    pub fn up_to(self, total: i64) -> Option<Window> {
        if self.after != 0 {
            return Some(self);
        }
        let left = u32::try_from((total - self.offset).max(0)).unwrap_or(u32::MAX);
        (left > 0).then(|| Window {
            limit: self.limit.min(left),
            ..self
        })
    }
}

/// The account's people of `kind` meeting `condition`, in id order, within `window`.
pub fn people_where(
    conn: &Connection,
    names: &AttributeNames,
    account_id: i64,
    kind: PersonType,
    condition: &Condition,
    window: Window,
) -> Result<Vec<Person>> {
    let mut values = vec![
        Sql::Integer(account_id),
        Sql::Integer(kind.code()),
        Sql::Integer(window.after),
    ];
    values.extend(condition.params.iter().cloned());
    with_names(conn, names, account_id, |names| {
        let sql = format!(
            "SELECT {} FROM contacts c WHERE c.account_id = ? AND c.type = ? AND c.id > ? \
             AND {} ORDER BY c.id LIMIT {} OFFSET {}",
            person_columns(names),
            condition.sql,
            window.limit,
            window.offset
        );
        people_of(conn, &sql, &values, names)
    })
}

/// The people `sql` (selecting [`person_columns`]) reads; `None` if `names` are behind.
pub(super) fn people_of(
    conn: &Connection,
    sql: &str,
    values: &[Sql],
    names: &Names,
) -> Result<Option<Vec<Person>>> {
    let mut stmt = conn.prepare_cached(sql)?;
    let rows = stmt.query_map(params_from_iter(values), |row| person_from_row(row, names))?;
    let people = rows.collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(people.into_iter().collect())
}

/// Makes `%`, `_` and `\` match themselves in a LIKE pattern (with `ESCAPE '\'`).
pub fn escape_like(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn borrowed_and_owned_attribute_values_agree() {
        for value in [
            AttrValue::Text("Pune".into()),
            AttrValue::Int(-3),
            AttrValue::Real(2.5),
            AttrValue::Bool(true),
            AttrValue::Bool(false),
        ] {
            assert_eq!(
                value_ref(&value),
                ValueRef::from(&sql_of(&value)),
                "{value:?}"
            );
        }
    }

    #[test]
    fn like_patterns_are_escaped() {
        assert_eq!(escape_like(r"50%_a\b"), r"50\%\_a\\b");
    }
}
