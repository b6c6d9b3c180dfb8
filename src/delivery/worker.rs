//! The delivery worker.
//!
//! One task claims queued messages and hands each to its channel's transport, each send a
//! task of its own. A message is marked `sending` and committed *before* any transport
//! sees it; its answer is committed as soon as it comes, whatever the others do. A crash
//! in between leaves `sending` rows, which the next start ends as `failed` with
//! [`sends::INTERRUPTED`] rather than sending again: at most once, and the log says so
//! when a message may not have gone out.
//!
//! Each account has a few provider calls in flight at most ([`Slots`]): a provider that
//! never answers holds only its own account's messages, never another's.
//!
//! Each round also starts due broadcasts, takes one fan-out step of each running one, and
//! claims each one's paced share after the single sends, so a broadcast never starves them.

use super::broadcasts;
use super::fanout::{self, FANOUT_CHUNK, Step};
use super::pacing::Pacer;
use super::sends::{self, Retries};
use super::slots::Slots;
use super::transport::{Outcome, Outgoing, Refusal, Route, Routing, codes};
use crate::clock::{self, Timestamp};
use crate::db::{Pool, Writer};
use crate::error::{Error, Result};
use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};
use tokio::sync::Notify;
use tokio::task::{JoinError, JoinSet};

/// Single sends claimed per round.
const BATCH: usize = 256;
/// A broadcast's messages claimed per round. Each is filled in for its recipient inside
/// the writer, so the batch is kept small: a request's write never waits long behind it.
const BROADCAST_BATCH: usize = 64;
/// How often scheduled messages are checked for when nothing wakes the worker: the
/// precision of `scheduleDateTime`.
const IDLE_POLL: Duration = Duration::from_secs(1);
/// How often a running broadcast's pacer is asked for its next sends.
const PACED_POLL: Duration = Duration::from_millis(50);

/// How the rest of the server talks to the worker: "something was queued", and "stop".
#[derive(Clone, Default)]
pub struct Signal(Arc<Flags>);

#[derive(Default)]
struct Flags {
    wake: Notify,
    stopping: AtomicBool,
}

impl Signal {
    /// Something was queued: look now rather than at the next poll.
    pub fn wake(&self) {
        self.0.wake.notify_one();
    }

    /// Let the sends in hand finish, then return.
    pub fn stop(&self) {
        self.0.stopping.store(true, Ordering::SeqCst);
        self.0.wake.notify_one();
    }

    fn stopping(&self) -> bool {
        self.0.stopping.load(Ordering::SeqCst)
    }
}

/// The database the worker reads and writes.
#[derive(Clone)]
pub struct Db {
    pub pool: Pool,
    pub writer: Writer,
}

/// How the worker paces, retries and gives up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Settings {
    /// Broadcast messages a second per account; 0 is unpaced.
    pub broadcast_rate: u32,
    pub retries: Retries,
    /// A running broadcast pauses after this many of its messages failed in a row (0: never).
    pub pause_after_failures: u32,
    /// Provider calls of one account in flight at once.
    pub in_flight_per_account: usize,
    /// How long one provider call may take, from connecting to the whole answer.
    pub provider_timeout: Duration,
}

impl Default for Settings {
    fn default() -> Settings {
        Settings {
            broadcast_rate: DEFAULT_BROADCAST_RATE,
            retries: Retries::default(),
            pause_after_failures: DEFAULT_PAUSE_AFTER_FAILURES,
            in_flight_per_account: DEFAULT_IN_FLIGHT_PER_ACCOUNT,
            provider_timeout: Duration::from_secs(DEFAULT_PROVIDER_TIMEOUT),
        }
    }
}

/// The WhatsApp Cloud API's standard throughput (docs/api.md#broadcasts).
pub const DEFAULT_BROADCAST_RATE: u32 = 80;
pub const DEFAULT_PAUSE_AFTER_FAILURES: u32 = 25;
/// Enough for the default pacing at a provider that takes most of a second to answer.
pub const DEFAULT_IN_FLIGHT_PER_ACCOUNT: usize = 64;
/// Seconds.
pub const DEFAULT_PROVIDER_TIMEOUT: u64 = 20;

