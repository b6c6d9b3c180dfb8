//! Settings of `switchboard serve`: defaults, overridden by `SWITCHBOARD_*` variables,
//! overridden by flags (clap reads both; see `cli`).

use crate::channels::provider::ProviderUrls;
use crate::delivery;
use crate::http::client::Edge;
use crate::http::state::SignupPolicy;
use crate::messages::model::OptWords;
use crate::secrets::SecretKey;
use crate::webhooks;
use std::path::PathBuf;

#[derive(Debug, Clone)]
pub struct Config {
    /// Address to listen on; port 0 picks a free port (tests).
    pub bind: String,
    pub db: PathBuf,
    pub signup: SignupPolicy,
    /// Trusted proxies and secure cookies.
    pub edge: Edge,
    /// Seals channel secrets at rest; `None` stores them as given.
    pub secret_key: Option<SecretKey>,
    /// HTTP worker threads; `None` is one per CPU core.
    pub workers: Option<usize>,
    /// Stop on SIGTERM/SIGINT. Tests that run many servers in one process turn it off.
    pub handle_signals: bool,
    /// Seconds in-flight requests get to finish after a stop signal.
    pub shutdown_timeout: u64,
    /// Region assumed for phone numbers written without a country code (`IN`, `US`, …).
    pub default_region: Option<String>,
    /// Where each provider's API is (the operator's choice, never an account's).
    pub provider_urls: ProviderUrls,
    /// Pacing, retries, and when a failing broadcast pauses.
    pub delivery: delivery::Settings,
    /// Incoming texts that opt a person out of broadcasts, or back in.
    pub opt_words: OptWords,
    /// Seconds after a broadcast message in which its recipient's message counts as a
    /// reply in the broadcast's report.
    pub reply_window: i64,
    /// Event webhooks: retries, retention, and which addresses they may reach.
    pub webhooks: webhooks::Settings,
    /// Who checkpoints the WAL: this server, or a replicator such as Litestream.
    pub wal: crate::db::WalCheckpoints,
}

pub const DEFAULT_BIND: &str = "127.0.0.1:8080";
pub const DEFAULT_DB: &str = "switchboard.db";
/// Wati's and Meta's reports count a reply within three days.
pub const DEFAULT_REPLY_WINDOW_HOURS: i64 = 72;

impl Config {
    pub fn new(bind: impl Into<String>, db: impl Into<PathBuf>) -> Config {
        Config {
            bind: bind.into(),
            db: db.into(),
            signup: SignupPolicy {
                open: false,
                plan: crate::accounts::Plan::Trial,
            },
            edge: Edge::default(),
            secret_key: None,
            workers: None,
            handle_signals: true,
            shutdown_timeout: 30,
            default_region: None,
            provider_urls: ProviderUrls::default(),
            delivery: delivery::Settings::default(),
            opt_words: OptWords::default(),
            reply_window: DEFAULT_REPLY_WINDOW_HOURS * 3600,
            webhooks: webhooks::Settings::default(),
            wal: crate::db::WalCheckpoints::Ours,
        }
    }
}
