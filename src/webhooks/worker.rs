//! The webhook worker: dispatches recorded events, attempts due deliveries (each a task of
//! its own, a few per endpoint at most, so a slow or dead receiver holds only its own
//! deliveries), records the answers, and prunes old events.
//!
//! Delivery is at least once: an attempt is recorded after its answer, so a server stopped
//! in between attempts it again at the next start, with the same `webhook-id`.

use super::outbox::{self, Attempted, Due, Policy};
use super::send::Sender;
use crate::clock::{self, Timestamp};
use crate::contacts::names::AttributeNames;
use crate::db::{Pool, Writer};
use crate::error::{Error, Result};
use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};
use tokio::sync::Notify;
use tokio::task::JoinSet;

/// Events dispatched per write: each write stays short.
const DISPATCH_BATCH: usize = 500;
/// How often the worker looks for work when nothing is in flight.
const POLL: Duration = Duration::from_millis(200);
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

pub async fn run(
    pool: Pool,
    writer: Writer,
    names: Arc<AttributeNames>,
    sender: Sender,
    settings: Settings,
    stop: Stop,
) {
    let sender = Arc::new(sender);
    let mut w = Worker {
        pool,
        writer,
        names,
        settings,
        attempts: JoinSet::new(),
        in_flight: HashSet::new(),
        per_endpoint: HashMap::new(),
        done: Vec::new(),
        pruned_at: Instant::now() - PRUNE_EVERY,
    };
    loop {
        while let Some(ended) = w.attempts.try_join_next() {
            w.ended(ended);
        }
        if let Err(e) = w.record().await {
            log::error!("webhooks: could not record attempts: {e}");
        }
        if stop.stopping() {
            if w.attempts.is_empty() {
                return;
            }
        } else {
            let busy = match w.round(&sender).await {
                Ok(busy) => busy,
                Err(e) => {
                    log::error!("webhooks: {e}");
                    false
                }
            };
            if busy {
                continue;
            }
        }
        tokio::select! {
            Some(ended) = w.attempts.join_next(), if !w.attempts.is_empty() => w.ended(ended),
            _ = stop.0.1.notified() => {}
            _ = tokio::time::sleep(POLL) => {}
        }
    }
}

struct Worker {
    pool: Pool,
    writer: Writer,
    names: Arc<AttributeNames>,
    settings: Settings,
    attempts: JoinSet<Attempted>,
    /// Deliveries being attempted, and how many per endpoint.
    in_flight: HashSet<i64>,
    per_endpoint: HashMap<i64, usize>,
    /// Attempts ended and not yet recorded.
    done: Vec<Attempted>,
    pruned_at: Instant,
}

impl Worker {
    fn ended(&mut self, ended: std::result::Result<Attempted, tokio::task::JoinError>) {
        // A task that panicked leaves its delivery pending: it is attempted again.
        let Ok(attempted) = ended else {
            log::error!("webhooks: an attempt panicked");
            return;
        };
        self.in_flight.remove(&attempted.delivery_id);
        if let Some(n) = self.per_endpoint.get_mut(&attempted.endpoint_id) {
            *n = n.saturating_sub(1);
        }
        self.done.push(attempted);
    }

    async fn record(&mut self) -> Result<()> {
        if self.done.is_empty() {
            return Ok(());
        }
        let done = std::mem::take(&mut self.done);
        let (policy, now) = (self.settings.policy.clone(), clock::now());
        self.writer
            .run(move |c| outbox::record(c, &done, &policy, now))
            .await
    }

    /// Dispatches waiting events, starts due attempts, prunes now and then. True when
    /// there may be more to do at once.
    async fn round(&mut self, sender: &Arc<Sender>) -> Result<bool> {
        let dispatched = self.dispatch().await?;
        let started = self.start_due(sender).await?;
        if self.pruned_at.elapsed() >= PRUNE_EVERY {
            self.pruned_at = Instant::now();
            self.prune().await?;
        }
        Ok(dispatched == DISPATCH_BATCH || started > 0)
    }

    async fn dispatch(&mut self) -> Result<usize> {
        let (pool, names) = (self.pool.clone(), self.names.clone());
        let rendered = tokio::task::spawn_blocking(move || -> Result<_> {
            let conn = pool.get()?;
            let events = outbox::undispatched(&conn, DISPATCH_BATCH)?;
            events
                .into_iter()
                .map(|e| outbox::render(&conn, &names, &e).map(|body| (e, body)))
                .collect::<Result<Vec<_>>>()
        })
        .await
        .map_err(|e| Error::internal(format!("rendering events: {e}")))??;
        let n = rendered.len();
        if n > 0 {
            let now = clock::now();
            self.writer
                .run(move |c| outbox::dispatch(c, &rendered, now))
                .await?;
        }
        Ok(n)
    }

    /// Starts attempts of due deliveries, within each endpoint's cap.
    async fn start_due(&mut self, sender: &Arc<Sender>) -> Result<usize> {
        let cap = self.settings.in_flight_per_endpoint;
        let pool = self.pool.clone();
        let busy: HashMap<i64, usize> = self.per_endpoint.clone();
        let skip = self.in_flight.clone();
        let now = clock::now();
        let due: Vec<Due> = tokio::task::spawn_blocking(move || -> Result<_> {
            let conn = pool.get()?;
            let mut due = Vec::new();
            for endpoint in outbox::due_endpoints(&conn, now)? {
                let taken = busy.get(&endpoint).copied().unwrap_or(0);
                if taken >= cap {
                    continue;
                }
                // In-flight deliveries are still due: ask for enough to skip them.
                let batch = outbox::due(&conn, endpoint, cap, now)?;
                due.extend(
                    batch
                        .into_iter()
                        .filter(|d| !skip.contains(&d.delivery_id))
                        .take(cap - taken),
                );
            }
            Ok(due)
        })
        .await
        .map_err(|e| Error::internal(format!("reading due deliveries: {e}")))??;
        let started = due.len();
        for d in due {
            self.in_flight.insert(d.delivery_id);
            *self.per_endpoint.entry(d.endpoint_id).or_default() += 1;
            let sender = sender.clone();
            self.attempts.spawn(async move { sender.attempt(&d).await });
        }
        Ok(started)
    }

    async fn prune(&mut self) -> Result<()> {
        let before: Timestamp = clock::now() - self.settings.retention.as_secs() as i64;
        loop {
            let n = self
                .writer
                .run(move |c| outbox::prune(c, before, PRUNE_BATCH))
                .await?;
            if n < PRUNE_BATCH {
                return Ok(());
            }
        }
    }
}
