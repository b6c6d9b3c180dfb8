//! Lists of people (`GET /v1/contacts`, `/v1/clients`): a page by search text, tag, stage
//! and location, in creation order, and how many match in all.

use super::model::{Person, PersonType};
use super::names::AttributeNames;
use super::scan;
use super::store::{Condition, Window, escape_like, people_of, person_columns, with_names};
use super::totals;
use crate::db::Pool;
use crate::error::Result;
use crate::fields::Page;
use rusqlite::Connection;
use rusqlite::types::Value as Sql;

/// Filters of `GET /v1/contacts`.
#[derive(Debug, Default, Clone)]
pub struct ListFilter {
    pub search: Option<String>,
    pub tag: Option<String>,
    pub stage: Option<String>,
    pub location_id: Option<i64>,
}

/// A page of people in creation order, and how many match in all. With `spare`, a total
/// that reads every person's row is counted in two halves at once ([`scan::count_where`];
/// the upper half in a snapshot of its own), and the page is read up to a total counted
/// from the rows.
pub fn people(
    conn: &Connection,
    spare: Option<&Pool>,
    names: &AttributeNames,
    account_id: i64,
    kind: PersonType,
    filter: &ListFilter,
    page: Page,
) -> Result<(Vec<Person>, i64)> {
    let condition = list_condition(filter);
    // Whether `total` was counted from the rows, as the page reads them.
    let (total, counted) = match total_from_counts(conn, account_id, kind, filter)? {
        Some(total) => (total, false),
        None => {
            let Condition {
                mut sql,
                mut params,
            } = condition.clone();
            if let Some(tag) = &filter.tag {
                sql.push_str(
                    " AND c.id IN (SELECT ct.contact_id FROM contact_tags ct JOIN tags t \
                     ON t.id = ct.tag_id WHERE t.account_id = ? AND t.name = ?)",
                );
                params.extend([Sql::Integer(account_id), Sql::Text(tag.clone())]);
            }
            let total = scan::count_where(conn, spare, account_id, kind, &sql, &params)?;
            (total, true)
        }
    };
    let mut values = vec![Sql::Integer(account_id), Sql::Integer(kind.code())];
    values.extend(condition.params);
    let filtered = format!("c.account_id = ? AND c.type = ? AND {}", condition.sql);
    // A tag's people are read from its links in id order (contact_tags_by_tag): a page of
    // the tag alone costs its offset and limit, never the tag's size nor where its people
    // are; with other filters too, at most the tag's people are read.
    let from = match &filter.tag {
        Some(tag) => {
            let tag = Sql::Text(tag.clone());
            values.extend([Sql::Integer(kind.code()), Sql::Integer(account_id), tag]);
            format!(
                "contact_tags ct JOIN contacts c ON c.id = ct.contact_id \
                 WHERE {filtered} AND ct.type = ? \
                 AND ct.tag_id = (SELECT t.id FROM tags t WHERE t.account_id = ? AND t.name = ?) \
                 ORDER BY ct.contact_id"
            )
        }
        None => format!("contacts c WHERE {filtered} ORDER BY c.id"),
    };
    // Past the last of a total counted from the rows, a scan for more would read to the
    // end of the account's people for nobody (a search that matches few or none). A total
    // from the counts kept beside the people never shortens a page: it is not the rows.
    let window = Window {
        after: 0,
        offset: page.offset,
        limit: page.limit,
    };
    let window = if counted {
        window.up_to(total)
    } else {
        Some(window)
    };
    let Some(Window { offset, limit, .. }) = window else {
        return Ok((Vec::new(), total));
    };
    let people = with_names(conn, names, account_id, |names| {
        let sql = format!(
            "SELECT {} FROM {from} LIMIT {limit} OFFSET {offset}",
            person_columns(names),
        );
        people_of(conn, &sql, &values, names)
    })?;
    Ok((people, total))
}

