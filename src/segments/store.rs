//! SQL for segments: their definitions, static members, and membership through the rule
//! compiler. Every function takes the account.

use super::compile::compile;
use super::count::counted;
use super::model::{Definition, GroupsSent, Membership, Sent, membership};
use super::rules::Rule;
use crate::clock::{self, Timestamp};
use crate::contacts::model::{AttrKey, Person, PersonType};
use crate::contacts::names::AttributeNames;
use crate::contacts::store::{Condition, Window, attribute_keys, escape_like, people_where};
use crate::db::Pool;
use crate::error::{Error, Result};
use crate::fields::Page;
use crate::locations::store as locations;
use rusqlite::types::Value as Sql;
use rusqlite::{Connection, OptionalExtension, Row, params, params_from_iter};
use serde_json::{Value, json};

/// A stored segment.
#[derive(Debug, Clone, PartialEq)]
pub struct Segment {
    pub id: i64,
    pub kind: PersonType,
    pub name: String,
    pub description: Option<String>,
    pub dynamic: bool,
    /// Who is in it, or why that cannot be read any more: never "everyone" by default.
    pub membership: std::result::Result<Membership, String>,
    /// Criteria and groups as last sent, echoed by answers.
    pub criteria: Option<Value>,
    pub rule: Option<GroupsSent>,
    pub location_id: Option<i64>,
    pub extra: Option<Value>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

impl Segment {
    /// The segment's fields as last sent, which a `PUT` changes.
    pub fn sent(&self) -> Sent {
        Sent {
            name: self.name.clone(),
            description: self.description.clone(),
            kind: self.kind,
            criteria: self.criteria.clone(),
            rule: self.rule.clone(),
            location_id: self.location_id,
            extra: self.extra.clone(),
        }
    }

