//! The database: one SQLite file in WAL mode.
//!
//! * Reads go through an r2d2 [`Pool`] of `query_only` connections, so a write that forgot
//!   to go through the writer fails loudly instead of racing it. Each HTTP worker also
//!   keeps one such connection of its own ([`LocalReader`]) for the per-request reads.
//! * Writes go through the single [`Writer`], which commits every write waiting in its
//!   queue in one transaction (group commit).
//! * The WAL is copied back into the file by a thread of its own (`checkpointer`), woken
//!   by the writer's commits, so that no commit waits for it. Under a replicator
//!   (`--wal-managed-externally`) there is none, and bulk writes wait for room in the
//!   WAL instead (`wal_room`).
//! * The command line opens its own plain connection; `busy_timeout` lets it share the
//!   file with a running server.

mod checkpointer;
mod local;
mod schema;
mod wal_room;
mod writer;

pub use local::LocalReader;
pub use schema::{SCHEMA_VERSION, prepare_schema};
pub use writer::{MAX_SERIES, Writer};

use anyhow::{Context, bail};
use checkpointer::Checkpointer;
pub use checkpointer::WalCheckpoints;
use wal_room::WalRoom;

use rusqlite::config::DbConfig;
use rusqlite::{Connection, OpenFlags};
use std::path::{Path, PathBuf};
use std::time::Duration;

pub type Pool = r2d2::Pool<ConnectionManager>;
pub type PooledConnection = r2d2::PooledConnection<ConnectionManager>;

/// How long a connection waits for another one's write lock before giving up.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);
const STATEMENT_CACHE: usize = 256;
const READ_POOL_SIZE: u32 = 8;

/// Opens a connection with the settings every connection must have.
pub fn open_connection(path: &Path, query_only: bool) -> rusqlite::Result<Connection> {
    let flags = OpenFlags::SQLITE_OPEN_READ_WRITE
        | OpenFlags::SQLITE_OPEN_CREATE
        | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let conn = Connection::open_with_flags(path, flags)?;
    conn.busy_timeout(BUSY_TIMEOUT)?;
    // journal_mode answers with a row, so it cannot go through execute_batch.
    let mode: String = conn.query_row("PRAGMA journal_mode = WAL", [], |row| row.get(0))?;
    if !mode.eq_ignore_ascii_case("wal") {
        log::warn!("SQLite refused WAL mode for {}: {mode}", path.display());
    }
    conn.execute_batch(
        "PRAGMA synchronous = FULL;
         PRAGMA foreign_keys = ON;",
    )?;
    // Page caches: a reader's serves point reads (the B-trees' upper pages) and streams
    // scans; a writing connection's (the writer's above all; SQLite fills a cache only as
    // it is used) holds what an import transaction changes, each page it cannot hold
    // being written to the WAL early and again at the commit (docs/design.md).
    if query_only {
        conn.execute_batch("PRAGMA query_only = ON; PRAGMA cache_size = -1024;")?;
    } else {
        conn.execute_batch("PRAGMA cache_size = -8192;")?;
        // `rarray(?)`: a bound list of values as a table (the broadcast fan-out's recipients).
        rusqlite::vtab::array::load_module(&conn)?;
    }
    // STAT4 (on in the bundled build) marks statements whose plan could depend on a bound
    // value, and SQLite then re-prepares them on every new binding: a cached point lookup
    // would be re-parsed per request. The stability guarantee plans without the values.
    conn.set_db_config(DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG, true)?;

    conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
    Ok(conn)
}

/// Makes pool connections: read-only by pragma, with the common settings.
#[derive(Debug)]
pub struct ConnectionManager {
    path: PathBuf,
}

impl r2d2::ManageConnection for ConnectionManager {
    type Connection = Connection;
    type Error = rusqlite::Error;

    fn connect(&self) -> rusqlite::Result<Connection> {
        open_connection(&self.path, true)
    }

    fn is_valid(&self, conn: &mut Connection) -> rusqlite::Result<()> {
        conn.execute_batch("")
    }

    fn has_broken(&self, _conn: &mut Connection) -> bool {
        false
    }
}

/// Opens (creating if new) the database at `path`: schema checked, read pool and writer started.
pub fn open(path: &Path) -> anyhow::Result<(Pool, Writer)> {
    open_with(path, WalCheckpoints::Ours)
}

/// [`open`], with the WAL's checkpoints ours or left to a replicator (Litestream).
pub fn open_with(path: &Path, wal: WalCheckpoints) -> anyhow::Result<(Pool, Writer)> {
    let opening = || format!("cannot open database {}", path.display());
    let mut conn = open_connection(path, false).with_context(opening)?;
    prepare_schema(&mut conn).with_context(|| format!("database {}", path.display()))?;
    let (checkpointer, room) = match wal {
        WalCheckpoints::Ours => (
            Checkpointer::start(&mut conn, path).with_context(opening)?,
            WalRoom::unbounded(),
        ),
        WalCheckpoints::External => (
            Checkpointer::external(),
            WalRoom::bounded(&mut conn).with_context(opening)?,
        ),
    };
    let pool = r2d2::Pool::builder()
        .max_size(READ_POOL_SIZE)
        .min_idle(Some(2))
        .connection_timeout(BUSY_TIMEOUT)
        .build(ConnectionManager {
            path: path.to_path_buf(),
        })
        .with_context(opening)?;
    Ok((pool, Writer::start(conn, checkpointer, room)))
}

