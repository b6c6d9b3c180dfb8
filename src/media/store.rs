//! The `media` table: files kept per account, written in the request's transaction and
//! read back by name.

use super::model::{File, MAX_ACCOUNT_BYTES};
use crate::clock::Timestamp;
use crate::db::Pool;
use crate::error::{Error, Kind, Result};
use rusqlite::{Connection, OptionalExtension, params};

/// Keeps `file` for the account, within its [`MAX_ACCOUNT_BYTES`].
pub fn insert(conn: &Connection, account_id: i64, file: &File, now: Timestamp) -> Result<()> {
    let used: i64 = conn
        .prepare_cached("SELECT coalesce(sum(size), 0) FROM media WHERE account_id = ?1")?
        .query_row([account_id], |r| r.get(0))?;
    if used + file.bytes.len() as i64 > MAX_ACCOUNT_BYTES {
        return Err(Error::new(
            Kind::TooLarge,
            format!(
                "file: this account keeps at most {} MiB of files and has {} MiB",
                MAX_ACCOUNT_BYTES >> 20,
                used >> 20
            ),
        ));
    }
    conn.prepare_cached(
        "INSERT INTO media (account_id, name, original, mime_type, size, content, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )?
    .execute(params![
        account_id,
        file.name,
        file.original,
        file.mime,
        file.bytes.len() as i64,
        file.bytes,
        now
    ])?;
    Ok(())
}

/// The account's file called `name`, if it has one.
pub fn read(conn: &Connection, account_id: i64, name: &str) -> Result<Option<File>> {
    Ok(conn
        .prepare_cached(
            "SELECT original, mime_type, content FROM media WHERE account_id = ?1 AND name = ?2",
        )?
        .query_row(params![account_id, name], |r| {
            Ok(File {
                name: name.to_string(),
                original: r.get(0)?,
                mime: r.get(1)?,
                bytes: r.get(2)?,
            })
        })
        .optional()?)
}

/// [`read`] on a reader, off the async workers: for a transport about to upload the file.
pub async fn load(pool: &Pool, account_id: i64, name: &str) -> Result<Option<File>> {
    let (pool, name) = (pool.clone(), name.to_string());
    tokio::task::spawn_blocking(move || read(&*pool.get()?, account_id, &name))
        .await
        .map_err(|e| Error::internal(format!("reading a stored file: {e}")))?
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::prepare_schema;

    fn file(name: &str, size: usize) -> File {
        File {
            name: name.into(),
            original: "a.pdf".into(),
            mime: "application/pdf".into(),
            bytes: vec![b'%'; size],
        }
    }

    #[test]
    fn files_are_kept_per_account_within_its_room() {
        let mut conn = Connection::open_in_memory().unwrap();
        prepare_schema(&mut conn).unwrap();
        conn.execute_batch(
            "INSERT INTO accounts (id, email, password_hash, plan, created_at)
                 VALUES (1, 'a@x.test', 'x', 'trial', 0), (2, 'b@x.test', 'x', 'trial', 0)",
        )
        .unwrap();
        insert(&conn, 1, &file("a.pdf", 10), 0).unwrap();
        assert_eq!(read(&conn, 1, "a.pdf").unwrap(), Some(file("a.pdf", 10)));
        assert_eq!(read(&conn, 2, "a.pdf").unwrap(), None, "another account's");
        let room = (MAX_ACCOUNT_BYTES - 10) as usize;
        insert(&conn, 1, &file("b.pdf", room), 0).unwrap();
        let full = insert(&conn, 1, &file("c.pdf", 1), 0).unwrap_err();
        assert_eq!(full.kind, Kind::TooLarge);
        assert!(
            full.message
                .starts_with("file: this account keeps at most 512 MiB")
        );
        insert(&conn, 2, &file("c.pdf", 1), 0).unwrap();
    }
}