    /// The answer's shape: the seed's fields, then ours. Members are counted, or `null`
    /// with the `problem` that keeps them from being known.
    pub fn view(&self, members: std::result::Result<i64, String>) -> Value {
        let rule = self.rule.as_ref();
        let (member_count, problem) = match members {
            Ok(n) => (Some(n), None),
            Err(problem) => (None, Some(problem)),
        };
        json!({
            "id": self.id.to_string(),
            "name": self.name,
            "description": self.description,
            "type": self.kind.as_str(),
            "criteria": self.criteria,
            "groups": rule.map(|r| &r.groups),
            "groupLogic": rule.and_then(|r| r.group_logic.as_ref()),
            "location": self.location_id.map(|id| json!({"id": id.to_string()})),
            "refresh": if self.dynamic { "dynamic" } else { "static" },
            "memberCount": member_count,
            "problem": problem,
            "createdAt": clock::rfc3339(self.created_at),
            "updatedAt": clock::rfc3339(self.updated_at),
        })
    }
}

const COLUMNS: &str = "id, type, name, description, dynamic, criteria, rule, location_id, extra, \
    created_at, updated_at, definition";

fn segment_from_row(row: &Row) -> rusqlite::Result<Segment> {
    // Echoed JSON as stored: `Err` with the text when it no longer parses.
    fn json<T: serde::de::DeserializeOwned>(
        row: &Row,
        i: usize,
    ) -> rusqlite::Result<std::result::Result<Option<T>, String>> {
        Ok(match row.get::<_, Option<String>>(i)? {
            None => Ok(None),
            Some(s) => serde_json::from_str(&s)
                .map(Some)
                .map_err(|e| e.to_string()),
        })
    }
    let dynamic: bool = row.get(4)?;
    let criteria = json::<Value>(row, 5)?;
    let rule = json::<GroupsSent>(row, 6)?;
    let stored: Option<String> = row.get(11)?;
    let membership = match (&criteria, &rule) {
        _ if !dynamic || stored.is_some() => Membership::from_stored(dynamic, stored.as_deref()),
        // Stored before the canonical form: read as sent, with the dialect's parser.
        (Ok(criteria), Ok(rule)) => membership(dynamic, criteria.as_ref(), rule.as_ref())
            .map_err(|e| format!("its stored rule cannot be read: {}", e.message)),
        (Err(e), _) | (_, Err(e)) => Err(format!("its stored rule is not JSON ({e})")),
    };
    Ok(Segment {
        id: row.get(0)?,
        kind: PersonType::from_code(row.get(1)?),
        name: row.get(2)?,
        description: row.get(3)?,
        dynamic,
        membership,
        criteria: criteria.ok().flatten(),
        rule: rule.ok().flatten(),
        location_id: row.get(7)?,
        extra: json::<Value>(row, 8)?.ok().flatten(),
        created_at: row.get(9)?,
        updated_at: row.get(10)?,
    })
}

fn not_found(id: i64) -> Error {
    Error::not_found(format!("no segment with id {id}"))
}

fn check_location(conn: &Connection, account_id: i64, def: &Definition) -> Result<()> {
    locations::check_reference(conn, account_id, def.location_id)
}

/// Refuses a rule that does not fit the account's custom attributes now (a number compared
/// with an attribute that holds text, …): `400` naming the place, before anything is stored.
fn check_rule(conn: &Connection, account_id: i64, def: &Definition, now: Timestamp) -> Result<()> {
    if let Membership::Dynamic(Some(rule)) = &def.membership {
        compile(rule, &attribute_keys(conn, account_id)?, account_id, now)?;
    }
    Ok(())
}

/// Refuses a new segment beyond the account's limit of active segments
/// (docs/api.md#keys-and-the-account); a limit of 0 means the account has no custom
/// segments at all.
pub fn check_limit(conn: &Connection, account_id: i64, limit: Option<u32>) -> Result<()> {
    let Some(limit) = limit else {
        return Ok(());
    };
    if limit == 0 {
        return Err(Error::invalid(
            "custom segments are not available for this account",
        ));
    }
    let active: i64 = conn
        .prepare_cached("SELECT count(*) FROM segments WHERE account_id = ?1")?
        .query_row([account_id], |r| r.get(0))?;
    if active >= i64::from(limit) {
        return Err(Error::invalid(format!(
            "active segment limit reached: this account may have {limit} segments; delete one first"
        )));
    }
    Ok(())
}

/// Stores a new segment, within the account's segment limit.
pub fn insert(
    conn: &Connection,
    account_id: i64,
    def: &Definition,
    now: Timestamp,
    limit: Option<u32>,
) -> Result<i64> {
    check_limit(conn, account_id, limit)?;
    check_location(conn, account_id, def)?;
    check_rule(conn, account_id, def, now)?;
    conn.prepare_cached(
        "INSERT INTO segments (account_id, type, name, description, dynamic, criteria, rule,
             location_id, extra, created_at, updated_at, definition)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?10, ?9, ?9, ?11)",
    )?
    .execute(params![
        account_id,
        def.kind.code(),
        def.name,
        def.description,
        def.is_dynamic(),
        def.criteria.as_ref().map(Value::to_string),
        def.rule.as_ref().map(|r| json!(r).to_string()),
        def.location_id,
        now,
        def.extra.as_ref().map(Value::to_string),
        def.membership.stored()
    ])?;
    let id = conn.last_insert_rowid();
    add_members(conn, account_id, def.kind, id, &def.contact_ids)?;
    Ok(id)
}

/// Adds people to a static segment; an id that is not one of the account's people of the
/// segment's type is refused, naming its place.
pub fn add_members(
    conn: &Connection,
    account_id: i64,
    kind: PersonType,
    segment_id: i64,
    ids: &[i64],
) -> Result<()> {
    let mut add = conn.prepare_cached(
        "INSERT OR IGNORE INTO segment_members (segment_id, contact_id)
         SELECT ?1, id FROM contacts WHERE id = ?2 AND account_id = ?3 AND type = ?4",
    )?;
    let mut known = conn
        .prepare_cached("SELECT 1 FROM contacts WHERE id = ?1 AND account_id = ?2 AND type = ?3")?;
    for (i, id) in ids.iter().enumerate() {
        if add.execute(params![segment_id, id, account_id, kind.code()])? == 0
            && !known.exists(params![id, account_id, kind.code()])?
        {
            return Err(Error::not_found(format!(
                "contactIds[{i}]: no {} {id} in this account",
                kind.as_str()
            )));
        }
    }
    Ok(())
}

