//! The single writer: one thread owns the only writing connection of the server.
//!
//! Callers hand it a closure and await the result. The thread takes every job waiting in
//! its queue, runs each inside its own savepoint (a failing job rolls back only itself),
//! commits them all in one transaction, and only then answers each caller. One fsync
//! thus serves many requests, `synchronous=FULL` stays affordable, and there is never a
//! second writer to meet `SQLITE_BUSY`. A bulk job (an import batch) runs without a
//! savepoint, in a transaction shared only with the next jobs of its series: see
//! [`Writer::submit_alone`].

use super::checkpointer::Checkpointer;
use super::wal_room::{self, Room, WalRoom};
use crate::error::Error;
use rusqlite::{Connection, TransactionBehavior};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use tokio::sync::oneshot;

/// Most jobs committed in one transaction; bounds the latency one batch can add.
const MAX_BATCH: usize = 512;
/// Most bulk jobs of one series committed in one transaction: bounds what a failure
/// undoes and the pages one commit writes.
pub const MAX_SERIES: usize = 4;

type Job = Box<dyn FnOnce(&Connection) -> Box<dyn Finish> + Send>;

enum Message {
    Job(Job),
    /// A bulk job of a series, committed without a savepoint ([`Writer::submit_alone`]).
    Alone(Job, i64),
    /// Copy the WAL back into the database and truncate it (after bulk writes).
    Checkpoint,
    Stop,
}

/// A job that has run and waits for the commit to answer its caller.
trait Finish {
    /// The job's own error, if it failed.
    fn failure(&self) -> Option<&Error>;
    fn finish(self: Box<Self>, commit: Result<(), Error>);
}

struct Pending<T> {
    result: Result<T, Error>,
    reply: oneshot::Sender<Result<T, Error>>,
}

impl<T> Finish for Pending<T> {
    fn failure(&self) -> Option<&Error> {
        self.result.as_ref().err()
    }

    fn finish(self: Box<Self>, commit: Result<(), Error>) {
        let answer = commit.and(self.result);
        // The caller may have gone away (client disconnected); the write stands regardless.
        let _ = self.reply.send(answer);
    }
}

/// A write handed to the writer, whose answer comes after its commit.
pub struct Submitted<T>(Option<oneshot::Receiver<Result<T, Error>>>);

fn lost<T>() -> Result<T, Error> {
    Err(Error::unavailable(
        "the server is shutting down; the write was not made",
    ))
}

impl<T> Submitted<T> {
    /// Waits on a thread that may block (never an async worker).
    pub fn wait(self) -> Result<T, Error> {
        match self.0 {
            Some(answer) => answer.blocking_recv().unwrap_or_else(|_| lost()),
            None => lost(),
        }
    }
}

impl<T: Send + 'static> std::future::IntoFuture for Submitted<T> {
    type Output = Result<T, Error>;
    type IntoFuture = std::pin::Pin<Box<dyn std::future::Future<Output = Self::Output> + Send>>;

    fn into_future(self) -> Self::IntoFuture {
        Box::pin(async move {
            match self.0 {
                Some(answer) => answer.await.unwrap_or_else(|_| lost()),
                None => lost(),
            }
        })
    }
}

#[derive(Clone)]
pub struct Writer {
    queue: mpsc::Sender<Message>,
    thread: Arc<Mutex<Option<JoinHandle<()>>>>,
    room: Arc<WalRoom>,
}

impl Writer {
    pub fn start(conn: Connection, checkpointer: Checkpointer, room: WalRoom) -> Writer {
        let (queue, inbox) = mpsc::channel();
        let thread = std::thread::Builder::new()
            .name("sqlite-writer".into())
            .spawn(move || run(conn, inbox, checkpointer))
            .expect("cannot start the writer thread");
        Writer {
            queue,
            thread: Arc::new(Mutex::new(Some(thread))),
            room: Arc::new(room),
        }
    }

    /// True when a bulk write (an import batch, a fan-out step) may be queued now: not
    /// while a replicator has a long WAL to catch up on ([`WalRoom`]), which is nudged.
    pub fn has_wal_room(&self) -> bool {
        match self.room.check() {
            Room::Free => true,
            Room::Full { nudge } => {
                if nudge {
                    let now = crate::clock::now();
                    // Not awaited: the nudge commits on its own, and its answer tells nothing.
                    let _ = self.submit(move |conn| Ok(wal_room::nudge(conn, now)?));
                }
                false
            }
        }
    }

    /// Waits, on a thread that may block, until a bulk write may be queued.
    pub fn wait_for_wal_room(&self) {
        while !self.has_wal_room() {
            std::thread::sleep(wal_room::POLL);
        }
    }

