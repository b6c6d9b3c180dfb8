//! How many people a segment has now: the planner that picks the cheapest way to count a
//! rule (a tag's own count, the people per stage and gender or per birth date, two halves
//! of the narrow index at once, alone or with each person's row, or SQLite's own plan),
//! each checked against a row-by-row count in the tests.

use super::compile::{
    Compiled, compile_for_count, compile_for_scan, only_birth_dates, only_narrow_columns,
    only_stage_and_gender, only_tags,
};
use super::store::{Ready, Segment, ready, ready_or_409};
use crate::clock::Timestamp;
use crate::contacts::model::PersonType;
use crate::contacts::scan::{Reads, SPLIT_IDS, count_in_halves, count_where};
use crate::contacts::store::{Condition, Window};
use crate::contacts::totals;
use crate::db::Pool;
use crate::error::Result;
use rusqlite::types::Value as Sql;
use rusqlite::{Connection, params_from_iter};

/// How many people are in the segment now. With `spare`, a long scan may take a second
/// reader from it.
pub fn count(
    conn: &Connection,
    spare: Option<&Pool>,
    account_id: i64,
    segment: &Segment,
    now: Timestamp,
) -> Result<i64> {
    Ok(counted(conn, spare, account_id, segment, now)?.members)
}

/// A segment's count, and where it came from.
pub struct Counted {
    pub members: i64,
    /// Whether SQLite counted the people themselves (their rows or the indexes of them),
    /// not the counts kept beside them: only such a count may bound a page of members,
    /// which never trusts a counter to leave someone out.
    pub from_people: bool,
}

impl Counted {
    fn of_people(members: i64) -> Counted {
        Counted {
            members,
            from_people: true,
        }
    }

    fn of_counters(members: i64) -> Counted {
        Counted {
            members,
            from_people: false,
        }
    }

    /// The part of `window` worth reading for members: up to the last of them when the
    /// count is of the people themselves, else all of it; `None` when nothing is.
    pub fn bound(&self, window: Window) -> Option<Window> {
        if self.from_people {
            window.up_to(self.members)
        } else {
            Some(window)
        }
    }
}

/// [`count`], and where it came from.
pub fn counted(
    conn: &Connection,
    spare: Option<&Pool>,
    account_id: i64,
    segment: &Segment,
    now: Timestamp,
) -> Result<Counted> {
    let ready = ready_or_409(conn, account_id, segment, now)?;
    count_ready(conn, spare, account_id, segment.kind, ready, now)
}

/// [`counted`] of a segment already made ready (read once, so that what a read finds
/// about the rule and what it counts come from the same look at the account's attributes).
fn count_ready(
    conn: &Connection,
    spare: Option<&Pool>,
    account_id: i64,
    kind: PersonType,
    ready: Ready,
    now: Timestamp,
) -> Result<Counted> {
    match (
        quick(conn, account_id, kind, &ready, now, spare.is_some())?,
        spare,
    ) {
        (Some(Quick::Counted(members)), _) => Ok(Counted::of_counters(members)),
        (Some(Quick::Narrow(scan)), Some(pool)) => {
            let (sql, params, split, reads) = (&scan.sql, &scan.params, SPLIT_IDS, Reads::Index);
            let members = count_in_halves(conn, pool, account_id, kind, sql, params, split, reads)?;
            Ok(Counted::of_people(members))
        }
        _ => count_otherwise(conn, spare, account_id, kind, ready, now),
    }
}

/// A count that needs no person's row: read from counters, or a scan of the narrow index
/// still to run ([`page::member_counts`](super::page::member_counts) runs several at once).
pub(super) enum Quick {
    Counted(i64),
    Narrow(Compiled),
}

/// The quick way to count `ready`, if it has one: a tag's count, the sums per stage and
/// gender, or (when a second reader may take half, `narrow`) the narrow index.
pub(super) fn quick(
    conn: &Connection,
    account_id: i64,
    kind: PersonType,
    ready: &Ready,
    now: Timestamp,
    narrow: bool,
) -> Result<Option<Quick>> {
    let Some(rule) = ready.rule else {
        return Ok(None);
    };
    if let Some(names) = only_tags(rule) {
        return Ok(Some(Quick::Counted(count_tagged(
            conn, account_id, kind, &names,
        )?)));
    }
    let Condition { sql, params } = &ready.condition;
    if only_stage_and_gender(rule)
        && let Some(count) = count_by_stage(conn, account_id, kind, sql, params)?
    {
        return Ok(Some(Quick::Counted(count)));
    }
    if narrow && !only_birth_dates(rule) && only_narrow_columns(rule, &ready.keys) {
        let scan = compile_for_scan(rule, &ready.keys, account_id, now)?;
        return Ok(Some(Quick::Narrow(scan)));
    }
    Ok(None)
}