/// Stores a changed definition. `members`, when given, becomes the whole member list;
/// a dynamic segment keeps none.
pub fn update(
    conn: &Connection,
    account_id: i64,
    id: i64,
    def: &Definition,
    members: Option<&[i64]>,
    now: Timestamp,
) -> Result<()> {
    check_location(conn, account_id, def)?;
    check_rule(conn, account_id, def, now)?;
    let changed = conn
        .prepare_cached(
            "UPDATE segments SET name = ?3, description = ?4, dynamic = ?5, criteria = ?6, rule = ?7,
             location_id = ?8, updated_at = ?9, extra = ?10, definition = ?11
             WHERE id = ?1 AND account_id = ?2",
        )?
        .execute(params![
            id,
            account_id,
            def.name,
            def.description,
            def.is_dynamic(),
            def.criteria.as_ref().map(Value::to_string),
            def.rule.as_ref().map(|r| json!(r).to_string()),
            def.location_id,
            now,
            def.extra.as_ref().map(Value::to_string),
            def.membership.stored()
        ])?;
    if changed == 0 {
        return Err(not_found(id));
    }
    if def.is_dynamic() || members.is_some() {
        conn.prepare_cached("DELETE FROM segment_members WHERE segment_id = ?1")?
            .execute([id])?;
    }
    if let Some(members) = members {
        add_members(conn, account_id, def.kind, id, members)?;
    }
    Ok(())
}

/// Makes everyone who matches `rule` now a member of the static segment (Wati's static
/// segment created from groups): one set-wise statement.
pub fn freeze(
    conn: &Connection,
    account_id: i64,
    segment_id: i64,
    kind: PersonType,
    rule: &Rule,
    now: Timestamp,
) -> Result<()> {
    let compiled = compile(rule, &attribute_keys(conn, account_id)?, account_id, now)?;
    let sql = format!(
        "INSERT OR IGNORE INTO segment_members (segment_id, contact_id)
         SELECT ?, c.id FROM contacts c WHERE c.account_id = ? AND c.type = ? AND {}",
        compiled.sql
    );
    let mut values = vec![
        Sql::Integer(segment_id),
        Sql::Integer(account_id),
        Sql::Integer(kind.code()),
    ];
    values.extend(compiled.params);
    conn.execute(&sql, params_from_iter(values))?;
    Ok(())
}

/// Removes people from a static segment (ids that are not members are ignored).
pub fn remove_members(conn: &Connection, segment_id: i64, ids: &[i64]) -> Result<()> {
    let mut remove = conn
        .prepare_cached("DELETE FROM segment_members WHERE segment_id = ?1 AND contact_id = ?2")?;
    for id in ids {
        remove.execute(params![segment_id, id])?;
    }
    Ok(())
}

pub fn get(conn: &Connection, account_id: i64, id: i64) -> Result<Segment> {
    find(conn, account_id, id)?.ok_or_else(|| not_found(id))
}

/// The account's segment `id`, if there is one.
pub fn find(conn: &Connection, account_id: i64, id: i64) -> Result<Option<Segment>> {
    Ok(conn
        .prepare_cached(&format!(
            "SELECT {COLUMNS} FROM segments WHERE id = ?1 AND account_id = ?2"
        ))?
        .query_row(params![id, account_id], segment_from_row)
        .optional()?)
}

pub fn delete(conn: &Connection, account_id: i64, id: i64) -> Result<()> {
    let deleted = conn
        .prepare_cached("DELETE FROM segments WHERE id = ?1 AND account_id = ?2")?
        .execute(params![id, account_id])?;
    (deleted == 1).then_some(()).ok_or_else(|| not_found(id))
}

#[derive(Debug, Default)]
pub struct ListFilter {
    pub location_id: Option<i64>,
    pub search: Option<String>,
}

pub fn list(
    conn: &Connection,
    account_id: i64,
    filter: &ListFilter,
    page: Page,
) -> Result<(Vec<Segment>, i64)> {
    let mut clauses = vec!["account_id = ?1".to_string()];
    let mut values = vec![Sql::Integer(account_id)];
    if let Some(location_id) = filter.location_id {
        values.push(Sql::Integer(location_id));
        clauses.push(format!("location_id = ?{}", values.len()));
    }
    if let Some(search) = &filter.search {
        values.push(Sql::Text(format!("%{}%", escape_like(search))));
        clauses.push(format!("name LIKE ?{} ESCAPE '\\'", values.len()));
    }
    let filter_sql = clauses.join(" AND ");
    let total = conn
        .prepare_cached(&format!("SELECT count(*) FROM segments WHERE {filter_sql}"))?
        .query_row(params_from_iter(values.iter()), |r| r.get(0))?;
    let sql = format!(
        "SELECT {COLUMNS} FROM segments WHERE {filter_sql} ORDER BY id LIMIT {} OFFSET {}",
        page.limit, page.offset
    );
    let mut stmt = conn.prepare_cached(&sql)?;
    let rows = stmt.query_map(params_from_iter(values.iter()), segment_from_row)?;
    Ok((rows.collect::<rusqlite::Result<_>>()?, total))
}

