//! Creating the schema of a new file and checking the version of an existing one.

use anyhow::{Context, bail};
use rusqlite::{Connection, TransactionBehavior};

/// The schema version this binary writes and understands (`PRAGMA user_version`): the
/// first version, and one more for each migration.
pub const SCHEMA_VERSION: i64 = MIGRATIONS.len() as i64 + 1;

const SCHEMA: &str = include_str!("../../schema.sql");

/// Migrations from version `n` to `n + 1`, applied in order, each in its own transaction.
/// Index 0 upgrades version 1 to 2, and so on; a new migration also updates schema.sql.
const MIGRATIONS: &[&str] = &[
    include_str!("migrations/002.sql"),
    include_str!("migrations/003.sql"),
    include_str!("migrations/004.sql"),
    include_str!("migrations/005.sql"),
    include_str!("migrations/006.sql"),
    include_str!("migrations/007.sql"),
    include_str!("migrations/008.sql"),
    include_str!("migrations/009.sql"),
    include_str!("migrations/010.sql"),
    include_str!("migrations/011.sql"),
    include_str!("migrations/012.sql"),
    include_str!("migrations/013.sql"),
    include_str!("migrations/014.sql"),
    include_str!("migrations/015.sql"),
    include_str!("migrations/016.sql"),
    include_str!("migrations/017.sql"),
    include_str!("migrations/018.sql"),
    include_str!("migrations/019.sql"),
    include_str!("migrations/020.sql"),
];

/// Creates the schema in a new file, upgrades an older one, refuses a newer or foreign one.
pub fn prepare_schema(conn: &mut Connection) -> anyhow::Result<()> {
    // IMMEDIATE: two processes opening a new file at once must not both create the schema.
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let mut version: i64 = tx.query_row("PRAGMA user_version", [], |row| row.get(0))?;
    if version == 0 {
        let tables: i64 =
            tx.query_row("SELECT count(*) FROM sqlite_schema", [], |row| row.get(0))?;
        if tables > 0 {
            bail!("the file holds tables but no schema version: it is not a Switchboard database");
        }
        tx.execute_batch(SCHEMA)
            .and_then(|()| tx.pragma_update(None, "user_version", SCHEMA_VERSION))
            .context("creating the schema failed")?;
        return Ok(tx.commit()?);
    }
    if version > SCHEMA_VERSION {
        bail!(
            "it was written by a newer Switchboard (schema version {version}); this binary knows \
             version {SCHEMA_VERSION}. Run the newer binary, or restore a backup made before the upgrade."
        );
    }
    tx.commit()?;
    while version < SCHEMA_VERSION {
        let step = MIGRATIONS
            .get((version - 1) as usize)
            .with_context(|| format!("no migration from schema version {version}"))?;
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        tx.execute_batch(step)
            .and_then(|()| tx.pragma_update(None, "user_version", version + 1))
            .with_context(|| format!("migrating schema version {version} failed"))?;
        tx.commit()?;
        log::info!("migrated the database to schema version {}", version + 1);
        version += 1;
    }
    forget_statistics(conn)
}