/// Runs `read` in one read transaction: its statements see one snapshot, and the WAL read
/// lock (a process-wide mutex, often with an `fcntl`) is taken once, not per statement.
/// A single statement needs none: it reads one snapshot on its own.
pub fn snapshot<T, E>(
    conn: &Connection,
    read: impl FnOnce(&Connection) -> Result<T, E>,
) -> Result<T, E>
where
    E: From<rusqlite::Error>,
{
    // Cached statements: `Transaction` would parse BEGIN and COMMIT on every call.
    conn.prepare_cached("BEGIN")?.execute([])?;
    let out = read(conn);
    let end = if out.is_ok() { "COMMIT" } else { "ROLLBACK" };
    conn.prepare_cached(end)?.execute([])?;
    out
}

/// Opens the database for a one-off command (the command line): schema checked, one connection.
pub fn open_single(path: &Path) -> anyhow::Result<Connection> {
    let mut conn = open_connection(path, false)
        .with_context(|| format!("cannot open database {}", path.display()))?;
    prepare_schema(&mut conn).with_context(|| format!("database {}", path.display()))?;
    Ok(conn)
}

/// What `switchboard backup` made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BackupSummary {
    pub bytes: u64,
    pub schema_version: i64,
    pub accounts: i64,
    pub contacts: i64,
    pub messages: i64,
}

/// Writes a consistent copy of the live database at `source` to `dest`, which must not
/// exist. `VACUUM INTO` reads one snapshot (in WAL mode writers go on meanwhile, and unlike
/// the page-by-page backup API it never restarts when they do), then the copy is checked.
/// The source is copied as it is: an older schema is not migrated first, so a backup taken
/// before an upgrade is the old file.
pub fn backup(source: &Path, dest: &Path) -> anyhow::Result<BackupSummary> {
    if !source.exists() {
        bail!("no database at {}", source.display());
    }
    if dest.exists() {
        bail!("{} exists already; choose a new file", dest.display());
    }
    let conn = open_connection(source, false)
        .with_context(|| format!("cannot open database {}", source.display()))?;
    let schema_version: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    if schema_version == 0 {
        bail!("{} is not a Switchboard database", source.display());
    }
    let target = dest
        .to_str()
        .with_context(|| format!("{} is not a UTF-8 path", dest.display()))?;
    conn.execute("VACUUM INTO ?1", [target])
        .with_context(|| format!("backup to {} failed", dest.display()))?;
    let copy = Connection::open_with_flags(dest, OpenFlags::SQLITE_OPEN_READ_ONLY)
        .with_context(|| format!("cannot open the copy {}", dest.display()))?;
    let check: String = copy.query_row("PRAGMA quick_check", [], |r| r.get(0))?;
    if check != "ok" {
        bail!("the copy {} failed its check: {check}", dest.display());
    }
    // Rows of a table, 0 where an older schema does not have it yet.
    let count = |table: &str| -> rusqlite::Result<i64> {
        let exists = copy
            .prepare("SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = ?1")
            .and_then(|mut s| s.exists([table]))?;
        if !exists {
            return Ok(0);
        }
        copy.query_row(&format!("SELECT count(*) FROM {table}"), [], |r| r.get(0))
    };
    Ok(BackupSummary {
        bytes: std::fs::metadata(dest)?.len(),
        schema_version,
        accounts: count("accounts")?,
        contacts: count("contacts")?,
        messages: count("messages")?,
    })
}

/// True when `err` is a UNIQUE (or primary key) constraint failure: a `409` for the caller.
pub fn is_unique_violation(err: &rusqlite::Error) -> bool {
    matches!(
        err,
        rusqlite::Error::SqliteFailure(e, _)
            if e.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE
                || e.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_PRIMARYKEY
    )
}

/// The steps of `sql`'s query plan, each parameter bound to NULL: for tests that pin how a
/// hot query reads.
#[cfg(test)]
pub fn query_plan(conn: &Connection, sql: &str) -> Vec<String> {
    let mut stmt = conn
        .prepare(&format!("EXPLAIN QUERY PLAN {sql}"))
        .expect("the query prepares");
    let nulls = vec![rusqlite::types::Null; stmt.parameter_count()];
    stmt.query_map(rusqlite::params_from_iter(nulls), |r| r.get(3))
        .expect("the plan reads")
        .map(|step| step.expect("a plan step"))
        .collect()
}

/// A fresh database file in a temporary directory (deleted with it): its readers' pool and
/// a connection of its own to fill it, for tests whose reads take a second reader.
#[cfg(test)]
pub fn temporary() -> (tempfile::TempDir, Pool, Connection) {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let path = dir.path().join("sb.db");
    let (pool, _writer) = open(&path).expect("the database opens");
    let conn = Connection::open(&path).expect("a connection opens");
    (dir, pool, conn)
}
