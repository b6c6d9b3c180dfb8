//! Copies the WAL back into the database file on a thread of its own.
//!
//! SQLite's automatic checkpoint runs inside the commit that takes the WAL past 1,000
//! frames, so the single writer, and every job queued behind it, stopped to copy those
//! pages back after every few batches, a large share of a broadcast fan-out's time
//! (BENCHMARKS.md). Instead the writer's WAL hook wakes this thread, which
//! checkpoints from its own connection on the other core. PASSIVE checkpoints never wait
//! for, nor block, the writer or the readers; SQLite's WAL documentation names running
//! checkpoints "in a separate thread" as one way to take them out of the commits.
//!
//! The WAL restarts from its beginning only when a write starts after every frame was
//! copied back. A writer that never pauses can outrun that moment, so past
//! [`WRITER_TAKES_OVER`] frames the writer checkpoints itself, as SQLite would have; the
//! background copies have left it little to do.

use rusqlite::hooks::Wal;
use rusqlite::wal::CheckpointMode;
use rusqlite::{Connection, ErrorCode};
use std::ffi::c_int;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicI32, Ordering};
use std::sync::mpsc;

/// New frames that wake the checkpointer: SQLite's own `wal_autocheckpoint` default.
pub const WAKE_AT: c_int = 1000;
/// WAL frames (about 64 MiB of 4 KiB pages) past which the writer checkpoints itself.
pub const WRITER_TAKES_OVER: c_int = 16_000;

/// Who copies the WAL back: this server's checkpointer thread, or something outside it
/// (Litestream), with SQLite's own passive checkpoints in the commits as the fallback.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum WalCheckpoints {
    #[default]
    Ours,
    /// `--wal-managed-externally`: never a checkpoint that waits for readers or truncates
    /// the WAL, so a replicator's read lock and its own checkpoints are never fought.
    External,
}

/// The handle of the checkpointer thread, or none when the WAL is managed from outside.
pub struct Checkpointer(Option<Thread>);

/// The checkpointer thread's handle; the thread stops when the writing connection closes.
struct Thread {
    wake: mpsc::SyncSender<()>,
    truncate: Arc<AtomicBool>,
    /// Frames of the current WAL already copied back, as the last checkpoint reported.
    copied: Arc<AtomicI32>,
}

impl Checkpointer {
    /// Starts the checkpointer for the database at `path` and hands its wake-ups to the
    /// writing connection `writer`, whose own automatic checkpoints this replaces.
    pub fn start(writer: &mut Connection, path: &Path) -> rusqlite::Result<Checkpointer> {
        let conn = super::open_connection(path, false)?;
        let (wake, woken) = mpsc::sync_channel::<()>(1);
        let this = Thread {
            wake,
            truncate: Arc::default(),
            copied: Arc::default(),
        };
        let (truncate, copied) = (this.truncate.clone(), this.copied.clone());
        std::thread::Builder::new()
            .name("sqlite-checkpointer".into())
            .spawn(move || {
                // Ends once the hook and the handle, which hold the senders, are gone.
                for () in woken {
                    let mode = match truncate.swap(false, Ordering::Relaxed) {
                        true => CheckpointMode::TRUNCATE,
                        false => CheckpointMode::PASSIVE,
                    };
                    match conn.wal_checkpoint_v2(None::<&str>, mode) {
                        Ok((_, done)) => copied.store(done, Ordering::Relaxed),
                        Err(e) if e.sqlite_error_code() == Some(ErrorCode::DatabaseBusy) => {
                            log::info!("WAL checkpoint incomplete: readers were busy");
                        }
                        Err(e) => log::warn!("WAL checkpoint failed: {e}"),
                    }
                }
            })
            .expect("cannot start the checkpointer thread");
        let (wake, copied) = (this.wake.clone(), this.copied.clone());
        writer.wal_hook(Some(move |wal: &mut Wal, frames: c_int| {
            if frames >= WRITER_TAKES_OVER {
                // Busy: the checkpointer is copying right now. Any error is only logged:
                // the commit has happened, and its caller must not believe otherwise.
                match wal.checkpoint() {
                    Err(e) if e.sqlite_error_code() != Some(ErrorCode::DatabaseBusy) => {
                        log::warn!("WAL checkpoint by the writer failed: {e}")
                    }
                    _ => {}
                }
            } else if pending(frames, copied.load(Ordering::Relaxed)) >= WAKE_AT {
                // A full queue means a wake-up is already waiting: that one will do.
                let _ = wake.try_send(());
            }
            Ok(())
        }))?;
        Ok(Checkpointer(Some(this)))
    }