/// Empties planner statistics (`ANALYZE`'s tables), which earlier versions wrote at every
/// shutdown (`PRAGMA optimize`), and makes this connection forget them. The queries are
/// planned for SQLite's defaults; sampled statistics of a multi-tenant table mislead it:
/// with them, a broadcast to a phone prefix read the whole prefix's range and sorted it at
/// each step of its fan-out, a tenth as fast.
fn forget_statistics(conn: &Connection) -> anyhow::Result<()> {
    let tables: Vec<String> = conn
        .prepare("SELECT name FROM sqlite_schema WHERE name IN ('sqlite_stat1', 'sqlite_stat4')")?
        .query_map([], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    if tables.is_empty() {
        return Ok(());
    }
    let emptied: String = tables.iter().map(|t| format!("DELETE FROM {t};")).collect();
    conn.execute_batch(&format!("{emptied} ANALYZE sqlite_schema;"))
        .context("removing planner statistics failed")?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn new_database_gets_the_current_version_and_reopening_is_a_no_op() {
        let mut conn = Connection::open_in_memory().unwrap();
        prepare_schema(&mut conn).unwrap();
        let version: i64 = conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .unwrap();
        assert_eq!(version, SCHEMA_VERSION);
        prepare_schema(&mut conn).unwrap();
    }

    /// A migration file that is not listed would never run, and the version would not say so.
    #[test]
    fn every_migration_file_is_listed_and_the_last_one_is_the_version() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/src/db/migrations");
        let mut files: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        files.sort();
        let expected: Vec<String> = (2..=SCHEMA_VERSION)
            .map(|n| format!("{n:03}.sql"))
            .collect();
        assert_eq!(files, expected);
        assert_eq!(MIGRATIONS.len(), files.len());
        for (listed, file) in MIGRATIONS.iter().zip(&files) {
            let on_disk = std::fs::read_to_string(format!("{dir}/{file}")).unwrap();
            assert_eq!(*listed, on_disk, "{file} is listed out of order");
        }
    }

    /// Every table, column, index and trigger, as SQLite describes them.
    fn shape(conn: &Connection) -> Vec<String> {
        // Indexes and triggers with their definitions (whitespace aside); tables by column.
        let mut out: Vec<String> = conn
            .prepare(
                "SELECT type || ' ' || name || ' ' || tbl_name || ' ' || \
                 CASE WHEN type = 'table' THEN '' ELSE coalesce(sql, '') END FROM sqlite_schema",
            )
            .unwrap()
            .query_map([], |r| r.get::<_, String>(0))
            .unwrap()
            .map(|s| s.unwrap().split_whitespace().collect::<Vec<_>>().join(" "))
            .collect();
        let tables: Vec<String> = conn
            .prepare("SELECT name FROM sqlite_schema WHERE type = 'table'")
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .map(Result::unwrap)
            .collect();
        for table in tables {
            let mut stmt = conn
                .prepare(&format!("SELECT name, type, \"notnull\", dflt_value, pk FROM pragma_table_info('{table}')"))
                .unwrap();
            let columns = stmt
                .query_map([], |r| {
                    Ok(format!(
                        "{table}.{} {} {} {:?} {}",
                        r.get::<_, String>(0)?,
                        r.get::<_, String>(1)?,
                        r.get::<_, i64>(2)?,
                        r.get::<_, Option<String>>(3)?,
                        r.get::<_, i64>(4)?
                    ))
                })
                .unwrap()
                .map(Result::unwrap);
            out.extend(columns);
        }
        out.sort();
        out
    }

    #[test]
    fn migrating_the_first_version_gives_the_schema_of_a_new_file() {
        let mut old = Connection::open_in_memory().unwrap();
        old.execute_batch(include_str!("testdata/schema-v1.sql"))
            .unwrap();
        prepare_schema(&mut old).unwrap();
        let mut new = Connection::open_in_memory().unwrap();
        prepare_schema(&mut new).unwrap();
        assert_eq!(shape(&old), shape(&new));
        let version: i64 = old
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .unwrap();
        assert_eq!(version, SCHEMA_VERSION);
    }

    /// A version 1 file with account 1 and the rows `sql` adds, upgraded.
    fn migrated_from_v1(sql: &str) -> Connection {
        let mut old = Connection::open_in_memory().unwrap();
        old.execute_batch(include_str!("testdata/schema-v1.sql"))
            .unwrap();
        old.execute_batch(
            "INSERT INTO accounts (id, email, password_hash, plan, created_at)
                 VALUES (1, 'a@example.com', 'x', 'trial', 0);",
        )
        .unwrap();
        old.execute_batch(sql).unwrap();
        prepare_schema(&mut old).unwrap();
        old
    }

    #[test]
    fn migrating_copies_tag_names_into_each_person_and_counts_into_each_tag() {
        let old = migrated_from_v1(
            "INSERT INTO contacts (id, account_id, type, created_at, updated_at)
                 VALUES (1, 1, 0, 0, 0), (2, 1, 0, 0, 0);
             INSERT INTO tags (id, account_id, name) VALUES (1, 1, 'vip'), (2, 1, 'Beta'), (3, 1, 'a\"b');
             INSERT INTO contact_tags VALUES (1, 1), (1, 2), (1, 3);",
        );
        let names: Vec<String> = old
            .prepare("SELECT tag_names FROM contacts ORDER BY id")
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .map(Result::unwrap)
            .collect();
        assert_eq!(names, [r#"["a\"b","Beta","vip"]"#, "[]"]);
        let counts: Vec<(i64, i64)> = old
            .prepare("SELECT contact_count, client_count FROM tags ORDER BY id")
            .unwrap()
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap()
            .map(Result::unwrap)
            .collect();
        assert_eq!(counts, [(1, 0), (1, 0), (1, 0)]);
    }

    #[test]
    fn migrating_counts_people_by_stage_and_gender() {
        let old = migrated_from_v1(
            "INSERT INTO contacts (id, account_id, type, contact_stage, gender, created_at, updated_at)
                 VALUES (1, 1, 0, 'Lead', 'Female', 0, 0), (2, 1, 0, 'lead', 'Female', 0, 0),
                        (3, 1, 0, NULL, 'Male', 0, 0), (4, 1, 1, 'Lead', NULL, 0, 0),
                        (5, 1, 0, NULL, NULL, 0, 0);",
        );
        let rows: Vec<(i64, String, String, i64)> = old
            .prepare(
                "SELECT type, contact_stage, gender, n FROM stage_gender_counts
                 ORDER BY type, contact_stage, gender",
            )
            .unwrap()
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
            .unwrap()
            .map(Result::unwrap)
            .collect();
        let row = |t: i64, s: &str, g: &str, n: i64| (t, s.to_string(), g.to_string(), n);
        assert_eq!(
            rows,
            [
                row(0, "", "Male", 1),
                row(0, "Lead", "Female", 2),
                row(1, "Lead", "", 1)
            ]
        );
    }

    #[test]
    fn migrating_counts_what_each_account_stores() {
        let old = migrated_from_v1(
            "INSERT INTO accounts (id, email, password_hash, plan, created_at)
                 VALUES (2, 'b@example.com', 'x', 'trial', 0);
             INSERT INTO contacts (id, account_id, type, created_at, updated_at)
                 VALUES (1, 1, 0, 0, 0), (2, 1, 1, 0, 0), (3, 2, 0, 0, 0);",
        );
        let usage = |old: &Connection| -> Vec<(i64, i64, i64)> {
            old.prepare("SELECT account_id, people, messages FROM account_usage ORDER BY 1")
                .unwrap()
                .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
                .unwrap()
                .map(Result::unwrap)
                .collect()
        };
        assert_eq!(usage(&old), [(1, 2, 0), (2, 1, 0)]);
        // Inserts are counted by the code that makes them; deletes by the triggers.
        old.execute_batch(
            "INSERT INTO messages (account_id, contact_id, channel, incoming, kind, status, created_at, updated_at)
                 VALUES (1, 1, 'telegram', 0, 'text', 1, 0, 0), (1, 2, 'telegram', 1, 'text', 8, 0, 0);
             UPDATE account_usage SET messages = 2 WHERE account_id = 1;
             DELETE FROM contacts WHERE id = 1;",
        )
        .unwrap();
        assert_eq!(
            usage(&old),
            [(1, 1, 1), (2, 1, 0)],
            "a person's messages go with it"
        );
    }

    /// What migration 019 added, taken out of a new file's schema: a file of an older version.
    const UNDO_19: &str = "DROP INDEX contacts_by_attributes;
         DROP INDEX tags_by_bit;
         DROP TRIGGER tags_drop_links;
         CREATE TRIGGER tags_drop_links AFTER DELETE ON tags BEGIN
             DELETE FROM contact_tags WHERE tag_id = old.id;
         END;
         ALTER TABLE contacts DROP COLUMN tag_bits;
         ALTER TABLE tags DROP COLUMN bit;
         CREATE INDEX contacts_by_attributes ON contacts (account_id, type, id,
             contact_stage, gender, birth_date, a1, a2, a3, a4, a5, a6, a7, a8);";

    /// Version 19 gives each account's first 63 tags a bit, in the order they were made,
    /// and sets each person's bits from their links.
    #[test]
    fn migrating_gives_the_first_tags_bits_and_people_theirs() {
        let mut conn = Connection::open_in_memory().unwrap();
        prepare_schema(&mut conn).unwrap();
        conn.execute_batch(
            "INSERT INTO accounts (id, email, password_hash, plan, created_at)
                 VALUES (1, 'a@example.com', 'x', 'trial', 0), (2, 'b@example.com', 'x', 'trial', 0);
             INSERT INTO tags (id, account_id, name) VALUES (1, 2, 'other');
             WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 64)
             INSERT INTO tags (id, account_id, name) SELECT 1 + i, 1, 't' || i FROM n;
             INSERT INTO contacts (id, account_id, type, created_at, updated_at)
                 VALUES (1, 1, 0, 0, 0), (2, 1, 0, 0, 0), (3, 1, 0, 0, 0);
             INSERT INTO contact_tags (contact_id, tag_id) VALUES (1, 2), (1, 4), (2, 65), (2, 64);
             PRAGMA user_version = 18;",
        )
        .unwrap();
        conn.execute_batch(UNDO_19).unwrap();
        prepare_schema(&mut conn).unwrap();
        let bit = |id: i64| -> Option<i64> {
            conn.query_row("SELECT bit FROM tags WHERE id = ?1", [id], |r| r.get(0))
                .unwrap()
        };
        assert_eq!(
            (bit(1), bit(2), bit(64), bit(65)),
            (Some(0), Some(0), Some(62), None)
        );
        let bits: Vec<i64> = conn
            .prepare("SELECT tag_bits FROM contacts ORDER BY id")
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .map(Result::unwrap)
            .collect();
        assert_eq!(bits, [0b101, 1 << 62, 0]);
    }

    /// Version 14 counts the broadcasts made before it from their messages.
    #[test]
    fn migrating_counts_each_broadcasts_messages() {
        let mut conn = Connection::open_in_memory().unwrap();
        prepare_schema(&mut conn).unwrap();
        conn.execute_batch(
            "INSERT INTO accounts (id, email, password_hash, plan, created_at)
                 VALUES (1, 'a@example.com', 'x', 'trial', 0);
             INSERT INTO broadcasts (id, account_id, name, segment_id, person_type, channel,
                                     request, status, created_at, updated_at)
                 VALUES (1, 1, 'b', 1, 0, 'whatsapp', '{}', 3, 0, 0);
             INSERT INTO messages (account_id, contact_id, channel, incoming, kind, status,
                                   broadcast_id, sent_at, error_code, error_message, created_at, updated_at)
                 VALUES (1, 1, 'whatsapp', 0, 'text', 3, 1, 120, NULL, NULL, 0, 0),
                        (1, 2, 'whatsapp', 0, 'text', 5, 1, 130, NULL, NULL, 0, 0),
                        (1, 3, 'whatsapp', 0, 'text', 6, 1, NULL, '131026', 'undeliverable', 0, 0),
                        (1, 4, 'whatsapp', 0, 'text', 1, 1, NULL, NULL, NULL, 0, 0);
             DROP TABLE broadcast_counts; DROP TABLE broadcast_minutes;
             ALTER TABLE messages DROP COLUMN pricing_category;
             ALTER TABLE messages DROP COLUMN billable;
             ALTER TABLE messages DROP COLUMN replied_at;
             ALTER TABLE templates DROP COLUMN status;
             ALTER TABLE templates DROP COLUMN status_reason;
             PRAGMA user_version = 13;",
        )
        .unwrap();
        conn.execute_batch(UNDO_19).unwrap();
        prepare_schema(&mut conn).unwrap();
        let counts: Vec<(String, i64, Option<String>)> = conn
            .prepare("SELECT metric, n, sample FROM broadcast_counts ORDER BY metric")
            .unwrap()
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .unwrap()
            .map(Result::unwrap)
            .collect();
        let row = |m: &str, n: i64, s: Option<&str>| (m.to_string(), n, s.map(str::to_string));
        assert_eq!(
            counts,
            [
                row("delivered", 1, None),
                row("error:131026", 1, Some("undeliverable")),
                row("failed", 1, None),
                row("messages", 4, None),
                row("read", 1, None),
                row("sent", 2, None),
            ]
        );
        let sent: i64 = conn
            .query_row(
                "SELECT sum(sent) FROM broadcast_minutes WHERE minute = 2",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(sent, 2);
    }

    /// Statistics sampled by `PRAGMA optimize` (as earlier versions wrote at shutdown) made
    /// SQLite walk a phone prefix's people in phone order and sort them, at each step of a
    /// fan-out; opening the file empties them, and the walk goes in id order again.
    #[test]
    fn opening_removes_planner_statistics() {
        let mut conn = Connection::open_in_memory().unwrap();
        prepare_schema(&mut conn).unwrap();
        let walk = "SELECT c.id FROM contacts c
             WHERE c.account_id = 1 AND c.type = 0 AND c.id > 0
               AND c.phone >= '+91' AND c.phone < '+92' ORDER BY c.id LIMIT 50000";
        let sorts = |conn: &Connection| {
            crate::db::query_plan(conn, walk)
                .iter()
                .any(|step| step.contains("TEMP B-TREE"))
        };
        assert!(!sorts(&conn));
        // What `PRAGMA optimize` wrote for the demo million (its sample of 2,000 rows).
        conn.execute_batch(
            "ANALYZE sqlite_schema;
             INSERT INTO sqlite_stat1 VALUES
                 ('contacts', 'contacts_by_phone', '1000000 2001 2001 1'),
                 ('contacts', 'contacts_by_attributes',
                  '1000000 2001 2001 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1');
             ANALYZE sqlite_schema;",
        )
        .unwrap();
        assert!(sorts(&conn), "the statistics mislead the plan");
        prepare_schema(&mut conn).unwrap();
        let kept: i64 = conn
            .query_row("SELECT count(*) FROM sqlite_stat1", [], |r| r.get(0))
            .unwrap();
        assert_eq!(kept, 0);
        assert!(!sorts(&conn));
    }

    #[test]
    fn refuses_a_newer_schema() {
        let mut conn = Connection::open_in_memory().unwrap();
        prepare_schema(&mut conn).unwrap();
        conn.pragma_update(None, "user_version", SCHEMA_VERSION + 1)
            .unwrap();
        let err = prepare_schema(&mut conn).unwrap_err().to_string();
        assert!(err.contains("newer Switchboard"), "{err}");
    }

    #[test]
    fn refuses_a_foreign_database() {
        let mut conn = Connection::open_in_memory().unwrap();
        conn.execute_batch("CREATE TABLE mine (x)").unwrap();
        let err = prepare_schema(&mut conn).unwrap_err().to_string();
        assert!(err.contains("not a Switchboard database"), "{err}");
    }
}
