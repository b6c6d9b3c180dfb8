//! Room in the WAL for bulk writes, when a replicator (Litestream) manages it.
//!
//! Litestream holds a read transaction between its syncs, so no checkpoint copies frames
//! it has not shipped; it checkpoints after a sync that found new frames, and its PASSIVE
//! checkpoint gives up while a writer is busy. A writer that never pauses (a bulk import,
//! a broadcast's fan-out) starves it: the WAL grew by every frame of a million-row import.
//! So with `--wal-managed-externally`, bulk writes wait while the WAL holds more than a
//! bound of frames; single requests never wait. While they wait the writer is idle, so
//! Litestream's next checkpoint succeeds and it starts the WAL over. A small write once a
//! second ([`Room::Full`]'s `nudge`) gives Litestream new frames to sync (after which it
//! checkpoints), and tells this server the WAL's new length.
//!
//! The length comes from the writing connection's WAL hook, at each of its commits. It
//! is never read from the `-shm` file: closing any descriptor of that file would drop
//! every POSIX lock this process holds on it, SQLite's own included, and a replicator
//! could then restart the WAL under the writer. Should the replicator make no room
//! within [`MAX_HOLD`], the writes go on: this paces them, it never refuses them.

use rusqlite::Connection;
use rusqlite::hooks::Wal;
use std::ffi::c_int;
use std::sync::atomic::{AtomicI32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// WAL frames (about 128 MiB of 4 KiB pages) past which bulk writes wait.
pub const FRAMES: c_int = 32_768;
/// The longest bulk writes wait for a replicator that makes no room (stopped, or stuck on
/// its replica): then they go on, and the WAL grows, which its monitoring shows.
pub const MAX_HOLD: Duration = Duration::from_secs(60);
/// How often a waiting bulk writer looks again.
pub const POLL: Duration = Duration::from_millis(50);
/// How often a wait asks for a nudge: Litestream looks at the WAL once a second.
const NUDGE_EVERY: Duration = Duration::from_secs(1);
/// SQLite's `wal_autocheckpoint` default, which the hook below keeps.
const AUTOCHECKPOINT: c_int = 1000;

/// What [`WalRoom::check`] found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Room {
    Free,
    /// Bulk writes wait; `nudge`: write something small now, so the replicator syncs.
    Full {
        nudge: bool,
    },
}

/// Whether bulk writes have room in the WAL; always, unless the WAL is managed from outside.
pub struct WalRoom(Option<Bounded>);

struct Bounded {
    /// The WAL's length in frames after the writer's last commit.
    frames: Arc<AtomicI32>,
    bound: c_int,
    max_hold: Duration,
    hold: Mutex<Hold>,
}

/// Since when the WAL has been found full, while it still is, and when it was last nudged.
#[derive(Default)]
struct Hold {
    since: Option<Instant>,
    nudged: Option<Instant>,
    warned: bool,
}

impl WalRoom {
    /// No bound: this server's checkpointer keeps the WAL short itself.
    pub fn unbounded() -> WalRoom {
        WalRoom(None)
    }

    /// Bulk writes wait while the WAL of `writer` is past [`FRAMES`]. Its WAL hook, which
    /// replaces SQLite's automatic checkpoint, counts the frames and keeps that checkpoint
    /// (PASSIVE past 1,000 frames: it never waits for, nor restarts the WAL under, a
    /// replicator's read).
    pub fn bounded(writer: &mut Connection) -> rusqlite::Result<WalRoom> {
        WalRoom::with(writer, FRAMES, MAX_HOLD)
    }

    fn with(
        writer: &mut Connection,
        bound: c_int,
        max_hold: Duration,
    ) -> rusqlite::Result<WalRoom> {
        let frames = Arc::new(AtomicI32::new(0));
        let seen = frames.clone();
        writer.wal_hook(Some(move |wal: &mut Wal, n: c_int| {
            seen.store(n, Ordering::Relaxed);
            if n >= AUTOCHECKPOINT
                && let Err(e) = wal.checkpoint()
                && e.sqlite_error_code() != Some(rusqlite::ErrorCode::DatabaseBusy)
            {
                // Only logged: the commit has happened, and its caller must not believe otherwise.
                log::warn!("WAL checkpoint by the writer failed: {e}");
            }
            Ok(())
        }))?;
        Ok(WalRoom(Some(Bounded {
            frames,
            bound,
            max_hold,
            hold: Mutex::default(),
        })))
    }