/// The condition of a list's filter over `contacts c` but its tag (`1` for none), its
/// values bound in order: a tag is read from its links or tested against them, as
/// [`people`] needs.
fn list_condition(filter: &ListFilter) -> Condition {
    let mut clauses = Vec::new();
    let mut params = Vec::new();
    if let Some(search) = &filter.search {
        let columns = ["c.name", "c.phone", "c.email", "c.external_id"];
        let pattern = Sql::Text(format!("%{}%", escape_like(search)));
        let tests: Vec<String> = columns
            .iter()
            .map(|column| format!("{column} LIKE ? ESCAPE '\\'"))
            .collect();
        clauses.push(format!("({})", tests.join(" OR ")));
        params.extend(columns.map(|_| pattern.clone()));
    }
    if let Some(stage) = &filter.stage {
        clauses.push("c.contact_stage = ?".to_string());
        params.push(Sql::Text(stage.clone()));
    }
    if let Some(location_id) = filter.location_id {
        clauses.push("c.location_id = ?".to_string());
        params.push(Sql::Integer(location_id));
    }
    Condition {
        sql: if clauses.is_empty() {
            "1".to_string()
        } else {
            clauses.join(" AND ")
        },
        params,
    }
}

/// A list's total read from the counts kept beside the people, for a filter of nothing,
/// one stage or one tag alone ([`totals`]); `None`: count the rows.
fn total_from_counts(
    conn: &Connection,
    account_id: i64,
    kind: PersonType,
    filter: &ListFilter,
) -> Result<Option<i64>> {
    match filter {
        ListFilter {
            search: None,
            tag: None,
            stage: None,
            location_id: None,
        } => totals::everyone(conn, account_id, kind),
        ListFilter {
            search: None,
            tag: Some(tag),
            stage: None,
            location_id: None,
        } => totals::tagged(conn, account_id, kind, tag).map(Some),
        ListFilter {
            search: None,
            tag: None,
            stage: Some(stage),
            location_id: None,
        } => totals::with_stage(conn, account_id, kind, stage),
        _ => Ok(None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rusqlite::params;

    /// A list's total equals the people its filter holds, counted row by row, whether a
    /// second reader counts half (the ids span more than `scan::SPLIT_IDS`) or not, for
    /// every filter that counts rows; its pages hold exactly those people, the last the
    /// rest of them.
    #[test]
    fn list_totals_counted_in_halves_equal_the_rows() {
        let (_dir, pool, conn) = people_far_apart();
        let names = AttributeNames::default();
        let filter =
            |search: Option<&str>, stage: Option<&str>, tag: bool, location: bool| ListFilter {
                search: search.map(String::from),
                tag: tag.then(|| "vip".to_string()),
                stage: stage.map(String::from),
                location_id: location.then_some(1),
            };
        let filters = [
            (
                filter(Some("khan"), None, false, false),
                "(c.name LIKE '%khan%' OR c.external_id LIKE '%khan%')",
            ),
            (
                filter(Some("+91991000"), None, false, false),
                "c.phone LIKE '+91991000%'",
            ),
            (filter(Some("P1"), None, false, false), "c.email LIKE 'p1%'"),
            (filter(Some("%"), None, false, false), "0"),
            (
                filter(Some("omar"), Some("lead"), false, false),
                "c.name = 'Omar Roy' AND c.contact_stage = 'Lead'",
            ),
            (
                filter(Some("khan"), None, true, false),
                "c.name = 'Asha Khan' AND c.id % 3 = 1 OR c.external_id LIKE '%khan%' AND c.id % 3 = 1",
            ),
            (
                filter(None, Some("Lead"), true, false),
                "c.contact_stage = 'Lead' AND c.id % 3 = 1",
            ),
            (
                filter(Some("roy"), None, false, true),
                "c.name = 'Omar Roy' AND c.location_id = 1",
            ),
            (
                filter(None, Some("customer"), false, true),
                "c.contact_stage = 'Customer' AND c.location_id = 1",
            ),
        ];
        let reader = pool.get().unwrap();
        for (filter, meets) in &filters {
            for (account, kind) in [
                (1, PersonType::Contact),
                (1, PersonType::Client),
                (2, PersonType::Contact),
            ] {
                let rows: i64 = conn
                    .query_row(
                        &format!(
                            "SELECT count(*) FROM contacts c
                             WHERE c.account_id = ? AND c.type = ? AND ({meets})"
                        ),
                        params![account, kind.code()],
                        |r| r.get(0),
                    )
                    .unwrap();
                let page = Page::new(Some(500), None).unwrap();
                for spare in [Some(&pool), None] {
                    let (listed, total) =
                        people(&reader, spare, &names, account, kind, filter, page).unwrap();
                    let why = format!("{filter:?} {account} {kind:?} {}", spare.is_some());
                    assert_eq!(total, rows, "{why}");
                    assert_eq!(listed.len() as i64, rows, "{why}");
                    // The last page holds the rest, the one after it nobody.
                    let last = u32::try_from(rows / 7 + 1).unwrap();
                    for (number, held) in [(last, rows % 7), (last + 1, 0)] {
                        let page = Page::new(Some(7), Some(number)).unwrap();
                        let (listed, _) =
                            people(&reader, spare, &names, account, kind, filter, page).unwrap();
                        assert_eq!(listed.len() as i64, held, "{why} page {number}");
                    }
                }
            }
        }
    }

    /// Two accounts' contacts and clients, 400 ids apart (so that their ids span more
    /// than `scan::SPLIT_IDS`), with names, phones, emails, external ids, stages, a tag
    /// and a location, and the counts kept beside them.
    fn people_far_apart() -> (tempfile::TempDir, Pool, Connection) {
        let (dir, pool, conn) = crate::db::temporary();
        conn.execute_batch(
            "INSERT INTO accounts (id, email, password_hash, plan, created_at) VALUES
                 (1, 'a@x.co', 'x', 'unlimited', 0), (2, 'b@x.co', 'x', 'unlimited', 0);
             INSERT INTO locations (id, account_id, title, created_at, updated_at)
                 VALUES (1, 1, 'Pune', 0, 0);
             WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 700)
             INSERT INTO contacts (id, account_id, type, name, phone, email, external_id,
                                   contact_stage, location_id, created_at, updated_at)
                 SELECT i * 400, 1 + (i % 9 = 0), i % 5 = 0,
                        CASE i % 3 WHEN 0 THEN 'Asha Khan' WHEN 1 THEN 'Omar Roy' END,
                        '+9199' || (100000 + i), 'p' || i || '@x.co',
                        CASE WHEN i % 7 = 0 THEN 'crm-khan-' || i END,
                        CASE i % 4 WHEN 0 THEN 'Lead' WHEN 1 THEN 'Customer' END,
                        CASE WHEN i % 6 = 0 AND i % 9 <> 0 THEN 1 END, i, 0 FROM n;
             INSERT INTO account_usage (account_id, people)
                 SELECT account_id, count(*) FROM contacts GROUP BY account_id;
             INSERT INTO stage_gender_counts
                 SELECT account_id, type, contact_stage, '', count(*) FROM contacts
                 WHERE contact_stage IS NOT NULL GROUP BY 1, 2, 3;
             INSERT INTO tags (id, account_id, name) VALUES (1, 1, 'vip'), (2, 2, 'vip');
             INSERT INTO contact_tags (contact_id, tag_id, type)
                 SELECT id, account_id, type FROM contacts WHERE id % 3 = 1;",
        )
        .unwrap();
        (dir, pool, conn)
    }

    /// A total read from the counts kept beside the people never shortens a page: with the
    /// account's count of people planted too low, the page still lists everyone.
    #[test]
    fn a_total_from_the_counts_never_shortens_a_page() {
        let (_dir, pool, conn) = people_far_apart();
        conn.execute(
            "UPDATE account_usage SET people = 3 WHERE account_id = 1",
            [],
        )
        .unwrap();
        let rows: i64 = conn
            .query_row(
                "SELECT count(*) FROM contacts WHERE account_id = 1 AND type = 0",
                [],
                |r| r.get(0),
            )
            .unwrap();
        let page = Page::new(Some(500), None).unwrap();
        let (names, kind, everyone) = (
            AttributeNames::default(),
            PersonType::Contact,
            ListFilter::default(),
        );
        let reader = pool.get().unwrap();
        let (listed, total) =
            people(&reader, Some(&pool), &names, 1, kind, &everyone, page).unwrap();
        assert!(total < rows, "{total} {rows}");
        assert_eq!(listed.len() as i64, rows);
    }
}
