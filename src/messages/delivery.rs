//! The delivery worker and the transport trait.
//!
//! One task takes queued messages in batches and hands each to its channel's transport.
//! A batch is marked `sending` and committed *before* any transport sees it; the answer is
//! committed after. A crash in between leaves `sending` rows, which the next start ends as
//! `failed` with [`outbox::INTERRUPTED`] rather than sending again: at most once, and the
//! log says so when a message may not have gone out.

use super::model::Channel;
use super::outbox::{self, Outcome, Outgoing};
use crate::clock;
use crate::state::AppState;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;
use tokio::sync::Notify;

/// Messages claimed per round; also the most sends in flight at once.
const BATCH: i64 = 256;
/// How often scheduled messages are checked for when nothing wakes the worker: the
/// precision of `scheduleDateTime`.
const IDLE_POLL: Duration = Duration::from_secs(1);

pub type SendFuture<'a> = Pin<Box<dyn Future<Output = Outcome> + Send + 'a>>;

/// Hands one message to a channel: `Ok` with the provider's message id if it has one, or
/// `Err` with the provider's reason.
pub trait Transport: Send + Sync {
    fn send<'a>(&'a self, message: &'a Outgoing) -> SendFuture<'a>;
}

/// Marks messages sent and touches no network: development, tests, and channels without
/// settings.
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

    fn of(&self, channel: Channel) -> Arc<dyn Transport> {
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

/// Runs until [`Outbox::stop`].
pub async fn run(state: actix_web::web::Data<AppState>, transports: Transports) {
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
    while !state.outbox.stopping.load(Ordering::SeqCst) {
        let now = clock::now();
        let claimed = state
            .writer
            .run(move |c| {
                outbox::release_due(c, now)?;
                outbox::claim(c, BATCH, now)
            })
            .await;
        let claimed = match claimed {
            Ok(claimed) => claimed,
            Err(e) => {
                log::error!("delivery: could not claim messages: {e}");
                Vec::new()
            }
        };
        if claimed.is_empty() {
            // Nothing waiting: sleep until woken or the next poll.
            let _ = tokio::time::timeout(IDLE_POLL, state.outbox.wake.notified()).await;
            continue;
        }
        let outcomes = deliver(claimed, &transports).await;
        let now = clock::now();
        if let Err(e) = state
            .writer
            .run(move |c| outbox::settle(c, &outcomes, now))
            .await
        {
            log::error!("delivery: could not record what the transports answered: {e}");
        }
    }
}

/// Hands every message to its transport at once and gathers the answers.
async fn deliver(claimed: Vec<Outgoing>, transports: &Transports) -> Vec<(i64, Outcome)> {
    let mut sends = tokio::task::JoinSet::new();
    for message in claimed {
        let transport = transports.of(message.channel);
        sends.spawn(async move {
            let outcome = match &message.to {
                None => Err(format!(
                    "the person no longer has a {} address",
                    message.channel.as_str()
                )),
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