/// A segment ready to be read: its rule (if it has one), the account's attribute names, and
/// the SQL condition over `contacts c` that selects its members, with its parameters.
pub(super) struct Ready<'a> {
    pub rule: Option<&'a Rule>,
    pub keys: Vec<AttrKey>,
    pub condition: Condition,
}

/// The segment ready to be read, or why it cannot be: its stored rule does not read, or no
/// longer fits the account's attributes (a custom attribute's kind was fixed by data after
/// the rule was saved). Never a default that widens who is in it.
pub(super) fn ready<'a>(
    conn: &Connection,
    account_id: i64,
    segment: &'a Segment,
    now: Timestamp,
) -> Result<std::result::Result<Ready<'a>, String>> {
    let membership = match &segment.membership {
        Ok(membership) => membership,
        Err(problem) => return Ok(Err(problem.clone())),
    };
    Ok(Ok(match membership {
        Membership::Static => Ready {
            rule: None,
            keys: Vec::new(),
            condition: Condition {
                sql: "c.id IN (SELECT contact_id FROM segment_members WHERE segment_id = ?)".into(),
                params: vec![Sql::Integer(segment.id)],
            },
        },
        Membership::Dynamic(None) => Ready {
            rule: None,
            keys: Vec::new(),
            condition: Condition::everyone(),
        },
        Membership::Dynamic(Some(rule)) => {
            let keys = attribute_keys(conn, account_id)?;
            match compile(rule, &keys, account_id, now) {
                Ok(compiled) => Ready {
                    rule: Some(rule),
                    keys,
                    condition: Condition {
                        sql: compiled.sql,
                        params: compiled.params,
                    },
                },
                Err(e) => {
                    return Ok(Err(format!(
                        "its rule no longer fits the account's attributes: {}",
                        e.message
                    )));
                }
            }
        }
    }))
}

/// Why the segment's members cannot be known now, if they cannot (see `ready`).
pub fn problem(
    conn: &Connection,
    account_id: i64,
    segment: &Segment,
    now: Timestamp,
) -> Result<Option<String>> {
    Ok(ready(conn, account_id, segment, now)?.err())
}

/// `409` for reading a segment that cannot be evaluated, naming why.
pub fn unevaluable(segment_id: i64, problem: &str) -> Error {
    Error::conflict(format!(
        "segment {segment_id} cannot be evaluated: {problem}; change or delete it"
    ))
}

pub(super) fn ready_or_409<'a>(
    conn: &Connection,
    account_id: i64,
    segment: &'a Segment,
    now: Timestamp,
) -> Result<Ready<'a>> {
    ready(conn, account_id, segment, now)?.map_err(|p| unevaluable(segment.id, &p))
}

/// The SQL condition over `contacts c` that selects a segment's members; `409` when the
/// segment cannot be evaluated.
pub fn members_condition(
    conn: &Connection,
    account_id: i64,
    segment: &Segment,
    now: Timestamp,
) -> Result<Condition> {
    Ok(ready_or_409(conn, account_id, segment, now)?.condition)
}

/// Members in id order, within `window`.
pub fn members(
    conn: &Connection,
    names: &AttributeNames,
    account_id: i64,
    segment: &Segment,
    now: Timestamp,
    window: Window,
) -> Result<Vec<Person>> {
    let condition = members_condition(conn, account_id, segment, now)?;
    people_where(conn, names, account_id, segment.kind, &condition, window)
}

/// How many members the segment has now, and those in `window`, read no further than the
/// last of a count SQLite took of the people themselves ([`Counted::bound`](super::count::Counted::bound)): a rule that
/// matches few or nobody then stops there instead of walking the rest of the account.
/// With `spare`, a long count may take a second reader from it.
pub fn members_and_count(
    conn: &Connection,
    spare: Option<&Pool>,
    names: &AttributeNames,
    account_id: i64,
    segment: &Segment,
    now: Timestamp,
    window: Window,
) -> Result<(Vec<Person>, i64)> {
    let counted = counted(conn, spare, account_id, segment, now)?;
    let people = match counted.bound(window) {
        Some(window) => members(conn, names, account_id, segment, now, window)?,
        None => Vec::new(),
    };
    Ok((people, counted.members))
}

/// The segment `def` would be, stored at `now` (id 0: never read back by id).
fn unstored(def: &Definition, now: Timestamp) -> Segment {
    Segment {
        id: 0,
        kind: def.kind,
        name: def.name.clone(),
        description: None,
        dynamic: def.is_dynamic(),
        membership: Ok(def.membership.clone()),
        criteria: def.criteria.clone(),
        rule: def.rule.clone(),
        location_id: None,
        extra: None,
        created_at: now,
        updated_at: now,
    }
}