/// The count of a segment [`quick`] has no way for: from birth-date sums, the rows in two
/// halves, or SQLite's own plan.
pub(super) fn count_otherwise(
    conn: &Connection,
    spare: Option<&Pool>,
    account_id: i64,
    kind: PersonType,
    ready: Ready,
    now: Timestamp,
) -> Result<Counted> {
    let Ready {
        rule,
        keys,
        condition: Condition {
            sql: condition,
            params,
        },
    } = ready;
    let birth_dates = rule.is_some_and(only_birth_dates);
    // The rule again, as a count may read it (the stored condition also serves walks of
    // the members in id order): a phone prefix's ids gathered first.
    let (condition, params) = match rule {
        Some(rule) if !birth_dates => {
            let compiled = compile_for_count(rule, &keys, account_id, now)?;
            (compiled.sql, compiled.params)
        }
        _ => (condition, params),
    };
    if !birth_dates {
        let members = count_where(conn, spare, account_id, kind, &condition, &params)?;
        return Ok(Counted::of_people(members));
    }
    let sql = format!(
        "SELECT coalesce(sum(c.n), 0) FROM birth_date_counts c
         WHERE c.account_id = ? AND c.type = ? AND {condition}"
    );
    let mut values = vec![Sql::Integer(account_id), Sql::Integer(kind.code())];
    values.extend_from_slice(&params);
    let members = conn
        .prepare_cached(&sql)?
        .query_row(params_from_iter(values), |r| r.get(0))?;
    Ok(Counted::of_counters(members))
}

/// How many people are in the segment now, or why that cannot be known (for views, which
/// show the problem instead of failing).
pub fn member_count(
    conn: &Connection,
    spare: Option<&Pool>,
    account_id: i64,
    segment: &Segment,
    now: Timestamp,
) -> Result<std::result::Result<i64, String>> {
    match ready(conn, account_id, segment, now)? {
        Err(problem) => Ok(Err(problem)),
        Ok(ready) => Ok(Ok(count_ready(
            conn,
            spare,
            account_id,
            segment.kind,
            ready,
            now,
        )?
        .members)),
    }
}

/// Everyone of `kind` meeting `condition` (over stage and gender alone), summed from the
/// people per stage and gender; `None` when the condition holds for someone with neither
/// set, whom that table leaves out.
fn count_by_stage(
    conn: &Connection,
    account_id: i64,
    kind: PersonType,
    condition: &str,
    params: &[Sql],
) -> Result<Option<i64>> {
    let nobody: bool = conn
        .prepare_cached(&format!(
            "SELECT coalesce({condition}, 0) FROM (SELECT NULL AS contact_stage, NULL AS gender) c"
        ))?
        .query_row(params_from_iter(params), |r| r.get(0))?;
    if nobody {
        return Ok(None);
    }
    let mut values = vec![Sql::Integer(account_id), Sql::Integer(kind.code())];
    values.extend_from_slice(params);
    let sql = format!(
        "SELECT coalesce(sum(c.n), 0) FROM (
             SELECT account_id, type, nullif(contact_stage, '') AS contact_stage,
                    nullif(gender, '') AS gender, n
             FROM stage_gender_counts WHERE account_id = ?1 AND type = ?2) c
         WHERE {condition}"
    );
    Ok(Some(
        conn.prepare_cached(&sql)?
            .query_row(params_from_iter(values), |r| r.get(0))?,
    ))
}

