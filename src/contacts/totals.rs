//! How many people of a type an account has, in all, with a stage or with a tag, read from
//! the counts kept beside them (`account_usage`, `stage_gender_counts`, `tags`) instead of
//! counted entry by entry. A list's total is one of these for its commonest filters, so the
//! first page of a large account costs what a small one does, and does not read the
//! account's whole index after a restart (docs/design.md#counts-that-are-read-not-counted).
//!
//! Every count here is exact: the code that inserts people adds them to those counts in
//! the same transaction, and triggers follow changes and deletes. The tests hold each
//! against `count(*)`.

use super::model::PersonType;
use crate::error::Result;
use rusqlite::{Connection, OptionalExtension, params};

/// The other type's people are counted up to this many to learn this type's number from
/// the account's (which holds both); past it, [`everyone`] has no answer.
const OTHERS_COUNTED: i64 = 100_000;

/// Everyone of `kind` in the account: all its people less those of the other type, when
/// those are fewer than [`OTHERS_COUNTED`] (`None` otherwise: count them).
pub fn everyone(conn: &Connection, account_id: i64, kind: PersonType) -> Result<Option<i64>> {
    let (people, others): (i64, i64) = conn
        .prepare_cached(
            "SELECT coalesce((SELECT people FROM account_usage WHERE account_id = ?1), 0),
                    (SELECT count(*) FROM (SELECT 1 FROM contacts
                                           WHERE account_id = ?1 AND type = ?2 LIMIT ?3))",
        )?
        .query_row(
            params![account_id, other(kind).code(), OTHERS_COUNTED],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?;
    Ok((others < OTHERS_COUNTED).then_some(people - others))
}

/// Everyone of `kind` with the tag `name` (in any case); 0 for a tag the account lacks.
pub fn tagged(conn: &Connection, account_id: i64, kind: PersonType, name: &str) -> Result<i64> {
    let count = conn
        .prepare_cached(
            "SELECT CASE WHEN ?1 = 0 THEN contact_count ELSE client_count END
             FROM tags WHERE account_id = ?2 AND name = ?3",
        )?
        .query_row(params![kind.code(), account_id, name], |r| r.get(0))
        .optional()?;
    Ok(count.unwrap_or(0))
}

/// Everyone of `kind` whose stage is `stage` (in any case); `None` for an empty stage,
/// which the counts use for "no stage" and no person stores.
pub fn with_stage(
    conn: &Connection,
    account_id: i64,
    kind: PersonType,
    stage: &str,
) -> Result<Option<i64>> {
    if stage.is_empty() {
        return Ok(None);
    }
    Ok(Some(
        conn.prepare_cached(
            "SELECT coalesce(sum(n), 0) FROM stage_gender_counts
             WHERE account_id = ?1 AND type = ?2 AND contact_stage = ?3",
        )?
        .query_row(params![account_id, kind.code(), stage], |r| r.get(0))?,
    ))
}

fn other(kind: PersonType) -> PersonType {
    match kind {
        PersonType::Contact => PersonType::Client,
        PersonType::Client => PersonType::Contact,
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    fn count_rows(conn: &Connection, account: i64, kind: PersonType, condition: &str) -> i64 {
        conn.query_row(
            &format!(
                "SELECT count(*) FROM contacts c WHERE c.account_id = ?1 AND c.type = ?2 AND {condition}"
            ),
            params![account, kind.code()],
            |r| r.get(0),
        )
        .unwrap()
    }

    /// Two accounts of contacts and clients with stages (in several cases), genders and
    /// tags, inserted with their counts as the insert paths keep them, then changed and
    /// deleted through the triggers only (also segments::count's tests of the stage sums).
    pub(crate) fn people() -> Connection {
        let mut conn = Connection::open_in_memory().unwrap();
        crate::db::prepare_schema(&mut conn).unwrap();
        conn.execute_batch(
            "INSERT INTO accounts (id, email, password_hash, plan, created_at) VALUES
                 (1, 'a@x.co', 'x', 'unlimited', 0), (2, 'b@x.co', 'x', 'unlimited', 0);
             WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 400)
             INSERT INTO contacts (id, account_id, type, contact_stage, gender, created_at, updated_at)
                 SELECT i, 1 + (i % 7 = 0), i % 3 = 0,
                        CASE i % 5 WHEN 0 THEN NULL WHEN 1 THEN 'Lead' WHEN 2 THEN 'lead'
                                   WHEN 3 THEN 'Customer' ELSE 'Churned' END,
                        CASE i % 4 WHEN 0 THEN NULL WHEN 1 THEN 'Male' WHEN 2 THEN 'Female'
                                   ELSE 'Other' END, 0, 0 FROM n;
             -- What the code that inserts people adds (accounts::count_stored, counters).
             INSERT INTO account_usage (account_id, people)
                 SELECT account_id, count(*) FROM contacts GROUP BY account_id;
             INSERT INTO stage_gender_counts
                 SELECT account_id, type, coalesce(contact_stage, ''), coalesce(gender, ''), 1
                 FROM contacts WHERE contact_stage IS NOT NULL OR gender IS NOT NULL
                 ON CONFLICT DO UPDATE SET n = n + 1;
             INSERT INTO tags (id, account_id, name) VALUES
                 (1, 1, 'VIP'), (2, 2, 'vip'), (3, 1, 'new');
             INSERT INTO contact_tags (contact_id, tag_id, type)
                 SELECT id, CASE WHEN account_id = 1 THEN 1 ELSE 2 END, type
                 FROM contacts WHERE id % 4 = 1;
             INSERT INTO contact_tags (contact_id, tag_id, type)
                 SELECT id, 3, type FROM contacts WHERE account_id = 1 AND id % 6 = 0;
             UPDATE tags SET
                 contact_count = (SELECT count(*) FROM contact_tags WHERE tag_id = id AND type = 0),
                 client_count = (SELECT count(*) FROM contact_tags WHERE tag_id = id AND type = 1);
             UPDATE contacts SET contact_stage = 'LEAD' WHERE id % 11 = 1;
             UPDATE contacts SET contact_stage = NULL WHERE id % 13 = 2;
             UPDATE contacts SET contact_stage = 'Lead', gender = 'Female' WHERE id % 17 = 0;
             UPDATE contacts SET gender = NULL WHERE id % 19 = 3;
             DELETE FROM contact_tags WHERE contact_id % 23 = 5;
             DELETE FROM contacts WHERE id % 23 = 4;",
        )
        .unwrap();
        conn
    }

    #[test]
    fn every_total_equals_the_count_of_the_rows() {
        let conn = people();
        for account in [1, 2, 3] {
            for kind in [PersonType::Contact, PersonType::Client] {
                let all = count_rows(&conn, account, kind, "1");
                assert_eq!(everyone(&conn, account, kind).unwrap(), Some(all));
                for stage in ["Lead", "LEAD", "customer", "Churned", "Prospect"] {
                    let rows = count_rows(
                        &conn,
                        account,
                        kind,
                        &format!("c.contact_stage = '{stage}'"),
                    );
                    let total = with_stage(&conn, account, kind, stage).unwrap();
                    assert_eq!(total, Some(rows), "{account} {kind:?} {stage}");
                }
                for tag in ["vip", "NEW", "absent"] {
                    let rows = count_rows(
                        &conn,
                        account,
                        kind,
                        &format!(
                            "c.id IN (SELECT ct.contact_id FROM contact_tags ct JOIN tags t \
                             ON t.id = ct.tag_id WHERE t.account_id = {account} AND t.name = '{tag}')"
                        ),
                    );
                    assert_eq!(tagged(&conn, account, kind, tag).unwrap(), rows, "{tag}");
                }
            }
        }
        assert!(
            count_rows(&conn, 1, PersonType::Client, "1") > 0,
            "both types"
        );
    }

    #[test]
    fn an_empty_stage_or_many_of_the_other_type_have_no_answer() {
        let conn = people();
        assert_eq!(with_stage(&conn, 1, PersonType::Contact, "").unwrap(), None);
        conn.execute_batch(&format!(
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {OTHERS_COUNTED})
             INSERT INTO contacts (id, account_id, type, created_at, updated_at)
                 SELECT 1000 + i, 2, 1, 0, 0 FROM n;
             UPDATE account_usage SET people = people + {OTHERS_COUNTED} WHERE account_id = 2;"
        ))
        .unwrap();
        assert_eq!(everyone(&conn, 2, PersonType::Contact).unwrap(), None);
        let clients = count_rows(&conn, 2, PersonType::Client, "1");
        assert_eq!(
            everyone(&conn, 2, PersonType::Client).unwrap(),
            Some(clients)
        );
    }
}
