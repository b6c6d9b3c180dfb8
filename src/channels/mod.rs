//! The providers: each account's channel settings ([`model`], [`store`]), the providers'
//! protocols (transports and webhook bodies: [`whatsapp`], [`telegram`], [`meta`],
//! [`send_api`]; a WhatsApp Business Account's templates: [`waba`]), where their APIs are
//! and how they are called ([`provider`]), and the [`Router`] that picks each message's
//! transport for the delivery worker. A channel without settings keeps the
//! sandbox, so development needs no provider account. The webhook routes are in
//! `http::api::webhooks`.

pub mod hooks;
pub mod meta;
pub mod model;
pub mod provider;
pub mod send_api;
pub mod store;
pub mod telegram;
pub mod waba;
pub mod whatsapp;

use crate::clock::Timestamp;
use crate::db::Pool;
use crate::delivery::transport::{Outgoing, Refusal, codes};
use crate::delivery::transport::{Route, Routing, Transport, Transports};
use crate::messages::incoming::Incoming;
use crate::messages::model::{Channel, Receipt, Status};
use crate::secrets::SecretKey;
use crate::templates::approval::Change;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

/// What one webhook call reports: messages people sent, and status changes of ours.
#[derive(Debug, Default, PartialEq)]
pub struct Update {
    pub incoming: Vec<Incoming>,
    /// Status callbacks of messages the provider knows by its own id.
    pub statuses: Vec<Receipt>,
    /// Messenger's receipts without message ids: everything sent to a person until then.
    pub watermarks: Vec<Watermark>,
    /// WhatsApp templates whose approval changed.
    pub templates: Vec<Change>,
}

/// "Every message sent to `person` until `until` is now `status`" (Messenger's `read`, and
/// `delivery` when it lists no ids).
#[derive(Debug, Clone, PartialEq)]
pub struct Watermark {
    pub channel: Channel,
    /// The person's id on the channel (page-scoped or Instagram-scoped).
    pub person: String,
    pub status: Status,
    pub until: Timestamp,
}

/// Picks each message's transport: the provider's when its account set the channel up,
/// otherwise the fallback (the sandbox, or a test's stand-in).
pub struct Router {
    pool: Pool,
    client: reqwest::Client,
    urls: provider::ProviderUrls,
    fallback: Transports,
    /// Opens the stored secrets, when they are sealed.
    key: Option<SecretKey>,
}

/// reqwest is built without a TLS crypto provider (so that only ring is compiled in):
/// install ring's before any client is built. A second call changes nothing.
pub fn install_tls_provider() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

impl Router {
    /// Calls go to `urls`, each allowed `timeout` in all; channels without settings use
    /// `fallback`.
    pub fn new(
        pool: Pool,
        urls: provider::ProviderUrls,
        fallback: Transports,
        timeout: Duration,
        key: Option<SecretKey>,
    ) -> Router {
        let client = provider::client(timeout);
        Router {
            pool,
            client,
            urls,
            fallback,
            key,
        }
    }

    /// How an (account, channel) delivers, reading its settings. The sandbox (or a test's
    /// stand-in) serves only a channel with no settings at all: settings that cannot be
    /// read now are a failure worth another try, and settings that no longer read, or lack
    /// what a send needs, fail the message. Never a fake success.
    fn route(&self, account_id: i64, channel: Channel) -> Route {
        let name = channel.as_str();
        let stored = self.pool.get().map_err(|e| e.to_string()).and_then(|c| {
            store::read(&c, account_id, channel, self.key.as_ref()).map_err(|e| e.message)
        });
        match stored {
            Ok(store::Stored::Missing) => Route::Send(self.fallback.of(channel)),
            Ok(store::Stored::Settings(settings)) => match self.provider(channel, &settings) {
                Some(transport) => Route::Send(transport),
                None => {
                    let why = format!(
                        "the {name} settings lack what a send needs; set the channel up again"
                    );
                    log::error!("delivery: account {account_id}: {why}");
                    Route::Refuse(Refusal::permanent(why).with_code(codes::SETTINGS_UNREADABLE))
                }
            },
            Ok(store::Stored::Unreadable(why)) => {
                let why = store::unreadable(channel, &why);
                log::error!("delivery: account {account_id}: {why}");
                Route::Refuse(Refusal::permanent(why).with_code(codes::SETTINGS_UNREADABLE))
            }
            Err(e) => {
                log::error!("delivery: account {account_id}: cannot read the {name} settings: {e}");
                let why = format!("the {name} settings could not be read just now");
                Route::Refuse(Refusal::transient(why, None).with_code(codes::SETTINGS_UNAVAILABLE))
            }
        }
    }

    fn provider(
        &self,
        channel: Channel,
        settings: &serde_json::Map<String, serde_json::Value>,
    ) -> Option<Arc<dyn Transport>> {
        let base = self.urls.of(channel);
        match channel {
            Channel::WhatsApp => Some(Arc::new(whatsapp::WhatsApp {
                client: self.client.clone(),
                base: base.to_string(),
                phone_number_id: model::sender_id(channel, settings)?.to_string(),
                token: model::get(settings, "accessToken")?.to_string(),
                pool: self.pool.clone(),
            })),
            Channel::Telegram => Some(Arc::new(telegram::Telegram {
                client: self.client.clone(),
                base: base.to_string(),
                token: model::get(settings, "botToken")?.to_string(),
            })),
            Channel::Messenger => Some(Arc::new(send_api::SendApi {
                client: self.client.clone(),
                base: base.to_string(),
                sender_id: model::sender_id(channel, settings)?.to_string(),
                token: model::get(settings, "pageAccessToken")?.to_string(),
                name: "Messenger",
            })),
            Channel::Instagram => Some(Arc::new(send_api::SendApi {
                client: self.client.clone(),
                base: base.to_string(),
                sender_id: model::sender_id(channel, settings)?.to_string(),
                token: model::get(settings, "pageAccessToken")?.to_string(),
                name: "Instagram",
            })),
        }
    }
}

impl Routing for Router {
    fn routes(&self, batch: &[Outgoing]) -> HashMap<(i64, Channel), Route> {
        let mut chosen = HashMap::new();
        for m in batch {
            chosen
                .entry((m.account_id, m.channel))
                .or_insert_with(|| self.route(m.account_id, m.channel));
        }
        chosen
    }
}