/// Everyone of `kind` with any of the tags: the common segment "everyone tagged X" reads
/// the tag's count, several tags count their people in the tag index alone.
fn count_tagged(
    conn: &Connection,
    account_id: i64,
    kind: PersonType,
    names: &[String],
) -> Result<i64> {
    if let [name] = names {
        return totals::tagged(conn, account_id, kind, name);
    }
    let marks = vec!["?"; names.len()].join(", ");
    // Several tags may hold one person more than once.
    let sql = format!(
        "SELECT count(DISTINCT contact_id) FROM contact_tags WHERE type = ? AND tag_id IN
             (SELECT id FROM tags WHERE account_id = ? AND name IN ({marks}))"
    );
    let mut values = vec![Sql::Integer(kind.code()), Sql::Integer(account_id)];
    values.extend(names.iter().map(|n| Sql::Text(n.clone())));
    Ok(conn
        .prepare_cached(&sql)?
        .query_row(params_from_iter(values), |r| r.get(0))?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::contacts::model::{AttrKey, AttrKind};
    use crate::contacts::scan::{
        Tally, fill_their_span, reads_every_person, span_count_sql, tally_in_halves,
    };
    use crate::segments::compile::compile;
    use crate::segments::rules::{BUILTINS, Rule};
    use rusqlite::params;
    use serde_json::json;

    /// The reference answer: people of the account and type meeting `condition`, counted
    /// row by row.
    fn rows_meeting(
        conn: &Connection,
        account: i64,
        kind: PersonType,
        condition: &str,
        params: &[Sql],
    ) -> i64 {
        let mut values = vec![Sql::Integer(account), Sql::Integer(kind.code())];
        values.extend_from_slice(params);
        conn.query_row(
            &format!(
                "SELECT count(*) FROM contacts c WHERE c.account_id = ? AND c.type = ? AND {condition}"
            ),
            params_from_iter(values),
            |r| r.get(0),
        )
        .unwrap()
    }

    /// Sums from the people per stage and gender equal the count of the rows, after inserts,
    /// changes (case only, to and from none) and deletes; rules that match people with
    /// neither set are left to the rows.
    #[test]
    fn stage_and_gender_sums_equal_the_count_of_the_rows() {
        let conn = crate::contacts::totals::tests::people();
        let cond = |a: &str, o: &str, v: serde_json::Value| json!({"attribute": a, "operator": o, "value": v});
        let rules = [
            (
                json!([{"conditions": [cond("contactStage", "==", json!("lead"))]}]),
                true,
            ),
            (
                json!([{"conditions": [cond("gender", "==", json!("Female")),
                                       cond("contactStage", "==", json!("Lead"))]}]),
                true,
            ),
            (
                json!([{"logic": "or", "conditions": [cond("gender", "==", json!("Other")),
                                                      cond("contactStage", "starts_with", json!("ch"))]}]),
                true,
            ),
            (
                json!([{"conditions": [cond("contactStage", "exists", json!(null))]}]),
                true,
            ),
            (
                json!([{"conditions": [cond("contactStage", "!=", json!("Lead"))]}]),
                false,
            ),
            (
                json!([{"conditions": [cond("gender", "not_exists", json!(null))]}]),
                false,
            ),
        ];
        for (groups, summed) in rules {
            let rule = Rule::parse(&groups, None, "").unwrap();
            assert!(only_stage_and_gender(&rule));
            let compiled = compile(&rule, &[], 1, 0).unwrap();
            for (account, kind) in [
                (1, PersonType::Contact),
                (1, PersonType::Client),
                (2, PersonType::Contact),
            ] {
                let rows = rows_meeting(&conn, account, kind, &compiled.sql, &compiled.params);
                let sum =
                    count_by_stage(&conn, account, kind, &compiled.sql, &compiled.params).unwrap();
                assert_eq!(sum, summed.then_some(rows), "{groups} {account} {kind:?}");
            }
        }
    }

    /// Halves of any size add up to the one-scan count, whatever the rule, account or type,
    /// along the index or the rows.
    #[test]
    fn a_count_in_halves_equals_the_count_in_one_scan() {
        let (_dir, pool, conn) = crate::db::temporary();
        conn.execute_batch(
            "INSERT INTO accounts (id, email, password_hash, plan, created_at) VALUES
                 (1, 'a@x.co', 'x', 'unlimited', 0), (2, 'b@x.co', 'x', 'unlimited', 0),
                 (3, 'c@x.co', 'x', 'unlimited', 0), (4, 'd@x.co', 'x', 'unlimited', 0);
             WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 997)
             INSERT INTO contacts (id, account_id, type, email, phone, a1, a2, contact_stage,
                                   gender, birth_date, last_activity_at, opted_out,
                                   created_at, updated_at)
                 SELECT i, 1 + (i % 7 = 0), i % 3 = 0,
                        'p' || i || CASE WHEN i % 4 = 1 THEN '@gmail.com' ELSE '@x.co' END,
                        CASE i % 5 WHEN 0 THEN '+9199' || i WHEN 1 THEN '+4420' || i END,
                        i % 50, i % 2,
                        CASE i % 4 WHEN 0 THEN NULL WHEN 1 THEN 'Lead' ELSE 'Customer' END,
                        CASE i % 5 WHEN 0 THEN 'Other' WHEN 1 THEN 'Male' END,
                        CASE WHEN i % 6 > 0 THEN printf('19%02d-01-01', i % 90) END,
                        CASE WHEN i % 8 = 3 THEN 1000 + i END, i % 9 = 0, i, 0 FROM n;
             -- Account 3's contacts fill their span but for a tenth of account 1's.
             WITH RECURSIVE n(i) AS (SELECT 1001 UNION ALL SELECT i + 1 FROM n WHERE i < 1600)
             INSERT INTO contacts (id, account_id, type, email, a1, gender, created_at, updated_at)
                 SELECT i, CASE WHEN i % 10 = 0 THEN 1 ELSE 3 END, 0,
                        'p' || i || CASE WHEN i % 4 = 1 THEN '@gmail.com' ELSE '@x.co' END,
                        i % 50, CASE WHEN i % 20 <> 1 THEN 'Male' END, 0, 0 FROM n;
             -- Account 4's contacts fill theirs too, with neither stage nor gender.
             WITH RECURSIVE n(i) AS (SELECT 2001 UNION ALL SELECT i + 1 FROM n WHERE i < 2300)
             INSERT INTO contacts (id, account_id, type, email, a1, created_at, updated_at)
                 SELECT i, CASE WHEN i % 10 = 0 THEN 2 ELSE 4 END, 0,
                        'p' || i || CASE WHEN i % 4 = 1 THEN '@gmail.com' ELSE '@x.co' END,
                        i % 50, 0, 0 FROM n;
             -- What the code that inserts people adds (contacts::counters, account_usage).
             INSERT INTO stage_gender_counts
                 SELECT account_id, type, coalesce(contact_stage, ''), coalesce(gender, ''), 1
                 FROM contacts WHERE contact_stage IS NOT NULL OR gender IS NOT NULL
                 ON CONFLICT DO UPDATE SET n = n + 1;
             INSERT INTO account_usage (account_id, people)
                 SELECT account_id, count(*) FROM contacts GROUP BY account_id;
             INSERT INTO tags (id, account_id, name, bit)
                 VALUES (1, 1, 'vip', 0), (2, 2, 'vip', 0), (3, 1, 'new', NULL);
             INSERT INTO contact_tags (contact_id, tag_id, type)
                 SELECT id, CASE WHEN account_id = 2 THEN 2 WHEN id % 2 = 0 THEN 1 ELSE 3 END, type
                 FROM contacts WHERE id % 3 = 1 AND id < 1000;
             UPDATE contacts SET tag_bits = 1
                 WHERE id IN (SELECT contact_id FROM contact_tags WHERE tag_id IN (1, 2));",
        )
        .unwrap();
        let reader = pool.get().unwrap();
        // Tags in any logic with the index columns: vip by its bit, new (no bit) by a probe
        // of its links.
        for account in [1, 2] {
            let groups = json!([{"logic": "or", "conditions": [
                {"attribute": "tags", "operator": "has", "value": ["vip"]},
                {"logic": "and", "conditions": [
                    {"attribute": "tags", "operator": "has_none", "value": ["new"]},
                    {"attribute": "contactStage", "operator": "==", "value": "Lead"}]}]}]);
            let rule = Rule::parse(&groups, None, "").unwrap();
            let c = compile_for_scan(&rule, &[], account, 0).unwrap();
            let kind = PersonType::Contact;
            let one = rows_meeting(&conn, account, kind, &c.sql, &c.params);
            assert!(one > 0);
            let links = crate::segments::compile::compile(&rule, &[], account, 0).unwrap();
            let by_links = rows_meeting(&conn, account, kind, &links.sql, &links.params);
            assert_eq!(one, by_links, "bits and links agree ({account})");
            for split in [1, 10, 1_000] {
                let (sql, params, reads) = (&c.sql, &c.params, Reads::Index);
                let halves =
                    count_in_halves(&reader, &pool, account, kind, sql, params, split, reads);
                assert_eq!(halves.unwrap(), one, "{account} {split}");
            }
            // Several counts in one scan (segments::page), each summed over the halves.
            let everyone = rows_meeting(&conn, account, kind, "1", &[]);
            let counts = [
                format!("count(*) FILTER (WHERE {})", c.sql),
                "count(*)".into(),
            ];
            let tally = Tally {
                counts: &counts,
                counts_params: &c.params,
                condition: "1",
                params: &[],
            };
            for split in [1, 1_000] {
                let reads = Reads::Index;
                let sums = tally_in_halves(&reader, &pool, account, kind, &tally, split, reads);
                assert_eq!(sums.unwrap(), [one, everyone], "{account} {split}");
            }
        }
        // A phone prefix, in an AND (its ids gathered first) and in an OR.
        for (account, logic) in [(1, "and"), (1, "or"), (2, "and"), (2, "or")] {
            let groups = json!([{"logic": logic, "conditions": [
                {"attribute": "phoneNumber", "operator": "starts_with", "value": "+9199"},
                {"attribute": "contactStage", "operator": "==", "value": "customer"}]}]);
            let rule = Rule::parse(&groups, None, "").unwrap();
            let c = compile_for_count(&rule, &[], account, 0).unwrap();
            assert_eq!(c.sql.contains("c.id IN"), logic == "and", "{}", c.sql);
            let walk = compile(&rule, &[], account, 0).unwrap();
            for kind in [PersonType::Contact, PersonType::Client] {
                let one = rows_meeting(&conn, account, kind, &c.sql, &c.params);
                assert!(one > 0, "{account} {logic} {kind:?}");
                let walked = rows_meeting(&conn, account, kind, &walk.sql, &walk.params);
                assert_eq!(one, walked, "{account} {logic} {kind:?}");
                for (split, reads) in [1, 10, 1_000]
                    .into_iter()
                    .flat_map(|split| [(split, Reads::Index), (split, Reads::Rows)])
                {
                    let (sql, params) = (&c.sql, &c.params);
                    let halves =
                        count_in_halves(&reader, &pool, account, kind, sql, params, split, reads);
                    assert_eq!(halves.unwrap(), one, "{account} {logic} {kind:?} {split}");
                }
            }
        }
        for (condition, params) in [
            ("c.a1 >= ?", vec![Sql::Integer(20)]),
            (
                "(c.a1 < ? OR c.a2 = ?)",
                vec![Sql::Integer(5), Sql::Integer(1)],
            ),
            ("c.a1 = ?", vec![Sql::Integer(99)]),
            // The last activity, creation time and opt-out, which the index carries too.
            (
                "((c.last_activity_at IS NOT NULL AND c.opted_out = 0) OR c.created_at < ?)",
                vec![Sql::Integer(40)],
            ),
            // A column the narrow index lacks: each person's row is read.
            (
                "(c.email LIKE ? OR c.a1 = ?)",
                vec![Sql::Text("%@gmail.com".into()), Sql::Integer(3)],
            ),
            // The built-in columns the narrow index carries, in an OR.
            (
                "(c.a1 = ? OR (c.gender = ? AND c.contact_stage = ?) OR c.birth_date < ?)",
                vec![
                    Sql::Integer(7),
                    Sql::Text("Other".into()),
                    Sql::Text("lead".into()),
                    Sql::Text("1920-01-01".into()),
                ],
            ),
        ] {
            for (account, kind) in [
                (1, PersonType::Contact),
                (1, PersonType::Client),
                (2, PersonType::Contact),
                (3, PersonType::Contact),
                (4, PersonType::Contact),
            ] {
                let one = rows_meeting(&conn, account, kind, condition, &params);
                for (split, reads) in [1, 10, 1_000]
                    .into_iter()
                    .flat_map(|split| [(split, Reads::Index), (split, Reads::Rows)])
                {
                    let halves = count_in_halves(
                        &reader, &pool, account, kind, condition, &params, split, reads,
                    );
                    assert_eq!(
                        halves.unwrap(),
                        one,
                        "{condition} {account} {kind:?} {split} {reads:?}"
                    );
                }
            }
        }
        let (kind, reads) = (PersonType::Contact, Reads::Rows);
        let none = count_in_halves(&reader, &pool, 5, kind, "1", &[], 1, reads);
        assert_eq!(none.unwrap(), 0);
        // Only accounts 3 and 4 are read along the rows (3 counted by stage and gender, 4,
        // with neither and no clients, by its usage); everyone else along the index.
        for (account, kind, full) in [
            (1, PersonType::Contact, false),
            (1, PersonType::Client, false),
            (2, PersonType::Contact, false),
            (3, PersonType::Contact, true),
            (4, PersonType::Contact, true),
        ] {
            let span: (i64, i64) = conn
                .query_row(
                    "SELECT min(id), max(id) FROM contacts WHERE account_id = ? AND type = ?",
                    params![account, kind.code()],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )
                .unwrap();
            let fills = fill_their_span(&reader, account, kind, span.0, span.1).unwrap();
            assert_eq!(fills, full, "{account} {kind:?}");
        }
    }

    /// The rules the planner counts along the narrow index alone are those whose every
    /// column the index carries: SQLite's plan for each built-in field and custom
    /// attribute slot reads no row exactly when `only_narrow_columns` says so.
    #[test]
    fn the_narrow_index_carries_every_column_its_rules_read() {
        let mut conn = Connection::open_in_memory().unwrap();
        crate::db::prepare_schema(&mut conn).unwrap();
        let keys: Vec<_> = (1..=9)
            .map(|slot| AttrKey {
                slot,
                name: format!("s{slot}"),
                kind: AttrKind::Number,
            })
            .collect();
        let slots = ["s1", "s8", "s9"];
        let names = BUILTINS.iter().map(|(name, _)| *name).chain(slots);
        for name in names {
            let condition = match name {
                "tags" => json!({"attribute": name, "operator": "has", "value": ["vip"]}),
                _ => json!({"attribute": name, "operator": "exists", "value": null}),
            };
            let rule = Rule::parse(&json!([{"conditions": [condition]}]), None, "").unwrap();
            let scan = compile_for_scan(&rule, &keys, 1, 0).unwrap();
            let sql = span_count_sql("INDEXED BY contacts_by_attributes", "count(*)", &scan.sql);
            let plan = crate::db::query_plan(&conn, &sql);
            let covering = plan
                .iter()
                .any(|s| s.starts_with("SEARCH c USING COVERING INDEX contacts_by_attributes"));
            assert_eq!(
                covering,
                only_narrow_columns(&rule, &keys),
                "{name}: {plan:?}"
            );
        }
    }

    /// Only a count that would read every person's row is split: a phone prefix (a range of
    /// the phone index) and a tag (its people) keep SQLite's own plan.
    #[test]
    fn only_a_count_of_every_persons_row_takes_halves() {
        let mut conn = Connection::open_in_memory().unwrap();
        crate::db::prepare_schema(&mut conn).unwrap();
        let splits = |groups: serde_json::Value| {
            let rule = Rule::parse(&groups, None, "").unwrap();
            let c = compile(&rule, &[], 1, 0).unwrap();
            let sql = format!(
                "SELECT count(*) FROM contacts c WHERE c.account_id = ? AND c.type = ? AND {}",
                c.sql
            );
            let mut values = vec![Sql::Integer(1), Sql::Integer(0)];
            values.extend(c.params);
            reads_every_person(&conn, &sql, &values).unwrap()
        };
        let cond = |a: &str, o: &str, v: serde_json::Value| json!({"attribute": a, "operator": o, "value": v});
        let all = |conditions: Vec<serde_json::Value>| json!([{"conditions": conditions}]);
        assert!(splits(all(vec![cond(
            "email",
            "ends_with",
            json!("@gmail.com")
        )])));
        assert!(splits(json!([{"logic": "or", "conditions": [
            cond("name", "starts_with", json!("As")),
            cond("contactStage", "==", json!("Lead"))]}])));
        // Under an OR, a phone prefix is tested on each row read.
        assert!(splits(json!([{"logic": "or", "conditions": [
            cond("phoneNumber", "starts_with", json!("+9199")),
            cond("contactStage", "==", json!("Lead"))]}])));
        assert!(!splits(all(vec![
            cond("phoneNumber", "starts_with", json!("+9199")),
            cond("email", "ends_with", json!("@gmail.com"))
        ])));
        assert!(!splits(all(vec![
            cond("tags", "has", json!(["vip"])),
            cond("email", "ends_with", json!("@gmail.com"))
        ])));
    }
}