    /// Runs `work` on the writing connection inside the next group commit. A `200` may be
    /// sent once this returns `Ok`: the transaction holding the change is committed.
    pub async fn run<T, F>(&self, work: F) -> Result<T, Error>
    where
        F: FnOnce(&Connection) -> Result<T, Error> + Send + 'static,
        T: Send + 'static,
    {
        self.submit(work).await
    }

    /// Queues `work` and returns at once; the answer arrives (after the commit) through the
    /// returned [`Submitted`], awaited, or waited for from a blocking thread. Lets a bulk
    /// import prepare its next batch while the writer commits the last one.
    pub fn submit<T, F>(&self, work: F) -> Submitted<T>
    where
        F: FnOnce(&Connection) -> Result<T, Error> + Send + 'static,
        T: Send + 'static,
    {
        self.queue_job(work, Message::Job)
    }

    /// [`Writer::submit`] for a job that writes many rows, one of a `series` (an account's
    /// import). It runs without a savepoint, which would make SQLite copy every page the
    /// job changes to a sub-journal first, in case it fails: for an import batch, thousands
    /// of pages. Its transaction holds no job of anyone else; the next jobs of its series
    /// already queued (up to [`MAX_SERIES`] in all) join it, so a page they all change is
    /// written to the WAL once, not once a job. A failure rolls the whole transaction back,
    /// and every job in it is answered with an error.
    pub fn submit_alone<T, F>(&self, series: i64, work: F) -> Submitted<T>
    where
        F: FnOnce(&Connection) -> Result<T, Error> + Send + 'static,
        T: Send + 'static,
    {
        self.queue_job(work, |job| Message::Alone(job, series))
    }

    fn queue_job<T, F>(&self, work: F, message: impl FnOnce(Job) -> Message) -> Submitted<T>
    where
        F: FnOnce(&Connection) -> Result<T, Error> + Send + 'static,
        T: Send + 'static,
    {
        let (reply, answer) = oneshot::channel();
        let job: Job = Box::new(move |conn| {
            Box::new(Pending {
                result: work(conn),
                reply,
            })
        });
        match self.queue.send(message(job)) {
            Ok(()) => Submitted(Some(answer)),
            Err(_) => Submitted(None),
        }
    }

    /// Asks for a WAL checkpoint once the queued jobs are committed. After a bulk import
    /// the WAL holds the whole import; until it is copied back, every read consults it.
    pub fn checkpoint(&self) {
        let _ = self.queue.send(Message::Checkpoint);
    }

    /// Finishes every job already queued, then stops the thread. Later `run`s fail with 503.
    pub fn shutdown(&self) {
        let _ = self.queue.send(Message::Stop);
        let thread = self.thread.lock().map(|mut t| t.take()).unwrap_or(None);
        if let Some(thread) = thread
            && thread.join().is_err()
        {
            log::error!("the writer thread panicked");
        }
    }
}

fn run(mut conn: Connection, inbox: mpsc::Receiver<Message>, checkpointer: Checkpointer) {
    let mut stopping = false;
    // A job taken off the queue that must not join the batch being gathered.
    let mut held = None;
    while !stopping {
        let mut batch = match held.take().map_or_else(|| inbox.recv(), Ok) {
            Ok(Message::Job(job)) => vec![job],
            Ok(Message::Alone(job, series)) => {
                held = commit_series(&mut conn, &inbox, job, series);
                continue;
            }
            Ok(Message::Checkpoint) => {
                checkpointer.truncate();
                continue;
            }
            Ok(Message::Stop) | Err(_) => break,
        };
        let mut then_checkpoint = false;
        while batch.len() < MAX_BATCH && !then_checkpoint {
            match inbox.try_recv() {
                Ok(Message::Job(job)) => batch.push(job),
                Ok(alone @ Message::Alone(..)) => {
                    held = Some(alone);
                    break;
                }
                Ok(Message::Checkpoint) => then_checkpoint = true,
                Ok(Message::Stop) => {
                    stopping = true;
                    break;
                }
                Err(_) => break,
            }
        }
        commit_batch(&mut conn, batch);
        if then_checkpoint {
            checkpointer.truncate();
        }
    }
}

