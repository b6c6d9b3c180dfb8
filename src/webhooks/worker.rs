//! The webhook worker: dispatches recorded events, attempts due deliveries (each a task of
//! its own, at most a few per endpoint at once, so a slow or dead receiver holds only its
//! own deliveries), records the answers, and prunes old events.
//!
//! Reading, attempting and recording overlap: deliveries are fetched a lane's worth at a
//! time ([`Lanes`]), and the attempts that ended are recorded in one write while the next
//! ones are under way.
//!
//! Delivery is at least once: an attempt is recorded after its answer, so a server stopped
//! in between attempts it again at the next start, with the same `webhook-id`.

use super::lanes::Lanes;
use super::outbox::{self, Attempted, Due, Policy};
use super::send::Sender;
use crate::clock::{self, Timestamp};
use crate::contacts::names::AttributeNames;
use crate::db::{Pool, Writer};
use crate::error::{Error, Result};
use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};
use tokio::sync::Notify;
use tokio::task::{Id, JoinError, JoinSet};

/// Events dispatched per write: each write stays short.
const DISPATCH_BATCH: usize = 500;
/// How often the worker looks for new events and due deliveries when it has no reason to
/// look sooner.
const POLL: Duration = Duration::from_millis(200);
/// Deliveries fetched ahead per endpoint, as a multiple of its cap, and how long they may
/// wait before they are fetched again (they carry the endpoint's URL and secrets).
const PREFETCH_PER_SLOT: usize = 4;
const STALE_AFTER: Duration = Duration::from_secs(1);
/// How often old events are pruned, and how many at a time.
const PRUNE_EVERY: Duration = Duration::from_secs(3600);
const PRUNE_BATCH: usize = 5000;

/// How the worker retries, prunes and caps, and where it may connect.
#[derive(Debug, Clone)]
pub struct Settings {
    pub policy: Policy,
    pub destinations: super::Destinations,
    /// How long one attempt may take in all.
    pub timeout: Duration,
    /// Events older than this are deleted once no delivery waits on them.
    pub retention: Duration,
    /// Attempts in flight to one endpoint at once.
    pub in_flight_per_endpoint: usize,
}

impl Default for Settings {
    fn default() -> Settings {
        Settings {
            policy: Policy {
                schedule: Default::default(),
                disable_after: Duration::from_secs(5 * 86_400),
            },
            destinations: super::Destinations::default(),
            timeout: super::send::REQUEST_TIMEOUT,
            retention: Duration::from_secs(7 * 86_400),
            in_flight_per_endpoint: 16,
        }
    }
}

/// Stops the worker: attempts in hand finish and are recorded first.
#[derive(Clone, Default)]
pub struct Stop(Arc<(AtomicBool, Notify)>);

impl Stop {
    pub fn stop(&self) {
        self.0.0.store(true, Ordering::SeqCst);
        self.0.1.notify_one();
    }

    fn stopping(&self) -> bool {
        self.0.0.load(Ordering::SeqCst)
    }
}

/// What a task of the worker finished.
enum Finished {
    Attempt(Attempted),
    /// A write of attempts: (endpoint, delivery) of each, and how long it held the writer.
    Recorded(Vec<(i64, i64)>, Result<Duration>),
}

pub async fn run(
    pool: Pool,
    writer: Writer,
    names: Arc<AttributeNames>,
    sender: Sender,
    settings: Settings,
    stop: Stop,
) {
    let cap = settings.in_flight_per_endpoint;
    let mut w = Worker {
        pool,
        writer,
        names,
        sender: Arc::new(sender),
        lanes: Lanes::new(cap, cap * PREFETCH_PER_SLOT, STALE_AFTER),
        settings,
        tasks: JoinSet::new(),
        running: HashMap::new(),
        done: Vec::new(),
        recording: false,
        looked_at: None,
        dispatch_more: false,
        pruned_at: Instant::now() - PRUNE_EVERY,
        longest_write: Duration::ZERO,
    };
    loop {
        while let Some(finished) = w.tasks.try_join_next_with_id() {
            w.finished(finished);
        }
        w.record();
        if stop.stopping() {
            if w.tasks.is_empty() && w.done.is_empty() {
                return;
            }
        } else {
            if w.should_look()
                && let Err(e) = w.look().await
            {
                log::error!("webhooks: {e}");
            }
            w.start();
        }
        let wait = w
            .looked_at
            .map_or(Duration::ZERO, |at| POLL.saturating_sub(at.elapsed()));
        tokio::select! {
            Some(finished) = w.tasks.join_next_with_id(), if !w.tasks.is_empty() => w.finished(finished),
            _ = stop.0.1.notified() => {}
            _ = tokio::time::sleep(wait), if !stop.stopping() => {}
        }
    }
}

struct Worker {
    pool: Pool,
    writer: Writer,
    names: Arc<AttributeNames>,
    sender: Arc<Sender>,
    settings: Settings,
    lanes: Lanes,
    /// Attempts, and the write recording those that ended.
    tasks: JoinSet<Finished>,
    /// What each task is about: the (endpoint, delivery) of an attempt, none for a write.
    running: HashMap<Id, Option<(i64, i64)>>,
    /// Attempts ended and not yet being recorded.
    done: Vec<Attempted>,
    /// A write of attempts is under way: one at a time.
    recording: bool,
    looked_at: Option<Instant>,
    /// The last dispatch was a full batch: more events may be waiting.
    dispatch_more: bool,
    pruned_at: Instant,
    /// The longest the worker's own writes held the writer so far: logged when it grows,
    /// for the benchmark suite.
    longest_write: Duration,
}

