//! Provider webhooks: public routes, each account's own URL, checked by the provider's
//! signature instead of an API key. They feed the same path as `/receive` (contacts,
//! session window, stop words) and apply status callbacks to the logged messages.

use super::{model, store, telegram, whatsapp};
use crate::clock;
use crate::error::{ApiError, Result};
use crate::http::Body;
use crate::messages::model::Channel;
use crate::messages::store as messages;
use crate::state::AppState;
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

fn settings(
    state: &AppState,
    account_id: i64,
    channel: Channel,
) -> Result<serde_json::Map<String, serde_json::Value>> {
    store::get(&*state.pool.get()?, account_id, channel)?.ok_or_else(|| {
        ApiError::not_found(format!("no {} channel is set up here", channel.as_str()))
    })
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

/// `GET /webhooks/whatsapp/{accountId}`: Meta's subscription check. Answers the challenge
/// when the verify token is the one in the channel's settings.
pub async fn whatsapp_verify(
    state: web::Data<AppState>,
    account_id: web::Path<i64>,
    query: web::Query<Verification>,
) -> Result<HttpResponse> {
    let settings = settings(&state, account_id.into_inner(), Channel::WhatsApp)?;
    let expected = model::get(&settings, "verifyToken");
    let matches = query.mode.as_deref() == Some("subscribe")
        && match (expected, query.verify_token.as_deref()) {
            (Some(expected), Some(given)) => same_secret(expected, given),
            _ => false,
        };
    if !matches {
        return Err(ApiError::forbidden(
            "hub.verify_token: does not match the channel's verifyToken",
        ));
    }
    Ok(HttpResponse::Ok()
        .content_type("text/plain")
        .body(query.challenge.clone().unwrap_or_default()))
}

/// `POST /webhooks/whatsapp/{accountId}`: incoming messages and status callbacks, signed
/// with the app secret (`X-Hub-Signature-256`). A bad signature records nothing.
pub async fn whatsapp_events(
    state: web::Data<AppState>,
    account_id: web::Path<i64>,
    req: HttpRequest,
    Body(bytes): Body,
) -> Result<HttpResponse> {
    let account = account_id.into_inner();
    let settings = settings(&state, account, Channel::WhatsApp)?;
    let header = req
        .headers()
        .get("x-hub-signature-256")
        .and_then(|v| v.to_str().ok());
    let secret = model::get(&settings, "appSecret").unwrap_or_default();
    if secret.is_empty() || !whatsapp::signed(secret, &bytes, header) {
        return Err(ApiError::unauthorized());
    }
    let body: serde_json::Value = crate::http::json::parse(&bytes)?;
    let update = whatsapp::parse_webhook(&body, &state.phones);
    let (now, state2) = (clock::now(), state.clone());
    state
        .writer
        .run(move |conn| {
            for incoming in &update.incoming {
                messages::receive(conn, account, incoming, &state2.opt_words, now)?;
            }
            for (provider_id, status, error) in &update.statuses {
                messages::provider_status(
                    conn,
                    account,
                    provider_id,
                    *status,
                    error.as_deref(),
                    now,
                )?;
            }
            Ok(())
        })
        .await?;
    Ok(HttpResponse::Ok().json(json!({"success": true})))
}

/// `POST /webhooks/telegram/{accountId}`: a Bot API update, which must carry the channel's
/// `webhookSecret` in `X-Telegram-Bot-Api-Secret-Token` (set it with `setWebhook`'s
/// `secret_token`). Messages and button presses take the `/receive` path, once per update.
pub async fn telegram_update(
    state: web::Data<AppState>,
    account_id: web::Path<i64>,
    req: HttpRequest,
    Body(bytes): Body,
) -> Result<HttpResponse> {
    let account = account_id.into_inner();
    let settings = settings(&state, account, Channel::Telegram)?;
    let given = req
        .headers()
        .get("x-telegram-bot-api-secret-token")
        .and_then(|v| v.to_str().ok());
    let stored = model::get(&settings, "webhookSecret");
    if !matches!((stored, given), (Some(s), Some(g)) if same_secret(s, g)) {
        return Err(ApiError::unauthorized());
    }
    let update: serde_json::Value = crate::http::json::parse(&bytes)?;
    if let Some(incoming) = telegram::parse_update(&update) {
        let (now, state2) = (clock::now(), state.clone());
        state
            .writer
            .run(move |conn| messages::receive(conn, account, &incoming, &state2.opt_words, now))
            .await?;
    }
    Ok(HttpResponse::Ok().json(json!({"success": true})))
}
