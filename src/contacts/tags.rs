//! SQL for tags: names per account (case-insensitive), links to people, counts.

use super::model::{MAX_TAGS, PersonType};
use super::store::exists;
use crate::clock::Timestamp;
use crate::error::{Error, Result};
use rusqlite::{Connection, OptionalExtension, params};
use serde_json::{Value, json};

/// The account's tag of that name (case-insensitively), made if new: its id and its name
/// as the account first spelled it.
pub(super) fn tag(conn: &Connection, account_id: i64, name: &str) -> Result<(i64, String)> {
    let existing = conn
        .prepare_cached("SELECT id, name FROM tags WHERE account_id = ?1 AND name = ?2")?
        .query_row(params![account_id, name], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?;
    if let Some(tag) = existing {
        return Ok(tag);
    }
    conn.prepare_cached("INSERT INTO tags (account_id, name) VALUES (?1, ?2)")?
        .execute(params![account_id, name])?;
    Ok((conn.last_insert_rowid(), name.to_owned()))
}

/// Copies each person's tag links into its row's `tag_names` (schema.sql has why): called
/// by every writer of `contact_tags` once its links are written.
pub(super) fn copy_names(conn: &Connection, ids: impl IntoIterator<Item = i64>) -> Result<()> {
    let mut copy = conn.prepare_cached(
        "UPDATE contacts SET tag_names = (
             SELECT json_group_array(t.name ORDER BY t.name)
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
        let tag = tag(conn, account_id, name)?.0;
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
}
