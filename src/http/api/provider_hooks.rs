//! Provider webhooks: public routes, each account's own URL, checked by the provider's
//! signature instead of an API key. They feed the same path as `/receive` (contacts,
//! session window, stop words) and apply status callbacks to the logged messages.
//!
//! Anyone can call them, so they do the least first: a cap on calls per account, then the
//! signature against settings kept in memory ([`crate::channels::hooks`]), and only then the body's
//! JSON and the database. An unknown account, a channel not set up and a bad signature get
//! one and the same answer, so the routes do not tell who has which channel.

use crate::broadcasts::holds;
use crate::channels::hooks::Settings;
use crate::channels::{Update, meta, model, telegram, waba, whatsapp};
use crate::clock;
use crate::error::{Error, Result};
use crate::http::state::AppState;
use crate::messages::model::Channel;
use crate::messages::store as messages;
use crate::templates::store as templates;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;
use serde_json::json;

#[derive(Debug, Deserialize)]
pub struct Verification {
    #[serde(rename = "hub.mode")]
    mode: Option<String>,
    #[serde(rename = "hub.verify_token")]
    verify_token: Option<String>,
    #[serde(rename = "hub.challenge")]
    challenge: Option<String>,
}

/// The channel's settings for a webhook call, after counting it against the account's cap.
fn settings(state: &AppState, account_id: i64, channel: Channel) -> Result<Settings> {
    state.hooks.admit(account_id, clock::now())?;
    let key = state.secret_key.as_ref();
    state.hooks.settings(&state.pool, key, account_id, channel)
}

/// Compares a secret sent with a request to the stored one in constant time (through
/// HMACs of both, so neither length nor content leaks through timing).
fn same_secret(stored: &str, given: &str) -> bool {
    use hmac::{Hmac, KeyInit, Mac};
    let mac = |s: &str| {
        let mut mac = Hmac::<sha2::Sha256>::new_from_slice(b"switchboard secret comparison")
            .expect("any key length");
        mac.update(s.as_bytes());
        mac
    };
    mac(given)
        .verify_slice(&mac(stored).finalize().into_bytes())
        .is_ok()
}

/// The channels whose webhooks are Meta's: a `GET` subscription check, and `POST` bodies
/// signed with the app secret.
fn meta_channel(name: &str) -> Result<Channel> {
    match Channel::in_path(name)? {
        Channel::Telegram => Err(Error::not_found(
            "Telegram's webhook takes POST only: register it with setWebhook",
        )),
        channel => Ok(channel),
    }
}

/// `GET /webhooks/{whatsapp|messenger|instagram}/{accountId}`: Meta's subscription check.
/// Answers the challenge when the verify token is the one in the channel's settings.
pub async fn meta_verify(
    state: web::Data<AppState>,
    path: web::Path<(String, i64)>,
    query: web::Query<Verification>,
) -> Result<HttpResponse> {
    let (channel, account_id) = path.into_inner();
    let settings = settings(&state, account_id, meta_channel(&channel)?)?;
    let expected = settings
        .as_deref()
        .and_then(|s| model::get(s, "verifyToken"));
    let matches = query.mode.as_deref() == Some("subscribe")
        && match (expected, query.verify_token.as_deref()) {
            (Some(expected), Some(given)) => same_secret(expected, given),
            _ => false,
        };
    if !matches {
        return Err(Error::forbidden(
            "hub.verify_token: does not match the channel's verifyToken",
        ));
    }
    Ok(HttpResponse::Ok()
        .content_type("text/plain")
        .body(query.challenge.clone().unwrap_or_default()))
}

/// `POST /webhooks/{whatsapp|messenger|instagram}/{accountId}`: incoming messages and
/// status callbacks, signed with the app secret (`X-Hub-Signature-256`). A bad signature
/// records nothing.
pub async fn meta_events(
    state: web::Data<AppState>,
    path: web::Path<(String, i64)>,
    req: HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse> {
    let (channel, account) = path.into_inner();
    let channel = meta_channel(&channel)?;
    let settings = settings(&state, account, channel)?;
    let bytes = crate::http::json::read(&req, payload).await?;
    let header = req
        .headers()
        .get("x-hub-signature-256")
        .and_then(|v| v.to_str().ok());
    let secret = settings.as_deref().and_then(|s| model::get(s, "appSecret"));
    let settings = match (settings.as_deref(), secret) {
        (Some(settings), Some(secret)) if meta::signed(secret, &bytes, header) => settings,
        _ => return Err(Error::unauthorized()),
    };
    let body: serde_json::Value = crate::http::json::parse(&bytes)?;
    let own_id = model::sender_id(channel, settings).unwrap_or_default();
    let update = match channel {
        Channel::WhatsApp => Update {
            templates: waba::template_changes(&body, model::get(settings, "wabaId").unwrap_or("")),
            ..whatsapp::parse_webhook(&body, own_id, &state.phones)
        },
        _ => meta::parse_messaging(channel, own_id, &body),
    };
    apply(&state, account, update).await?;
    Ok(HttpResponse::Ok().json(json!({"success": true})))
}

/// Records a webhook's messages and applies its receipts, in one transaction: a provider
/// that gets an error sends the whole call again, and redeliveries are recorded once.
async fn apply(state: &web::Data<AppState>, account: i64, update: Update) -> Result<()> {
    let (now, words, window) = (clock::now(), state.opt_words.clone(), state.reply_window);
    state
        .writer
        .run(move |conn| {
            for incoming in &update.incoming {
                // The provider has delivered it: refusing would only bring it back.
                if !messages::receivable(conn, account, incoming)? {
                    log::warn!("account {account} is over its storage quota: an incoming message was not recorded");
                    continue;
                }
                messages::receive(conn, account, incoming, &words, window, now)?;
            }
            for receipt in &update.statuses {
                messages::provider_status(conn, account, receipt, now)?;
            }
            for w in &update.watermarks {
                messages::provider_status_until(
                    conn, account, w.channel, &w.person, w.status, w.until, now,
                )?;
            }
            for t in &update.templates {
                let reason = t.reason.as_deref();
                templates::set_status(conn, account, &t.name, &t.language, t.status, reason, now)?;
                if t.status.stops_broadcasts() {
                    holds::pause_for_template(conn, account, &t.name, &t.language, t.status, reason, now)?;
                }
            }
            Ok(())
        })
        .await
}

/// `POST /webhooks/telegram/{accountId}`: a Bot API update, which must carry the channel's
/// `webhookSecret` in `X-Telegram-Bot-Api-Secret-Token` (set it with `setWebhook`'s
/// `secret_token`). Messages and button presses take the `/receive` path, once per update.
pub async fn telegram_update(
    state: web::Data<AppState>,
    account_id: web::Path<i64>,
    req: HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse> {
    let account = account_id.into_inner();
    let settings = settings(&state, account, Channel::Telegram)?;
    let given = req
        .headers()
        .get("x-telegram-bot-api-secret-token")
        .and_then(|v| v.to_str().ok());
    let stored = settings
        .as_deref()
        .and_then(|s| model::get(s, "webhookSecret"));
    if !matches!((stored, given), (Some(s), Some(g)) if same_secret(s, g)) {
        return Err(Error::unauthorized());
    }
    let bytes = crate::http::json::read(&req, payload).await?;
    let update: serde_json::Value = crate::http::json::parse(&bytes)?;
    let update = Update {
        incoming: telegram::parse_update(&update).into_iter().collect(),
        ..Update::default()
    };
    apply(&state, account, update).await?;
    Ok(HttpResponse::Ok().json(json!({"success": true})))
}
