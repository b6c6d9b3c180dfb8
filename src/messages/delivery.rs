//! The delivery worker and the transport trait.
//!
//! One task takes queued messages in batches and hands each to its channel's transport.
//! A batch is marked `sending` and committed *before* any transport sees it; the answer is
//! committed after. A crash in between leaves `sending` rows, which the next start ends as
//! `failed` with [`outbox::INTERRUPTED`] rather than sending again: at most once, and the
//! log says so when a message may not have gone out.
//!
//! Each round also starts due broadcasts, takes one fan-out step of each running one, and
//! claims each one's paced share after the single sends, so a broadcast never starves them.

use super::model::Channel;
use super::outbox::{self, Outcome, Outgoing, Refusal, Retries};
use crate::broadcasts::fanout::{self, FANOUT_CHUNK, Step};
use crate::broadcasts::model::Pacer;
use crate::broadcasts::outbox as broadcasts;
use crate::channels::Router;
use crate::clock::{self, Timestamp};
use crate::db::Pool;
use crate::error::{ApiError, Result};
use crate::state::AppState;
use std::collections::HashMap;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};
use tokio::sync::Notify;

/// Single sends claimed per round; also the most of them in flight at once.
const BATCH: i64 = 256;
/// A broadcast's messages claimed per round. Each is filled in for its recipient inside
/// the writer, so the batch is kept small: a request's write never waits long behind it.
const BROADCAST_BATCH: usize = 64;
/// How often scheduled messages are checked for when nothing wakes the worker: the
/// precision of `scheduleDateTime`.
const IDLE_POLL: Duration = Duration::from_secs(1);
/// How often a running broadcast's pacer is asked for its next sends.
const PACED_POLL: Duration = Duration::from_millis(50);

pub type SendFuture<'a> = Pin<Box<dyn Future<Output = Outcome> + Send + 'a>>;

/// Hands one message to a channel: `Ok` with the provider's message id if it has one, or
/// `Err` with the provider's reason.
pub trait Transport: Send + Sync {
    fn send<'a>(&'a self, message: &'a Outgoing) -> SendFuture<'a>;
}

/// Marks messages sent and touches no network: development, tests, and channels without
/// settings (see [`crate::channels::Router`]).
pub struct Sandbox;

impl Transport for Sandbox {
    fn send<'a>(&'a self, _: &'a Outgoing) -> SendFuture<'a> {
        Box::pin(async { Ok(None) })
    }
}

/// The transport of each channel.
#[derive(Clone)]
pub struct Transports([Arc<dyn Transport>; 4]);

impl Transports {
    /// Every channel through one transport.
    pub fn all(transport: Arc<dyn Transport>) -> Transports {
        Transports(std::array::from_fn(|_| transport.clone()))
    }

    pub fn of(&self, channel: Channel) -> Arc<dyn Transport> {
        self.0[channel as usize].clone()
    }
}

impl Default for Transports {
    fn default() -> Transports {
        Transports::all(Arc::new(Sandbox))
    }
}

impl fmt::Debug for Transports {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("Transports")
    }
}

/// How the rest of the server talks to the worker.
#[derive(Default)]
pub struct Outbox {
    wake: Notify,
    stopping: AtomicBool,
}

impl Outbox {
    /// Something was queued: look now rather than at the next poll.
    pub fn wake(&self) {
        self.wake.notify_one();
    }

    /// Finish the batch in hand, then return.
    pub fn stop(&self) {
        self.stopping.store(true, Ordering::SeqCst);
        self.wake.notify_one();
    }
}

/// How the worker paces, retries and gives up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Settings {
    /// Broadcast messages a second per account; 0 is unpaced.
    pub broadcast_rate: u32,
    pub retries: Retries,
    /// A running broadcast pauses after this many of its messages failed in a row (0: never).
    pub pause_after_failures: u32,
}

impl Default for Settings {
    fn default() -> Settings {
        Settings {
            broadcast_rate: DEFAULT_BROADCAST_RATE,
            retries: Retries::default(),
            pause_after_failures: DEFAULT_PAUSE_AFTER_FAILURES,
        }
    }
}

/// The WhatsApp Cloud API's standard throughput (API.md §8).
pub const DEFAULT_BROADCAST_RATE: u32 = 80;
pub const DEFAULT_PAUSE_AFTER_FAILURES: u32 = 25;

/// Runs until [`Outbox::stop`].
pub async fn run(state: actix_web::web::Data<AppState>, router: Router, settings: Settings) {
    let now = clock::now();
    match state
        .writer
        .run(move |c| outbox::interrupt_sending(c, now))
        .await
    {
        Ok(0) => {}
        Ok(n) => log::warn!("{n} messages were being sent when the server stopped; marked failed"),
        Err(e) => log::error!("could not check for interrupted messages: {e}"),
    }
    let mut pacer = Pacer::new(settings.broadcast_rate);
    // When each broadcast's fan-out began and how many it queued, for the log.
    let mut fanouts = HashMap::new();
    while !state.outbox.stopping.load(Ordering::SeqCst) {
        let round = match take_work(&state, &mut pacer, &mut fanouts).await {
            Ok(round) => round,
            Err(e) => {
                log::error!("delivery: could not take messages: {e}");
                Round::default()
            }
        };
        if round.claimed.is_empty() {
            if !round.fanning_out {
                // Nothing to hand on: sleep until woken, the next token, or the next poll.
                let nap = if round.broadcasting {
                    PACED_POLL
                } else {
                    IDLE_POLL
                };
                let _ = tokio::time::timeout(nap, state.outbox.wake.notified()).await;
            }
            continue;
        }
        let outcomes = deliver(round.claimed, &router, &state.pool).await;
        let now = clock::now();
        if let Err(e) = state
            .writer
            .run(move |c| {
                let ended = outbox::settle(c, &outcomes, settings.retries, now)?;
                broadcasts::record_results(c, &ended, settings.pause_after_failures, now)
            })
            .await
        {
            log::error!("delivery: could not record what the transports answered: {e}");
        }
    }
}