    /// Whether a bulk write may go ahead now.
    pub fn check(&self) -> Room {
        let Some(bounded) = &self.0 else {
            return Room::Free;
        };
        let mut hold = bounded.hold.lock().unwrap_or_else(|e| e.into_inner());
        if bounded.frames.load(Ordering::Relaxed) <= bounded.bound {
            *hold = Hold::default();
            return Room::Free;
        }
        let now = Instant::now();
        let since = *hold.since.get_or_insert(now);
        if now - since >= bounded.max_hold {
            if !std::mem::replace(&mut hold.warned, true) {
                log::warn!(
                    "the WAL has held over {} frames for {} s: is the replicator running? \
                     Bulk writes go on.",
                    bounded.bound,
                    bounded.max_hold.as_secs()
                );
            }
            return Room::Free;
        }
        let nudge = hold.nudged.is_none_or(|t| now - t >= NUDGE_EVERY);
        if nudge {
            hold.nudged = Some(now);
        }
        Room::Full { nudge }
    }
}

/// The small write of a nudge: when bulk writes last waited for the replicator.
pub fn nudge(conn: &Connection, now: i64) -> rusqlite::Result<()> {
    conn.prepare_cached(
        "INSERT INTO meta (key, value) VALUES ('wal_nudged_at', ?1)
         ON CONFLICT (key) DO UPDATE SET value = excluded.value",
    )?
    .execute([now])?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn db() -> (Connection, std::path::PathBuf, tempfile::TempDir) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("r.db");
        let conn = super::super::open_connection(&path, false).unwrap();
        conn.execute_batch("CREATE TABLE t (b BLOB)").unwrap();
        (conn, path, dir)
    }

    fn write(conn: &Connection, pages: i64) {
        conn.execute(
            "WITH RECURSIVE n (i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?1)
             INSERT INTO t SELECT zeroblob(4000) FROM n",
            [pages],
        )
        .unwrap();
    }

    /// A reader holding a snapshot stands for the replicator: the WAL cannot start over.
    #[test]
    fn bulk_writes_wait_while_the_wal_is_long_and_go_on_once_it_restarts() {
        let (mut conn, path, _dir) = db();
        let room = WalRoom::with(&mut conn, 1500, Duration::from_secs(60)).unwrap();
        assert_eq!(room.check(), Room::Free);
        let replicator = super::super::open_connection(&path, false).unwrap();
        replicator
            .execute_batch("BEGIN; SELECT count(*) FROM t;")
            .unwrap();
        write(&conn, 1600);
        assert_eq!(room.check(), Room::Full { nudge: true }, "1,600 frames");
        assert_eq!(
            room.check(),
            Room::Full { nudge: false },
            "a nudge a second"
        );
        // The replicator ships, ends its read and checkpoints; the next write (a nudge)
        // starts the WAL over.
        replicator.execute_batch("COMMIT").unwrap();
        replicator
            .execute_batch("PRAGMA wal_checkpoint(PASSIVE)")
            .unwrap();
        write(&conn, 1);
        assert_eq!(room.check(), Room::Free);
        assert_eq!(WalRoom::unbounded().check(), Room::Free);
    }

    /// The hook keeps SQLite's automatic checkpoint: with nobody else reading, the WAL
    /// stays short.
    #[test]
    fn without_a_replicator_the_wal_stays_short() {
        let (mut conn, _path, _dir) = db();
        let room = WalRoom::with(&mut conn, 1500, Duration::from_secs(60)).unwrap();
        for _ in 0..100 {
            write(&conn, 50);
            assert_eq!(room.check(), Room::Free);
        }
    }

    #[test]
    fn a_replicator_that_makes_no_room_holds_bulk_writes_no_longer_than_the_limit() {
        let (mut conn, path, _dir) = db();
        let room = WalRoom::with(&mut conn, 100, Duration::from_millis(200)).unwrap();
        let replicator = super::super::open_connection(&path, false).unwrap();
        replicator
            .execute_batch("BEGIN; SELECT count(*) FROM t;")
            .unwrap();
        write(&conn, 300);
        let start = Instant::now();
        while room.check() != Room::Free {
            std::thread::sleep(POLL);
        }
        let held = start.elapsed();
        assert!(held >= Duration::from_millis(200), "held {held:?}");
        assert!(held < Duration::from_secs(5), "held {held:?}");
    }
}