/// Runs until [`Signal::stop`], then lets the sends in hand finish.
pub async fn run(db: Db, signal: Signal, router: Arc<dyn Routing>, settings: Settings) {
    let now = clock::now();
    match db
        .writer
        .run(move |c| sends::interrupt_sending(c, now))
        .await
    {
        Ok(0) => {}
        Ok(n) => log::warn!("{n} messages were being sent when the server stopped; marked failed"),
        Err(e) => log::error!("delivery: could not check for interrupted messages: {e}"),
    }
    let mut worker = Worker {
        router,
        settings,
        pacer: Pacer::new(settings.broadcast_rate),
        fanouts: HashMap::new(),
        slots: Slots::new(settings.in_flight_per_account),
        sends: JoinSet::new(),
        sending: HashMap::new(),
        done: Vec::new(),
    };
    loop {
        worker.gather();
        let stopping = signal.stopping();
        if stopping && worker.sends.is_empty() {
            worker.settle(&db).await;
            return;
        }
        let round = if stopping {
            worker.settle(&db).await;
            Round::default()
        } else {
            match worker.take_work(&db).await {
                Ok(round) => round,
                Err(e) => {
                    log::error!("delivery: could not take messages: {e}");
                    Round::default()
                }
            }
        };
        if !round.claimed.is_empty() {
            worker.hand_over(round.claimed);
            continue;
        }
        if round.fanning_out && !stopping {
            continue;
        }
        // Nothing to hand on: wait for a send to end, a wake, the next token or the poll.
        let nap = if round.broadcasting {
            PACED_POLL
        } else {
            IDLE_POLL
        };
        tokio::select! {
            Some(ended) = worker.sends.join_next_with_id(), if !worker.sends.is_empty() => {
                worker.ended(ended);
            }
            _ = signal.0.wake.notified() => {}
            _ = tokio::time::sleep(nap) => {}
        }
    }
}

/// The worker's state between rounds.
struct Worker {
    router: Arc<dyn Routing>,
    settings: Settings,
    pacer: Pacer,
    /// When each broadcast's fan-out began and how many it queued, for the log.
    fanouts: HashMap<i64, FanOut>,
    slots: Slots,
    /// Each send in flight, a task of its own.
    sends: JoinSet<(i64, Outcome)>,
    /// Which message and account each send task serves.
    sending: HashMap<tokio::task::Id, (i64, i64)>,
    /// Answers not yet recorded.
    done: Vec<(i64, Outcome)>,
}

#[derive(Default)]
struct Round {
    claimed: Vec<Outgoing>,
    /// A broadcast still has members to turn into messages.
    fanning_out: bool,
    /// A broadcast is running (its next messages wait for the pacer).
    broadcasting: bool,
}

impl Worker {
    /// Takes the answers of every send that has ended.
    fn gather(&mut self) {
        while let Some(ended) = self.sends.try_join_next_with_id() {
            self.ended(ended);
        }
    }

    fn ended(&mut self, ended: Result<(tokio::task::Id, (i64, Outcome)), JoinError>) {
        let (task, answer) = match ended {
            Ok((task, answer)) => (task, Some(answer)),
            Err(e) => (e.id(), None),
        };
        let Some((message, account)) = self.sending.remove(&task) else {
            return;
        };
        self.slots.release(account);
        // A transport that panicked may have sent the message: its outcome is unknown.
        let answer = answer.unwrap_or_else(|| {
            log::error!("delivery: the transport of message {message} panicked");
            let why = "the transport failed while sending; it may or may not have gone out";
            (message, Err(Refusal::unknown(why)))
        });
        self.done.push(answer);
    }

    /// Records the answers gathered so far.
    async fn settle(&mut self, db: &Db) {
        if self.done.is_empty() {
            return;
        }
        let outcomes = std::mem::take(&mut self.done);
        let (settings, now) = (self.settings, clock::now());
        if let Err(e) = db
            .writer
            .run(move |c| record(c, &outcomes, settings, now))
            .await
        {
            log::error!("delivery: could not record what the transports answered: {e}");
        }
    }

    /// One round of work, in one write: the answers gathered, due schedules, then the
    /// single sends waiting (within each account's free slots); then each running
    /// broadcast's fan-out step and paced share.
    async fn take_work(&mut self, db: &Db) -> Result<Round> {
        let now = clock::now();
        let outcomes = std::mem::take(&mut self.done);
        let (settings, mut slots) = (self.settings, self.slots.clone());
        let (running, singles, slots) = db
            .writer
            .run(move |c| {
                record(c, &outcomes, settings, now)?;
                sends::release_due(c, now)?;
                broadcasts::start_due(c, now)?;
                broadcasts::complete(c, now)?;
                let running = broadcasts::running(c, now)?;
                let singles = sends::claim(c, BATCH, &mut slots, now)?;
                Ok((running, singles, slots))
            })
            .await?;
        self.slots = slots;
        let mut round = Round {
            claimed: singles,
            fanning_out: false,
            broadcasting: !running.is_empty(),
        };
        // A step judged ahead for a broadcast that stopped running (paused, cancelled)
        // would be stale by the time it resumes.
        for (id, fanout) in self.fanouts.iter_mut() {
            if !running.iter().any(|b| b.id == *id) {
                fanout.next = None;
            }
        }
        // One broadcast's failure (logged) must not strand the single sends claimed above.
        for b in running {
            let id = b.id;
            match self.broadcast_work(db, b, now).await {
                Ok(Some(claimed)) => round.claimed.extend(claimed),
                Ok(None) => round.fanning_out = true,
                Err(e) => log::error!("delivery: broadcast {id}: {e}"),
            }
        }
        Ok(round)
    }

