//! Real delivery: per-account channel settings ([`model`], [`store`], [`routes`]), the
//! providers' transports and their webhooks ([`webhooks`]). A channel without settings
//! keeps the sandbox, so development needs no provider account.

pub mod meta;
pub mod model;
pub mod provider;
pub mod routes;
pub mod send_api;
pub mod store;
pub mod telegram;
pub mod webhooks;
pub mod whatsapp;

use crate::clock::Timestamp;
use crate::db::Pool;
use crate::messages::delivery::{Transport, Transports};
use crate::messages::incoming::Incoming;
use crate::messages::model::{Channel, Status};
use crate::messages::outbox::Outgoing;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

/// What one webhook call reports: messages people sent, and status changes of ours.
#[derive(Debug, Default, PartialEq)]
pub struct Update {
    pub incoming: Vec<Incoming>,
    /// (provider message id, new status, the provider's error text)
    pub statuses: Vec<(String, Status, Option<String>)>,
    /// Messenger's receipts without message ids: everything sent to a person until then.
    pub watermarks: Vec<Watermark>,
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
    client: reqwest::Client,
    urls: provider::ProviderUrls,
    fallback: Transports,
}

/// reqwest is built without a TLS crypto provider (so that only ring is compiled in):
/// install ring's before any client is built. A second call changes nothing.
pub fn install_tls_provider() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

impl Router {
    pub fn new(urls: provider::ProviderUrls, fallback: Transports) -> Router {
        install_tls_provider();
        // Never follow a redirect: a provider answers where it was asked, and a token must
        // not travel to wherever a 3xx points.
        let client = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(5))
            .timeout(Duration::from_secs(20))
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("switchboard/", env!("CARGO_PKG_VERSION")))
            .build()
            .expect("the HTTP client builds");
        Router {
            client,
            urls,
            fallback,
        }
    }

    /// The transport of every (account, channel) in a batch, reading each one's settings.
    pub fn for_batch(
        &self,
        pool: &Pool,
        batch: &[Outgoing],
    ) -> HashMap<(i64, Channel), Arc<dyn Transport>> {
        let mut chosen = HashMap::new();
        for m in batch {
            let key = (m.account_id, m.channel);
            if chosen.contains_key(&key) {
                continue;
            }
            let settings = pool
                .get()
                .map_err(|e| e.to_string())
                .and_then(|c| store::get(&c, m.account_id, m.channel).map_err(|e| e.message));
            let transport = match settings {
                Ok(Some(settings)) => self.provider(m.channel, &settings),
                Ok(None) => None,
                Err(e) => {
                    log::error!("delivery: cannot read {} settings: {e}", m.channel.as_str());
                    None
                }
            };
            chosen.insert(
                key,
                transport.unwrap_or_else(|| self.fallback.of(m.channel)),
            );
        }
        chosen
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