fn commit_batch(conn: &mut Connection, batch: Vec<Job>) {
    // A job dropped unrun drops its reply sender; its caller then gets a 503.
    let mut tx = match conn.transaction_with_behavior(TransactionBehavior::Immediate) {
        Ok(tx) => tx,
        Err(e) => {
            log::error!("cannot begin a write transaction: {e}");
            return;
        }
    };
    let mut done: Vec<Box<dyn Finish>> = Vec::with_capacity(batch.len());
    for job in batch {
        let savepoint = match tx.savepoint() {
            Ok(sp) => sp,
            Err(e) => {
                log::error!("cannot open a savepoint: {e}");
                continue;
            }
        };
        match catch_unwind(AssertUnwindSafe(|| job(&savepoint))) {
            // A failed job's savepoint rolls back when dropped; its answer (the job's own
            // error) does not depend on the commit, so it goes out at once.
            Ok(finish) if finish.failure().is_some() => finish.finish(Ok(())),
            Ok(finish) => match savepoint.commit() {
                Ok(()) => done.push(finish),
                Err(e) => finish.finish(Err(Error::from(e))),
            },
            Err(_) => log::error!("a write job panicked; its changes were rolled back"),
        }
    }
    let commit = tx.commit().map_err(Error::from);
    for finish in done {
        finish.finish(commit.clone());
    }
}

/// Runs `job` and the jobs of its series queued behind it in one transaction. Returns the
/// message that ended the series, for the main loop to handle next.
fn commit_series(
    conn: &mut Connection,
    inbox: &mpsc::Receiver<Message>,
    job: Job,
    series: i64,
) -> Option<Message> {
    let tx = match conn.transaction_with_behavior(TransactionBehavior::Immediate) {
        Ok(tx) => tx,
        Err(e) => {
            log::error!("cannot begin a write transaction: {e}");
            return None;
        }
    };
    let mut done: Vec<Box<dyn Finish>> = Vec::with_capacity(MAX_SERIES);
    let mut job = job;
    let after = loop {
        match catch_unwind(AssertUnwindSafe(|| job(&tx))) {
            Ok(finish) if finish.failure().is_none() => done.push(finish),
            // The transaction rolls back before anyone is answered; the jobs it undid are
            // answered with the cause (a full disk says so, and when to come back).
            failed => {
                drop(tx);
                let cause = match failed {
                    Ok(finish) => {
                        let cause = finish.failure().cloned();
                        finish.finish(Ok(()));
                        cause
                    }
                    Err(_) => {
                        log::error!("a write job panicked; its changes were rolled back");
                        None
                    }
                };
                let cause = cause.unwrap_or_else(|| {
                    Error::unavailable("the write was rolled back with a job after it")
                });
                for finish in done {
                    finish.finish(Err(cause.clone()));
                }
                return None;
            }
        }
        if done.len() == MAX_SERIES {
            break None;
        }
        match inbox.try_recv() {
            Ok(Message::Alone(next, same)) if same == series => job = next,
            Ok(other) => break Some(other),
            Err(_) => break None,
        }
    };
    let commit = tx.commit().map_err(Error::from);
    for finish in done {
        finish.finish(commit.clone());
    }
    after
}

#[cfg(test)]
mod tests {
    use super::*;