impl Worker {
    fn finished(&mut self, finished: std::result::Result<(Id, Finished), JoinError>) {
        let id = match &finished {
            Ok((id, _)) => *id,
            Err(e) => e.id(),
        };
        let about = self.running.remove(&id).flatten();
        match finished {
            Ok((_, Finished::Attempt(attempted))) => {
                self.lanes.ended(attempted.endpoint_id);
                self.done.push(attempted);
            }
            Ok((_, Finished::Recorded(attempts, result))) => {
                self.recording = false;
                // Unrecorded deliveries are still pending: they are attempted again.
                self.lanes.recorded(&attempts);
                match result {
                    Ok(held) => self.held(held),
                    Err(e) => log::error!("webhooks: could not record attempts: {e}"),
                }
            }
            // A panic: the delivery stays pending, and is attempted again.
            Err(e) => {
                log::error!("webhooks: a task failed: {e}");
                match about {
                    Some((endpoint, delivery)) => {
                        self.lanes.ended(endpoint);
                        self.lanes.recorded(&[(endpoint, delivery)]);
                    }
                    None => self.recording = false,
                }
            }
        }
    }

    /// Records the attempts that ended, unless a write of them is under way already.
    fn record(&mut self) {
        if self.recording || self.done.is_empty() {
            return;
        }
        self.recording = true;
        let done = std::mem::take(&mut self.done);
        let keys = done
            .iter()
            .map(|a| (a.endpoint_id, a.delivery_id))
            .collect();
        let (policy, now) = (self.settings.policy.clone(), clock::now());
        let writer = self.writer.clone();
        let task = self.tasks.spawn(async move {
            let result = writer
                .run(move |c| timed(|| outbox::record(c, &done, &policy, now)))
                .await;
            Finished::Recorded(keys, result)
        });
        self.running.insert(task.id(), None);
    }

    fn held(&mut self, held: Duration) {
        if held > self.longest_write {
            self.longest_write = held;
            log::info!("webhooks: longest write so far {} µs", held.as_micros());
        }
    }

    fn should_look(&self) -> bool {
        self.dispatch_more
            || self.lanes.hungry()
            || self.looked_at.is_none_or(|at| at.elapsed() >= POLL)
    }

    /// Dispatches waiting events, fills the lanes with due deliveries, prunes now and then.
    async fn look(&mut self) -> Result<()> {
        self.looked_at = Some(Instant::now());
        self.dispatch_more = false;
        self.dispatch_more = self.dispatch().await? == DISPATCH_BATCH;
        self.fill().await?;
        if self.pruned_at.elapsed() >= PRUNE_EVERY {
            self.pruned_at = Instant::now();
            self.prune().await?;
        }
        Ok(())
    }

    /// Starts the attempts the lanes have room for.
    fn start(&mut self) {
        for d in self.lanes.start() {
            let sender = self.sender.clone();
            let about = Some((d.endpoint_id, d.delivery_id));
            let task = self
                .tasks
                .spawn(async move { Finished::Attempt(sender.attempt(&d).await) });
            self.running.insert(task.id(), about);
        }
    }

    async fn dispatch(&mut self) -> Result<usize> {
        let (pool, names) = (self.pool.clone(), self.names.clone());
        let rendered = read(move || {
            let conn = pool.get()?;
            let events = outbox::undispatched(&conn, DISPATCH_BATCH)?;
            events
                .into_iter()
                .map(|e| outbox::render(&conn, &names, &e).map(|body| (e, body)))
                .collect::<Result<Vec<_>>>()
        })
        .await?;
        let n = rendered.len();
        if n > 0 {
            let now = clock::now();
            let held = self
                .writer
                .run(move |c| timed(|| outbox::dispatch(c, &rendered, now).map(|_| ())))
                .await?;
            self.held(held);
        }
        Ok(n)
    }

    async fn fill(&mut self) -> Result<()> {
        let now = clock::now();
        let pool = self.pool.clone();
        let endpoints = read(move || outbox::due_endpoints(&*pool.get()?, now)).await?;
        let wanted = self.lanes.wanted(&endpoints, Instant::now());
        if wanted.is_empty() {
            return Ok(());
        }
        let pool = self.pool.clone();
        let fetched: Vec<(i64, usize, Vec<Due>)> = read(move || {
            let conn = pool.get()?;
            wanted
                .into_iter()
                .map(|(endpoint, limit)| {
                    outbox::due(&conn, endpoint, limit, now).map(|due| (endpoint, limit, due))
                })
                .collect()
        })
        .await?;
        let versions: HashMap<i64, i64> = endpoints.into_iter().collect();
        for (endpoint, limit, due) in fetched {
            let version = versions.get(&endpoint).copied().unwrap_or_default();
            self.lanes
                .fill(endpoint, version, due, limit, Instant::now());
        }
        Ok(())
    }

    async fn prune(&mut self) -> Result<()> {
        let before: Timestamp = clock::now() - self.settings.retention.as_secs() as i64;
        let pool = self.pool.clone();
        for account in read(move || outbox::accounts(&*pool.get()?)).await? {
            loop {
                let pruned = self
                    .writer
                    .run(move |c| outbox::prune(c, account, before, PRUNE_BATCH))
                    .await?;
                if pruned < PRUNE_BATCH {
                    break;
                }
            }
        }
        Ok(())
    }
}

/// Runs a read on the blocking pool.
async fn read<T: Send + 'static>(job: impl FnOnce() -> Result<T> + Send + 'static) -> Result<T> {
    tokio::task::spawn_blocking(job)
        .await
        .map_err(|e| Error::internal(format!("a webhook read stopped: {e}")))?
}

/// How long `job` took, if it succeeded.
fn timed(job: impl FnOnce() -> Result<()>) -> Result<Duration> {
    let started = Instant::now();
    job().map(|()| started.elapsed())
}
