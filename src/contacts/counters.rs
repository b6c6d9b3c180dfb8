//! The counts kept beside people as they are inserted: people per birth date
//! (`birth_date_counts`) and per stage and gender (`stage_gender_counts`), which segment
//! rules over those fields alone are summed from.
//!
//! The code that inserts people adds them here and writes the sums once per distinct key,
//! at the end of its batch: a trigger per inserted row cost an import more than its own
//! indexes (docs/design.md#counters). Updates and deletes stay with the triggers in
//! schema.sql, which fire only for the rows they change.

use super::model::{Gender, PersonChanges, PersonType};
use crate::error::Result;
use rusqlite::{Connection, params};
use std::collections::HashMap;

/// Sums over the people a batch inserted, by key.
#[derive(Debug, Default)]
pub struct Inserted {
    births: HashMap<String, i64>,
    /// By stage ("" for none): people with no gender, Male, Female and Other.
    stages: HashMap<String, [i64; 4]>,
}

impl Inserted {
    /// Counts one inserted person, as its row stores the change.
    pub fn add(&mut self, changes: &PersonChanges) {
        if let Some(Some(date)) = &changes.birth_date {
            bump(&mut self.births, date, |n| *n += 1);
        }
        let stage = changes.contact_stage.as_ref().and_then(|s| s.as_deref());
        let gender = changes.gender.flatten();
        if stage.is_some() || gender.is_some() {
            let column = match gender {
                None => 0,
                Some(Gender::Male) => 1,
                Some(Gender::Female) => 2,
                Some(Gender::Other) => 3,
            };
            bump(&mut self.stages, stage.unwrap_or(""), |n| n[column] += 1);
        }
    }

    /// Adds the sums to the account's counters, one statement per distinct key.
    pub fn write(&mut self, conn: &Connection, account_id: i64, kind: PersonType) -> Result<()> {
        let mut births = conn.prepare_cached(
            "INSERT INTO birth_date_counts VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT DO UPDATE SET n = n + excluded.n",
        )?;
        for (date, n) in self.births.drain() {
            births.execute(params![account_id, kind.code(), date, n])?;
        }
        let mut stages = conn.prepare_cached(
            "INSERT INTO stage_gender_counts VALUES (?1, ?2, ?3, ?4, ?5)
             ON CONFLICT DO UPDATE SET n = n + excluded.n",
        )?;
        let genders = ["", "Male", "Female", "Other"];
        for (stage, counts) in self.stages.drain() {
            for (gender, n) in genders.iter().zip(counts).filter(|(_, n)| *n != 0) {
                stages.execute(params![account_id, kind.code(), stage, gender, n])?;
            }
        }
        Ok(())
    }
}

/// Changes the entry for `key`, made zero first if new (no allocation when it exists).
fn bump<V: Default>(map: &mut HashMap<String, V>, key: &str, change: impl FnOnce(&mut V)) {
    match map.get_mut(key) {
        Some(v) => change(v),
        None => change(map.entry(key.to_owned()).or_default()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::prepare_schema;

    fn person(birth: Option<&str>, stage: Option<&str>, gender: Option<Gender>) -> PersonChanges {
        PersonChanges {
            birth_date: birth.map(|b| Some(b.to_string())),
            contact_stage: stage.map(|s| Some(s.to_string())),
            gender: gender.map(Some),
            ..PersonChanges::default()
        }
    }

    fn rows(conn: &Connection, sql: &str) -> Vec<String> {
        let mut stmt = conn.prepare(sql).unwrap();
        let n = stmt.column_count();
        stmt.query_map([], |r| {
            Ok((0..n)
                .map(|i| {
                    r.get::<_, rusqlite::types::Value>(i)
                        .map(|v| format!("{v:?}"))
                })
                .collect::<rusqlite::Result<Vec<_>>>()?
                .join(" "))
        })
        .unwrap()
        .map(Result::unwrap)
        .collect()
    }

    #[test]
    fn sums_are_added_once_per_key_and_match_a_recount() {
        let mut conn = Connection::open_in_memory().unwrap();
        prepare_schema(&mut conn).unwrap();
        conn.execute_batch(
            "INSERT INTO accounts (id, email, password_hash, plan, created_at)
                 VALUES (1, 'a@example.com', 'x', 'trial', 0);
             INSERT INTO birth_date_counts VALUES (1, 0, '1990-01-02', 5);
             INSERT INTO stage_gender_counts VALUES (1, 0, 'lead', 'Female', 7);",
        )
        .unwrap();
        let people = [
            person(Some("1990-01-02"), Some("Lead"), Some(Gender::Female)),
            person(Some("1990-01-02"), None, None),
            person(Some("1985-06-30"), Some("Customer"), None),
            person(None, None, Some(Gender::Other)),
            person(None, None, None),
        ];
        let mut inserted = Inserted::default();
        for p in &people {
            inserted.add(p);
        }
        inserted.write(&conn, 1, PersonType::Contact).unwrap();
        // Written sums are cleared: a second write adds nothing.
        inserted.write(&conn, 1, PersonType::Contact).unwrap();
        assert_eq!(
            rows(
                &conn,
                "SELECT birth_date, n FROM birth_date_counts ORDER BY 1"
            ),
            [
                "Text(\"1985-06-30\") Integer(1)",
                "Text(\"1990-01-02\") Integer(7)"
            ]
        );
        // Stages compare without case: 'Lead' adds to the 'lead' row.
        assert_eq!(
            rows(
                &conn,
                "SELECT contact_stage, gender, n FROM stage_gender_counts ORDER BY 1, 2"
            ),
            [
                "Text(\"\") Text(\"Other\") Integer(1)",
                "Text(\"Customer\") Text(\"\") Integer(1)",
                "Text(\"lead\") Text(\"Female\") Integer(8)",
            ]
        );
    }
}