    /// For a WAL managed from outside: SQLite's own automatic checkpoint stays (PASSIVE, in
    /// the commit that takes the WAL past 1,000 frames: it never waits for a reader, so it
    /// never restarts the WAL under a replicator that is still reading it), kept by the
    /// WAL hook of `wal_room`.
    pub fn external() -> Checkpointer {
        Checkpointer(None)
    }

    /// Asks for the whole WAL to be copied back and the file truncated, once the writer
    /// pauses (after a bulk import: until then every read consults the log). Not when the
    /// WAL is managed from outside: a TRUNCATE waits for readers and holds writers back.
    pub fn truncate(&self) {
        if let Some(thread) = &self.0 {
            thread.truncate.store(true, Ordering::Relaxed);
            let _ = thread.wake.try_send(());
        }
    }

    #[cfg(test)]
    fn copied(&self) -> c_int {
        self.0
            .as_ref()
            .map_or(0, |t| t.copied.load(Ordering::Relaxed))
    }
}

/// Frames not yet copied back, given the WAL's length and what the last checkpoint
/// copied. A WAL shorter than that has restarted since: all of it is new.
fn pending(frames: c_int, copied: c_int) -> c_int {
    if frames >= copied {
        frames - copied
    } else {
        frames
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, Instant};

    #[test]
    fn pending_frames_count_from_the_last_copy_or_from_a_restart() {
        assert_eq!(pending(1500, 0), 1500);
        assert_eq!(pending(1500, 1200), 300);
        assert_eq!(pending(200, 1200), 200, "the WAL restarted");
    }

    fn writer_db() -> (Connection, Checkpointer, tempfile::TempDir) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.db");
        let mut conn = super::super::open_connection(&path, false).unwrap();
        conn.execute_batch("CREATE TABLE t (b BLOB)").unwrap();
        let checkpointer = Checkpointer::start(&mut conn, &path).unwrap();
        (conn, checkpointer, dir)
    }

    fn wait_for(what: &str, done: impl Fn() -> bool) {
        let start = Instant::now();
        while !done() {
            assert!(start.elapsed() < Duration::from_secs(10), "no {what} came");
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// One transaction of `pages` pages of data.
    fn write(conn: &Connection, pages: usize) {
        conn.execute(
            "WITH RECURSIVE n (i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?1)
             INSERT INTO t SELECT zeroblob(4000) FROM n",
            [pages as i64],
        )
        .unwrap();
    }

    #[test]
    fn the_checkpointer_copies_the_wal_back_without_the_writer() {
        let (conn, checkpointer, _dir) = writer_db();
        write(&conn, 1500);
        wait_for("checkpoint", || checkpointer.copied() >= 1500);
    }

    #[test]
    fn a_truncate_empties_the_wal_file() {
        let (conn, checkpointer, dir) = writer_db();
        write(&conn, 500);
        let wal = dir.path().join("c.db-wal");
        assert!(std::fs::metadata(&wal).unwrap().len() > 0);
        checkpointer.truncate();
        wait_for("truncate", || std::fs::metadata(&wal).unwrap().len() == 0);
    }

    /// With the WAL managed from outside (as `db::open_with` sets it up: no thread, the
    /// WAL hook of `wal_room`), passive checkpoints keep it bounded while no replicator
    /// reads, and a truncate never runs: it would wait for a replicator's reads.
    #[test]
    fn a_wal_managed_from_outside_is_never_truncated_and_stays_bounded() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.db");
        let mut conn = super::super::open_connection(&path, false).unwrap();
        conn.execute_batch("CREATE TABLE t (b BLOB)").unwrap();
        let checkpointer = Checkpointer::external();
        let _room = super::super::wal_room::WalRoom::bounded(&mut conn).unwrap();
        let wal = dir.path().join("c.db-wal");
        let mut longest = 0;
        for _ in 0..300 {
            write(&conn, 20);
            longest = longest.max(std::fs::metadata(&wal).unwrap().len());
        }
        // As SQLite's default: a passive checkpoint past 1,000 frames, then the WAL restarts.
        assert!(longest < 1100 * 4200, "the WAL grew to {longest} bytes");
        checkpointer.truncate();
        std::thread::sleep(Duration::from_millis(100));
        assert!(
            std::fs::metadata(&wal).unwrap().len() > 0,
            "never truncated"
        );
    }

    #[test]
    fn a_writer_that_never_pauses_still_keeps_the_wal_bounded() {
        let (conn, _checkpointer, dir) = writer_db();
        let wal = dir.path().join("c.db-wal");
        let mut longest = 0;
        for _ in 0..2000 {
            write(&conn, 20);
            longest = longest.max(std::fs::metadata(&wal).unwrap().len());
        }
        // 40,000 pages written, in steps too small to let the checkpointer catch up: the
        // log never held much more than the writer's limit (16,000 frames of 4 KiB pages).
        assert!(longest < 80 << 20, "WAL reached {longest} bytes");
    }
}
