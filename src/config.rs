//! Settings of `switchboard serve`: defaults, overridden by `SWITCHBOARD_*` variables,
//! overridden by flags (clap reads both; see `cli`).

use crate::messages::delivery::Transports;
use crate::messages::model::OptWords;
use crate::messages::outbox::Retries;
use crate::state::SignupPolicy;
use std::path::PathBuf;

#[derive(Debug, Clone)]
pub struct Config {
    /// Address to listen on; port 0 picks a free port (tests).
    pub bind: String,
    pub db: PathBuf,
    pub signup: SignupPolicy,
    /// HTTP worker threads; `None` is one per CPU core.
    pub workers: Option<usize>,
    /// Stop on SIGTERM/SIGINT. Tests that run many servers in one process turn it off.
    pub handle_signals: bool,
    /// Seconds in-flight requests get to finish after a stop signal.
    pub shutdown_timeout: u64,
    /// Region assumed for phone numbers written without a country code (`IN`, `US`, …).
    pub default_region: Option<String>,
    /// How each channel delivers; the sandbox unless a test or a channel's settings say
    /// otherwise.
    pub transports: Transports,
    /// Broadcast messages per second per account; 0 is unpaced.
    pub broadcast_rate: u32,
    /// Incoming texts that opt a person out of broadcasts, or back in.
    pub opt_words: OptWords,
    /// How often a message a provider could not take for now is tried again.
    pub retries: Retries,
}

pub const DEFAULT_BIND: &str = "127.0.0.1:8080";
pub const DEFAULT_DB: &str = "switchboard.db";
/// The WhatsApp Cloud API's standard throughput (API.md §8).
pub const DEFAULT_BROADCAST_RATE: u32 = 80;

impl Config {
    pub fn new(bind: impl Into<String>, db: impl Into<PathBuf>) -> Config {
        Config {
            bind: bind.into(),
            db: db.into(),
            signup: SignupPolicy {
                open: false,
                plan: crate::accounts::Plan::Trial,
            },
            workers: None,
            handle_signals: true,
            shutdown_timeout: 30,
            default_region: None,
            transports: Transports::default(),
            broadcast_rate: DEFAULT_BROADCAST_RATE,
            opt_words: OptWords::default(),
            retries: Retries::default(),
        }
    }
}
