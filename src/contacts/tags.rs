//! SQL for tags: names per account (case-insensitive), links to people, counts.

use super::model::{MAX_TAGS, PersonType};
use super::store::exists;
use crate::clock::Timestamp;
use crate::error::{Error, Result};
use rusqlite::{Connection, OptionalExtension, params};
use serde_json::{Value, json};

/// A tag of an account.
#[derive(Debug, Clone)]
pub(super) struct Tag {
    pub id: i64,
    /// As the account first spelled it.
    pub name: String,
    /// Its bit in `contacts.tag_bits`, as a mask; 0 for a tag without one (schema.sql).
    pub mask: i64,
}

/// Tags with a bit at a time: the bits of an `INTEGER`, less the sign.
const TAG_BITS: i64 = 63;

/// The account's tag of that name (case-insensitively), made if new, with the lowest bit
/// no tag of the account holds, if one is free (a deleted tag's bit was cleared from every
/// person by `tags_drop_links`, so it can be given again).
pub(super) fn tag(conn: &Connection, account_id: i64, name: &str) -> Result<Tag> {
    let read = |r: &rusqlite::Row| -> rusqlite::Result<Tag> {
        let bit: Option<i64> = r.get(2)?;
        Ok(Tag {
            id: r.get(0)?,
            name: r.get(1)?,
            mask: bit.map_or(0, |b| 1 << b),
        })
    };
    let existing = conn
        .prepare_cached("SELECT id, name, bit FROM tags WHERE account_id = ?1 AND name = ?2")?
        .query_row(params![account_id, name], read)
        .optional()?;
    if let Some(tag) = existing {
        return Ok(tag);
    }
    Ok(conn
        .prepare_cached(
            "INSERT INTO tags (account_id, name, bit) VALUES (?1, ?2, (
                 WITH RECURSIVE b(n) AS (SELECT 0 UNION ALL SELECT n + 1 FROM b WHERE n + 1 < ?3)
                 SELECT min(n) FROM b WHERE n NOT IN (
                     SELECT bit FROM tags WHERE account_id = ?1 AND bit IS NOT NULL)))
             RETURNING id, name, bit",
        )?
        .query_row(params![account_id, name, TAG_BITS], read)?)
}

/// Copies each person's tag links into its row's `tag_names` and `tag_bits` (schema.sql has
/// why): called by every writer of `contact_tags` once its links are written.
pub(super) fn copy_names(conn: &Connection, ids: impl IntoIterator<Item = i64>) -> Result<()> {
    let mut copy = conn.prepare_cached(
        "UPDATE contacts SET (tag_names, tag_bits) = (
             SELECT json_group_array(t.name ORDER BY t.name), coalesce(sum(1 << t.bit), 0)
             FROM contact_tags ct JOIN tags t ON t.id = ct.tag_id WHERE ct.contact_id = ?1
         ) WHERE id = ?1",
    )?;
    for id in ids {
        copy.execute([id])?;
    }
    Ok(())
}

/// `tag_names` of a person with these tags (`tags.name` spellings, no two alike), as
/// [`copy_names`] writes it: sorted as the `NOCASE` column sorts (ASCII letters folded).
pub(super) fn names_json(mut names: Vec<&str>) -> String {
    fn folded(s: &str) -> impl Iterator<Item = u8> + '_ {
        s.bytes().map(|b| b.to_ascii_lowercase())
    }
    names.sort_unstable_by(|a, b| folded(a).cmp(folded(b)));
    names.dedup();
    serde_json::to_string(&names).expect("strings serialise")
}

pub(super) fn set_tags(
    conn: &Connection,
    account_id: i64,
    kind: PersonType,
    contact_id: i64,
    names: &[String],
) -> Result<()> {
    conn.prepare_cached("DELETE FROM contact_tags WHERE contact_id = ?1")?
        .execute([contact_id])?;
    add_tag_links(conn, account_id, kind, contact_id, names)?;
    copy_names(conn, [contact_id])
}