#[derive(Default)]
struct Round {
    claimed: Vec<Outgoing>,
    /// A broadcast still has members to turn into messages.
    fanning_out: bool,
    /// A broadcast is running (its next messages wait for the pacer).
    broadcasting: bool,
}

/// One round of work: due schedules, one fan-out step per broadcast, the single sends
/// waiting, then each running broadcast's paced share.
async fn take_work(
    state: &AppState,
    pacer: &mut Pacer,
    fanouts: &mut HashMap<i64, FanOut>,
) -> Result<Round> {
    let now = clock::now();
    let (running, singles) = state
        .writer
        .run(move |c| {
            outbox::release_due(c, now)?;
            broadcasts::start_due(c, now)?;
            broadcasts::complete(c, now)?;
            Ok((broadcasts::running(c)?, outbox::claim(c, BATCH, now)?))
        })
        .await?;
    let mut round = Round {
        claimed: singles,
        fanning_out: false,
        broadcasting: !running.is_empty(),
    };
    // A step judged ahead for a broadcast that stopped running (paused, cancelled) would be
    // stale by the time it resumes.
    for (id, fanout) in fanouts.iter_mut() {
        if !running.iter().any(|b| b.id == *id) {
            fanout.next = None;
        }
    }
    // One broadcast's failure (logged) must not strand the single sends claimed above.
    for b in running {
        let id = b.id;
        match broadcast_work(state, pacer, fanouts, b, now).await {
            Ok(Some(claimed)) => round.claimed.extend(claimed),
            Ok(None) => round.fanning_out = true,
            Err(e) => log::error!("delivery: broadcast {id}: {e}"),
        }
    }
    Ok(round)
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
    state: &AppState,
    b: &broadcasts::Running,
    after: i64,
    now: Timestamp,
) -> tokio::task::JoinHandle<Result<Step>> {
    let (pool, b) = (state.pool.clone(), b.clone());
    tokio::task::spawn_blocking(move || fanout::judge(&*pool.get()?, &b, after, FANOUT_CHUNK, now))
}

/// A running broadcast's share of a round: its next fan-out step (`None` while steps
/// remain: set-wise steps back to back are the fan-out's fast path), then what the pacer
/// grants of its queue.
async fn broadcast_work(
    state: &AppState,
    pacer: &mut Pacer,
    fanouts: &mut HashMap<i64, FanOut>,
    b: broadcasts::Running,
    now: Timestamp,
) -> Result<Option<Vec<Outgoing>>> {
    if !b.fanout_done {
        let fanout = fanouts.entry(b.id).or_insert_with(|| FanOut {
            started: Instant::now(),
            queued: 0,
            next: None,
        });
        let judging = match fanout.next.take() {
            Some((after, judging)) if after == b.fanout_after => judging,
            _ => judge_on_reader(state, &b, b.fanout_after, now),
        };
        let step = judging
            .await
            .map_err(|e| ApiError::internal(format!("judging a fan-out step: {e}")))??;
        if let (Some(last), true) = (step.last, step.full(FANOUT_CHUNK)) {
            fanout.next = Some((last, judge_on_reader(state, &b, last, now)));
        }
        let run = b.clone();
        let (created, done) = state
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
        fanouts.remove(&b.id);
    }
    let granted = pacer.take(b.account_id, BROADCAST_BATCH, Instant::now());
    if granted == 0 {
        return Ok(Some(Vec::new()));
    }
    let account = b.account_id;
    let claimed = state
        .writer
        .run(move |c| broadcasts::claim(c, &b, granted, now))
        .await?;
    pacer.refund(account, granted - claimed.len());
    Ok(Some(claimed))
}

/// Hands every message to its transport at once and gathers the answers.
async fn deliver(claimed: Vec<Outgoing>, router: &Router, pool: &Pool) -> Vec<(i64, Outcome)> {
    let transports = router.for_batch(pool, &claimed);
    let mut sends = tokio::task::JoinSet::new();
    for message in claimed {
        let transport = transports[&(message.account_id, message.channel)].clone();
        sends.spawn(async move {
            let outcome = match &message.to {
                None => Err(Refusal::permanent(format!(
                    "the person no longer has a {} address",
                    message.channel.as_str()
                ))),
                Some(_) => transport.send(&message).await,
            };
            (message.id, outcome)
        });
    }
    let mut outcomes = Vec::new();
    while let Some(done) = sends.join_next().await {
        match done {
            Ok(outcome) => outcomes.push(outcome),
            Err(e) => log::error!("delivery: a transport panicked: {e}"),
        }
    }
    outcomes
}