/// Count and a window of the people a definition that is not stored selects: the preview
/// (`/v1/segments/preview`, its first few), and the filters of Wati's `getContacts`. With `spare`, a long count may take a second
/// reader from it.
pub fn matching(
    conn: &Connection,
    spare: Option<&Pool>,
    names: &AttributeNames,
    account_id: i64,
    def: &Definition,
    now: Timestamp,
    window: Window,
) -> Result<(i64, Vec<Person>)> {
    let segment = unstored(def, now);
    if !segment.dynamic {
        // A list of ids: its members are those ids that are the account's.
        let condition = Condition::ids(&def.contact_ids);
        let sql = format!(
            "SELECT count(*) FROM contacts c WHERE c.account_id = ? AND c.type = ? AND {}",
            condition.sql
        );
        let mut values = vec![Sql::Integer(account_id), Sql::Integer(def.kind.code())];
        values.extend(condition.params.iter().cloned());
        let total = conn.query_row(&sql, params_from_iter(values), |r| r.get(0))?;
        // Counted from the rows, so it bounds the page (see `members_and_count`).
        let people = match window.up_to(total) {
            Some(window) => people_where(conn, names, account_id, def.kind, &condition, window)?,
            None => Vec::new(),
        };
        return Ok((total, people));
    }
    let (people, total) = members_and_count(conn, spare, names, account_id, &segment, now, window)?;
    Ok((total, people))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::segments::model::SegmentBody;

    /// What `matching` lists is what a walk of the members lists in the same window, when
    /// the page is bounded by a count of the people (a rule over the rows, a list of ids)
    /// and when the count comes from a counter, planted wrong: a counter never shortens
    /// the page.
    #[test]
    fn a_page_of_matches_is_the_walk_of_the_members() {
        let conn = crate::contacts::totals::tests::people();
        conn.execute("UPDATE tags SET contact_count = 0 WHERE id = 1", [])
            .unwrap();
        let names = AttributeNames::default();
        let cond = |a: &str, o: &str, v: Value| json!({"attribute": a, "operator": o, "value": v});
        // Each with whether it has members, and whether its count is the planted counter.
        let bodies = [
            (
                json!({"groups": [{"conditions": [cond("contactStage", "!=", json!("Lead"))]}]}),
                true,
                false,
            ),
            (
                json!({"groups": [{"conditions": [cond("contactStage", "==", json!("Prospect"))]}]}),
                false,
                false,
            ),
            (
                json!({"groups": [{"conditions": [cond("tags", "has", json!(["VIP"]))]}]}),
                true,
                true,
            ),
            (
                json!({"contactIds": ["3", "5", "8", "9", "400", "401"]}),
                true,
                false,
            ),
        ];
        for (mut body, has_members, planted) in bodies {
            body["name"] = json!("s");
            let def =
                Definition::parse(serde_json::from_value::<SegmentBody>(body).unwrap()).unwrap();
            let segment = unstored(&def, 0);
            // The walk: a stored segment's members, or a list's ids that are the account's.
            let walk = |window| {
                if segment.dynamic {
                    members(&conn, &names, 1, &segment, 0, window).unwrap()
                } else {
                    let ids = Condition::ids(&def.contact_ids);
                    people_where(&conn, &names, 1, def.kind, &ids, window).unwrap()
                }
            };
            let all = walk(Window::first(500));
            let (total, _) = matching(&conn, None, &names, 1, &def, 0, Window::first(1)).unwrap();
            assert_eq!(!all.is_empty(), has_members, "{:?}", def.membership);
            assert_eq!(total == 0, planted || !has_members, "{:?}", def.membership);
            let n = all.len() as i64;
            let windows = [
                (0, 0, 7),
                (0, n - 3, 7),
                (0, n, 7),
                (0, n + 5, 7),
                (all.first().map_or(0, |p| p.id.parse().unwrap()), 0, 500),
            ];
            for (after, offset, limit) in windows {
                let window = Window {
                    after,
                    offset: offset.max(0),
                    limit,
                };
                let (_, listed) = matching(&conn, None, &names, 1, &def, 0, window).unwrap();
                let walked = walk(window);
                let ids =
                    |people: &[Person]| people.iter().map(|p| p.id.clone()).collect::<Vec<_>>();
                assert_eq!(
                    ids(&listed),
                    ids(&walked),
                    "{:?} {window:?}",
                    def.membership
                );
            }
        }
    }
}