fn add_tag_links(
    conn: &Connection,
    account_id: i64,
    kind: PersonType,
    contact_id: i64,
    names: &[String],
) -> Result<()> {
    let mut link = conn.prepare_cached(
        "INSERT OR IGNORE INTO contact_tags (contact_id, tag_id, type) VALUES (?1, ?2, ?3)",
    )?;
    for name in names {
        let tag = tag(conn, account_id, name)?.id;
        if link.execute(params![contact_id, tag, kind.code()])? == 1 {
            count_links(conn, kind, tag, 1)?;
        }
    }
    Ok(())
}

/// Adds `n` new links of people of `kind` to the tag's count (schema.sql: the code that
/// inserts links counts them; a trigger uncounts deleted ones).
pub(super) fn count_links(conn: &Connection, kind: PersonType, tag: i64, n: i64) -> Result<()> {
    conn.prepare_cached(
        "UPDATE tags SET contact_count = contact_count + ?2 * (?3 = 0),
                         client_count = client_count + ?2 * (?3 = 1)
         WHERE id = ?1",
    )?
    .execute(params![tag, n, kind.code()])?;
    Ok(())
}

pub fn add_tags(
    conn: &Connection,
    account_id: i64,
    kind: PersonType,
    id: i64,
    names: &[String],
    now: Timestamp,
) -> Result<()> {
    exists(conn, account_id, kind, id)?;
    add_tag_links(conn, account_id, kind, id, names)?;
    let count: i64 = conn
        .prepare_cached("SELECT count(*) FROM contact_tags WHERE contact_id = ?1")?
        .query_row([id], |r| r.get(0))?;
    if count > MAX_TAGS as i64 {
        return Err(Error::conflict(format!(
            "tags: a contact carries at most {MAX_TAGS} tags; remove some first"
        )));
    }
    copy_names(conn, [id])?;
    touch(conn, id, now)
}

pub fn remove_tags(
    conn: &Connection,
    account_id: i64,
    kind: PersonType,
    id: i64,
    names: &[String],
    now: Timestamp,
) -> Result<()> {
    exists(conn, account_id, kind, id)?;
    let mut unlink = conn.prepare_cached(
        "DELETE FROM contact_tags WHERE contact_id = ?1
         AND tag_id = (SELECT id FROM tags WHERE account_id = ?2 AND name = ?3)",
    )?;
    for name in names {
        unlink.execute(params![id, account_id, name])?;
    }
    copy_names(conn, [id])?;
    touch(conn, id, now)
}

fn touch(conn: &Connection, id: i64, now: Timestamp) -> Result<()> {
    conn.prepare_cached("UPDATE contacts SET updated_at = ?2 WHERE id = ?1")?
        .execute(params![id, now])?;
    Ok(())
}

