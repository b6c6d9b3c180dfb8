//! What a transport is, and what it answers: the trait the providers' protocols implement
//! (`channels`), the sandbox, and how the worker learns which one serves a message
//! ([`Routing`]). No SQL, no HTTP.

use crate::messages::model::{Channel, Content, Kind};
use std::collections::HashMap;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

/// A claimed message, ready for its channel's transport.
#[derive(Debug, Clone)]
pub struct Outgoing {
    pub id: i64,
    pub account_id: i64,
    pub channel: Channel,
    pub kind: Kind,
    /// The person's address on the channel now (phone or channel id); `None` if removed
    /// since the message was accepted.
    pub to: Option<String>,
    pub content: Content,
}

#[cfg(test)]
impl Outgoing {
    /// Message 1 of account 1 to `to`, for the transports' unit tests.
    pub fn sample(channel: Channel, to: &str, kind: Kind, content: Content) -> Outgoing {
        Outgoing {
            id: 1,
            account_id: 1,
            channel,
            kind,
            to: Some(to.to_string()),
            content,
        }
    }
}

/// Why a transport did not deliver a message. `retry` is set when trying again may work
/// because the provider certainly did not act (a refused connection, a rate limit, "try
/// later"), with the provider's own wait if it named one. `code` is the log's `errorCode`:
/// the provider's own code when it gave one, else ours (see [`codes`]).
#[derive(Debug, Clone, PartialEq)]
pub struct Refusal {
    pub reason: String,
    pub code: Option<String>,
    pub retry: Option<Option<Duration>>,
}

/// Our error codes, for failures the provider did not name.
pub mod codes {
    /// The provider may or may not have acted (no answer after the request was written,
    /// or a fault other than "try later"): never resent automatically.
    pub const OUTCOME_UNKNOWN: &str = "outcome_unknown";
    /// The server stopped while the message was with the transport.
    pub const INTERRUPTED: &str = "interrupted";
    /// The provider could not be reached: nothing was sent.
    pub const UNREACHABLE: &str = "unreachable";
    pub const RATE_LIMITED: &str = "rate_limited";
    pub const PROVIDER_UNAVAILABLE: &str = "provider_unavailable";
    /// The channel's settings could not be read just now (retried).
    pub const SETTINGS_UNAVAILABLE: &str = "settings_unavailable";
    /// The stored settings no longer read, or lack what a send needs.
    pub const SETTINGS_UNREADABLE: &str = "settings_unreadable";
    /// The message's own stored data (channel, kind, content) no longer reads.
    pub const STORED_DATA_UNREADABLE: &str = "stored_data_unreadable";
    /// The person has no address on the channel any more.
    pub const NO_ADDRESS: &str = "no_address";
    /// A kept file could not be read just now (retried).
    pub const FILE_UNAVAILABLE: &str = "file_unavailable";
    /// A kept file a message sends is gone.
    pub const FILE_MISSING: &str = "file_missing";
    /// The provider did not confirm a file's upload; the message itself was not sent.
    pub const UPLOAD_FAILED: &str = "upload_failed";
}

impl Refusal {
    pub fn permanent(reason: impl Into<String>) -> Refusal {
        Refusal {
            reason: reason.into(),
            code: None,
            retry: None,
        }
    }

    pub fn transient(reason: impl Into<String>, wait: Option<Duration>) -> Refusal {
        Refusal {
            reason: reason.into(),
            code: None,
            retry: Some(wait),
        }
    }

    /// The provider may have acted: final, and never resent on our own.
    pub fn unknown(reason: impl Into<String>) -> Refusal {
        Refusal::permanent(reason).with_code(codes::OUTCOME_UNKNOWN)
    }

    pub fn with_code(self, code: impl Into<String>) -> Refusal {
        Refusal {
            code: Some(code.into()),
            ..self
        }
    }
}

/// What a transport made of a message: the provider's id, or why it did not go.
pub type Outcome = std::result::Result<Option<String>, Refusal>;

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

/// How one (account, channel) delivers now: through a transport, or not at all, and why.
#[derive(Clone)]
pub enum Route {
    Send(Arc<dyn Transport>),
    Refuse(Refusal),
}

/// Picks how each message of a batch is delivered (`channels::Router`, from each account's
/// channel settings).
pub trait Routing: Send + Sync {
    fn routes(&self, batch: &[Outgoing]) -> HashMap<(i64, Channel), Route>;
}
