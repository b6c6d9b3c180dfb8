//! What every request handler can reach: the database, caches and counters.

use crate::accounts::Plan;
use crate::auth::keys::KeyCache;
use crate::auth::password::HashGate;
use crate::auth::throttle::LoginThrottle;
use crate::channels::hooks::Hooks;
use crate::contacts::gate::ImportGate;
use crate::contacts::names::AttributeNames;
use crate::contacts::phone::PhoneRules;
use crate::db::{Pool, Writer};
use crate::delivery;
use crate::http::client::Edge;
use crate::idempotency::InFlight;
use crate::messages::model::OptWords;
use crate::ratelimit::RateLimiter;
use crate::secrets::SecretKey;
use crate::webhooks;
use std::path::PathBuf;
use std::sync::Arc;

pub struct AppState {
    pub pool: Pool,
    pub writer: Writer,
    pub keys: KeyCache,
    pub attribute_names: Arc<AttributeNames>,
    pub limiter: RateLimiter,
    pub login_throttle: LoginThrottle,
    pub hashing: HashGate,
    /// How many imports run at once.
    pub imports: ImportGate,
    /// Seals and opens channel secrets at rest (`--secret-key-file`).
    pub secret_key: Option<SecretKey>,
    /// The providers' APIs, for calls a request makes (a template sync).
    pub providers: crate::channels::provider::Providers,
    /// Which proxies' forwarded headers count, and whether cookies are always `Secure`.
    pub edge: Edge,
    pub signup: SignupPolicy,
    pub phones: PhoneRules,
    /// Wakes and stops the delivery worker.
    pub delivery: delivery::Signal,
    /// Webhooks' per-account caps and the channel settings they check signatures with.
    pub hooks: Hooks,
    pub idempotency: InFlight,
    pub opt_words: OptWords,
    /// Seconds in which a person's message counts as a reply to a broadcast's.
    pub reply_window: i64,
    /// Where large uploads wait while they are read: the database's directory (on disk,
    /// where `/tmp` may be memory).
    pub uploads: PathBuf,
    /// Event webhooks' settings, and the client their attempts go through.
    pub webhooks: webhooks::Settings,
    pub webhook_sender: webhooks::Sender,
}

/// Who may create an account on the admin page.
#[derive(Debug, Clone, Copy)]
pub struct SignupPolicy {
    /// Anyone may sign up, not only the first person on an empty database.
    pub open: bool,
    /// The plan of accounts created by open sign-up. The first account, the installation's
    /// owner, is always `unlimited`.
    pub plan: Plan,
}