/// Every tag of the account with the number of people (contacts and clients) carrying it.
pub fn tag_counts(conn: &Connection, account_id: i64) -> Result<Vec<Value>> {
    let mut stmt = conn.prepare_cached(
        "SELECT name, contact_count + client_count FROM tags WHERE account_id = ?1 ORDER BY name",
    )?;
    let rows = stmt.query_map([account_id], |r| {
        Ok(json!({"name": r.get::<_, String>(0)?, "count": r.get::<_, i64>(1)?}))
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::contacts::bulk;
    use crate::contacts::import::Row;
    use crate::contacts::model::PersonChanges;
    use crate::contacts::store;

    #[test]
    fn names_sort_as_sqlite_orders_a_nocase_column() {
        let names = [
            "vip", "Beta", "alpha", "Été", "zeta", "10", "a\"b", "ab", "A",
        ];
        let conn = Connection::open_in_memory().unwrap();
        let sqlite: String = conn
            .query_row(
                "SELECT json_group_array(value ORDER BY value COLLATE NOCASE) FROM json_each(?1)",
                [serde_json::to_string(&names).unwrap()],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(names_json(names.to_vec()), sqlite);
        assert_eq!(
            names_json(names.to_vec()),
            r#"["10","A","a\"b","ab","alpha","Beta","vip","zeta","Été"]"#
        );
    }

    fn with_tags(phone: &str, tags: &[&str]) -> PersonChanges {
        PersonChanges {
            phone: Some(Some(phone.to_string())),
            tags: Some(tags.iter().map(|t| t.to_string()).collect()),
            ..PersonChanges::default()
        }
    }

    /// People whose bits differ from those of their links' tags.
    fn stale(conn: &Connection) -> Vec<i64> {
        conn.prepare(
            "SELECT id FROM contacts c WHERE tag_bits <> coalesce((SELECT sum(1 << t.bit)
                 FROM contact_tags ct JOIN tags t ON t.id = ct.tag_id WHERE ct.contact_id = c.id), 0)",
        )
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect()
    }

    /// `tag_bits` against the links, for every writer of them: the narrow count reads the
    /// bits, the lists read the links, and the two must never disagree.
    #[test]
    fn every_writer_of_links_keeps_the_bits_and_only_63_tags_own_one() {
        let mut conn = Connection::open_in_memory().unwrap();
        crate::db::prepare_schema(&mut conn).unwrap();
        conn.execute_batch(
            "INSERT INTO accounts (id, email, password_hash, plan, created_at)
                 VALUES (1, 'a@x.co', 'x', 'unlimited', 0), (2, 'b@x.co', 'x', 'unlimited', 0);",
        )
        .unwrap();
        let c = PersonType::Contact;
        // Another account's tags take none of account 1's bits.
        store::insert(&conn, 2, c, &with_tags("+14155550100", &["vip"]), 0).unwrap();
        let asha =
            store::insert(&conn, 1, c, &with_tags("+14155550101", &["vip", "b"]), 0).unwrap();
        add_tags(&conn, 1, c, asha, &["c".into()], 0).unwrap();
        remove_tags(&conn, 1, c, asha, &["VIP".into()], 0).unwrap();
        store::update(
            &conn,
            1,
            c,
            asha,
            &with_tags("+14155550101", &["d", "b"]),
            0,
        )
        .unwrap();
        // An import: new people (their bits written with the row) and an update of Asha.
        let rows: Vec<Row> = (0..70)
            .map(|i| Row {
                number: i,
                changes: with_tags(
                    &format!("+1415555{:04}", 200 + i),
                    &[&format!("t{i}"), "vip"],
                ),
            })
            .chain([Row {
                number: 70,
                changes: with_tags("+14155550101", &["t69", "e"]),
            }])
            .collect();
        let outcome = bulk::upsert(&conn, 1, c, &rows, 0).unwrap();
        assert_eq!((outcome.created, outcome.updated), (70, 1));
        assert_eq!(stale(&conn), Vec::<i64>::new());

        let bits: Vec<(i64, Option<i64>)> = conn
            .prepare("SELECT account_id, bit FROM tags ORDER BY id")
            .unwrap()
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap()
            .map(Result::unwrap)
            .collect();
        let ours: Vec<Option<i64>> = bits.iter().filter(|(a, _)| *a == 1).map(|b| b.1).collect();
        assert_eq!(bits[0], (2, Some(0)));
        assert_eq!(ours.len(), 75, "vip, b, c, d, t0..t69, e");
        assert_eq!(ours[..63], (0..63).map(Some).collect::<Vec<_>>()[..]);
        assert!(ours[63..].iter().all(Option::is_none), "{ours:?}");
        let asha_bits: i64 = conn
            .query_row("SELECT tag_bits FROM contacts WHERE id = ?1", [asha], |r| {
                r.get(0)
            })
            .unwrap();
        // The update replaced her tags with d and b; the import added t69 and e, which own
        // no bit: b (bit 1) and d (3).
        assert_eq!(asha_bits, 0b1010);

        conn.execute("DELETE FROM tags WHERE account_id = 1 AND name = 'b'", [])
            .unwrap();
        assert_eq!(stale(&conn), Vec::<i64>::new());
        // b's bit, cleared from everyone, goes to the next new tag; the one after gets none.
        add_tags(&conn, 1, c, asha, &["f".into(), "g".into()], 0).unwrap();
        let bit = |name: &str| -> Option<i64> {
            (conn.query_row(
                "SELECT bit FROM tags WHERE account_id = 1 AND name = ?1",
                [name],
                |r| r.get(0),
            ))
            .unwrap()
        };
        assert_eq!((bit("f"), bit("g")), (Some(1), None));
        assert_eq!(stale(&conn), Vec::<i64>::new());
        // A bit past the 63 an INTEGER holds (less its sign) is refused, never stored.
        let past = conn.execute("UPDATE tags SET bit = 63 WHERE account_id = 2", []);
        assert!(past.is_err(), "{past:?}");
    }
}