    /// Hands every claimed message to its transport, each a task of its own.
    fn hand_over(&mut self, claimed: Vec<Outgoing>) {
        let routes = self.router.routes(&claimed);
        for message in claimed {
            let route = routes[&(message.account_id, message.channel)].clone();
            let (id, account) = (message.id, message.account_id);
            let task = self.sends.spawn(async move {
                let outcome = match (&message.to, route) {
                    (None, _) => Err(Refusal::permanent(format!(
                        "the person no longer has a {} address",
                        message.channel.as_str()
                    ))
                    .with_code(codes::NO_ADDRESS)),
                    (Some(_), Route::Refuse(refusal)) => Err(refusal),
                    (Some(_), Route::Send(transport)) => transport.send(&message).await,
                };
                (message.id, outcome)
            });
            self.sending.insert(task.id(), (id, account));
        }
    }
}

/// Records answers: each message's status, and each broadcast's run of failures.
fn record(
    c: &rusqlite::Connection,
    outcomes: &[(i64, Outcome)],
    settings: Settings,
    now: Timestamp,
) -> Result<()> {
    if outcomes.is_empty() {
        return Ok(());
    }
    let ended = sends::settle(c, outcomes, settings.retries, now)?;
    broadcasts::record_results(c, &ended, settings.pause_after_failures, now)
}

/// A broadcast's fan-out in progress: when it began, what it queued so far, and its next
/// step being judged on a reader (after which cursor) while the writer queues this one.
struct FanOut {
    started: Instant,
    queued: usize,
    next: Option<(i64, tokio::task::JoinHandle<Result<Step>>)>,
}

/// Judges a broadcast's step after `after` on a reader, off the async workers.
fn judge_on_reader(
    db: &Db,
    b: &broadcasts::Running,
    after: i64,
    now: Timestamp,
) -> tokio::task::JoinHandle<Result<Step>> {
    let (pool, b) = (db.pool.clone(), b.clone());
    tokio::task::spawn_blocking(move || fanout::judge(&*pool.get()?, &b, after, FANOUT_CHUNK, now))
}

/// A running broadcast's share of a round: its next fan-out step (`None` while steps
/// remain: set-wise steps back to back are the fan-out's fast path), then what the pacer
/// grants of its queue.
impl Worker {
    async fn broadcast_work(
        &mut self,
        db: &Db,
        b: broadcasts::Running,
        now: Timestamp,
    ) -> Result<Option<Vec<Outgoing>>> {
        // While a replicator catches up on the WAL, the queued messages still go out.
        if !b.fanout_done && db.writer.has_wal_room() {
            let fanout = self.fanouts.entry(b.id).or_insert_with(|| FanOut {
                started: Instant::now(),
                queued: 0,
                next: None,
            });
            let judging = match fanout.next.take() {
                Some((after, judging)) if after == b.fanout_after => judging,
                _ => judge_on_reader(db, &b, b.fanout_after, now),
            };
            let step = judging
                .await
                .map_err(|e| Error::internal(format!("judging a fan-out step: {e}")))??;
            if let (Some(last), true) = (step.last, step.full(FANOUT_CHUNK)) {
                fanout.next = Some((last, judge_on_reader(db, &b, last, now)));
            }
            let run = b.clone();
            let (created, done) = db
                .writer
                .run(move |c| fanout::queue(c, &run, step, FANOUT_CHUNK, now))
                .await?;
            fanout.queued += created;
            if !done {
                return Ok(None);
            }
            log::info!(
                "broadcast {}: fanned out, {} messages queued in {} ms",
                b.id,
                fanout.queued,
                fanout.started.elapsed().as_millis()
            );
            self.fanouts.remove(&b.id);
        }
        let account = b.account_id;
        let want = BROADCAST_BATCH.min(self.slots.free(account));
        let granted = self.pacer.take(account, want, Instant::now());
        if granted == 0 {
            return Ok(Some(Vec::new()));
        }
        let claimed = db
            .writer
            .run(move |c| broadcasts::claim(c, &b, granted, now))
            .await?;
        self.pacer.refund(account, granted - claimed.len());
        self.slots.take(account, claimed.len());
        Ok(Some(claimed))
    }
}