    fn writer() -> (Writer, tempfile::TempDir) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("w.db");
        let mut conn = crate::db::open_connection(&path, false).unwrap();
        conn.execute_batch("CREATE TABLE t (x INTEGER UNIQUE)")
            .unwrap();
        let checkpointer = Checkpointer::start(&mut conn, &path).unwrap();
        (Writer::start(conn, checkpointer, WalRoom::unbounded()), dir)
    }

    #[tokio::test]
    async fn a_failing_job_does_not_undo_its_neighbours() {
        let (writer, _dir) = writer();
        let insert = |x: i64| {
            let w = writer.clone();
            async move {
                w.run(move |c| {
                    c.execute("INSERT INTO t (x) VALUES (?1)", [x])?;
                    Ok(x)
                })
                .await
            }
        };
        let (a, b, c) = tokio::join!(insert(1), insert(1), insert(2));
        let oks = [&a, &b, &c].iter().filter(|r| r.is_ok()).count();
        assert_eq!(oks, 2, "{a:?} {b:?} {c:?}");
        let count = writer
            .run(|c| Ok(c.query_row("SELECT count(*) FROM t", [], |r| r.get::<_, i64>(0))?))
            .await
            .unwrap();
        assert_eq!(count, 2);
        writer.shutdown();
    }

    /// A job run alone commits in order with the others, and a failure rolls it back whole
    /// (the row it wrote before failing too) without touching the jobs around it.
    #[tokio::test]
    async fn a_job_run_alone_fails_whole_and_leaves_its_neighbours() {
        let (writer, _dir) = writer();
        let insert =
            |x: i64| move |c: &Connection| Ok(c.execute("INSERT INTO t VALUES (?1)", [x])?);
        let before = writer.submit(insert(1));
        let failing = writer.submit_alone(1, |c| {
            c.execute("INSERT INTO t VALUES (2)", [])?;
            Ok(c.execute("INSERT INTO t VALUES (1)", [])?)
        });
        let after = writer.submit(insert(3));
        let alone = writer.submit_alone(1, insert(4));
        let last = writer.submit(insert(5));
        assert_eq!(before.await, Ok(1));
        assert!(failing.await.is_err());
        assert_eq!(after.await, Ok(1));
        assert_eq!(alone.await, Ok(1));
        assert_eq!(last.await, Ok(1));
        let stored = writer
            .run(|c| {
                let mut stmt = c.prepare("SELECT x FROM t ORDER BY x")?;
                let xs = stmt.query_map([], |r| r.get::<_, i64>(0))?;
                Ok(xs.collect::<Result<Vec<_>, _>>()?)
            })
            .await
            .unwrap();
        assert_eq!(stored, [1, 3, 4, 5]);
        writer.shutdown();
    }

    /// Keeps the writer busy until the sender is dropped or sent to, so that the jobs
    /// submitted meanwhile meet in its queue.
    fn hold(writer: &Writer) -> mpsc::Sender<()> {
        let (release, held) = mpsc::channel::<()>();
        let _ = writer.submit(move |_| {
            let _ = held.recv();
            Ok(())
        });
        release
    }

    fn stored(writer: &Writer) -> Vec<i64> {
        let all = writer.submit(|c| {
            let mut stmt = c.prepare("SELECT x FROM t ORDER BY x")?;
            let xs = stmt.query_map([], |r| r.get::<_, i64>(0))?;
            Ok(xs.collect::<Result<Vec<_>, _>>()?)
        });
        all.wait().unwrap()
    }

    /// Bulk jobs of one series queued together share a transaction: one failing undoes the
    /// jobs of its series before it, answered with errors, and nothing of anyone else's.
    #[test]
    fn a_series_fails_together_and_leaves_other_series_and_jobs() {
        let (writer, _dir) = writer();
        let insert =
            |x: i64| move |c: &Connection| Ok(c.execute("INSERT INTO t VALUES (?1)", [x])?);
        let release = hold(&writer);
        let other = writer.submit_alone(2, insert(20));
        let first = writer.submit_alone(1, insert(10));
        let second = writer.submit_alone(1, insert(11));
        let failing = writer.submit_alone(1, insert(10));
        let job = writer.submit(insert(30));
        release.send(()).unwrap();
        // The jobs undone are answered with the failing job's own error.
        let cause = failing.wait().unwrap_err();
        assert!(
            cause.cause.as_ref().is_some_and(|c| c.contains("UNIQUE")),
            "{cause:?}"
        );
        assert_eq!(first.wait(), Err(cause.clone()));
        assert_eq!(second.wait(), Err(cause));
        assert_eq!(other.wait(), Ok(1));
        assert_eq!(job.wait(), Ok(1));
        assert_eq!(stored(&writer), [20, 30]);
        writer.shutdown();
    }

    /// A transaction holds at most MAX_SERIES jobs of a series: a failure after them
    /// leaves them committed.
    #[test]
    fn a_series_commits_every_max_series_jobs() {
        let (writer, _dir) = writer();
        let release = hold(&writer);
        let jobs: Vec<_> = (1..=MAX_SERIES as i64 + 2)
            .map(|x| {
                // The last repeats the one before it, which the unique column refuses.
                let x = x.min(MAX_SERIES as i64 + 1);
                writer.submit_alone(7, move |c| Ok(c.execute("INSERT INTO t VALUES (?1)", [x])?))
            })
            .collect();
        release.send(()).unwrap();
        let answers: Vec<bool> = jobs.into_iter().map(|j| j.wait().is_ok()).collect();
        let mut expected = vec![true; MAX_SERIES];
        expected.extend([false, false]);
        assert_eq!(answers, expected);
        assert_eq!(stored(&writer), (1..=MAX_SERIES as i64).collect::<Vec<_>>());
        writer.shutdown();
    }

    #[tokio::test]
    async fn a_panicking_job_fails_alone_and_the_writer_lives_on() {
        let (writer, _dir) = writer();
        let result: Result<(), Error> = writer.run(|_| panic!("boom")).await;
        assert!(result.is_err());
        let ok = writer
            .run(|c| Ok(c.execute("INSERT INTO t VALUES (5)", [])?))
            .await;
        assert_eq!(ok, Ok(1));
        writer.shutdown();
        assert!(
            writer.run(|_| Ok(())).await.is_err(),
            "stopped writer refuses"
        );
    }
}
