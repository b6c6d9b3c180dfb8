//! Local stand-ins for the providers' APIs (the Graph API for WhatsApp, Messenger and
//! Instagram; the Telegram Bot API), each checking what the real one documents, and the
//! helpers the provider tests share.

use crate::helpers::{TestApp, spawn_app_with, stand_in};
use actix_web::{HttpRequest, HttpResponse, web};
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::sync::{Arc, Mutex};
use switchboard::config::Config;
use switchboard::messages::model::Channel;

/// A server whose `channel` requests go to `url` (`--provider-url`).
pub(super) async fn spawn_app_using(channel: Channel, url: &str) -> TestApp {
    spawn_app_with(|c| c.provider_urls.set(channel, url)).await
}

/// [`spawn_app_using`] with more settings changed by `configure`.
pub(super) async fn spawn_app_using_with(
    channel: Channel,
    url: &str,
    configure: impl FnOnce(&mut Config),
) -> TestApp {
    spawn_app_with(|c| {
        c.provider_urls.set(channel, url);
        configure(c);
    })
    .await
}

pub(super) type Seen = Arc<Mutex<Vec<(String, String, Value)>>>;

/// A Graph API stand-in on port 0: records each request; refuses messages to 14155550000
/// (and 1415555090x) as the Cloud API refuses an undeliverable number, answers 503 to the
/// first two tries for 14155550001, and rate-limits 14155550002 for ever.
pub(super) fn fake_graph() -> (String, Seen) {
    let seen: Seen = Arc::default();
    let base = stand_in(
        "/{version}/{phone_number_id}/messages",
        seen.clone(),
        |req: HttpRequest, seen: web::Data<Seen>, body: web::Json<Value>| async move {
            let auth = req
                .headers()
                .get("authorization")
                .and_then(|v| v.to_str().ok())
                .unwrap_or("")
                .to_string();
            let mut all = seen.lock().unwrap();
            all.push((req.path().to_string(), auth, body.0.clone()));
            let tries = all.iter().filter(|(_, _, b)| b["to"] == body["to"]).count();
            if body["to"] == "14155550001" && tries <= 2 {
                return HttpResponse::ServiceUnavailable()
                    .json(json!({"error": {"message": "Service temporarily unavailable"}}));
            }
            if body["to"] == "14155550002" {
                return HttpResponse::TooManyRequests()
                    .insert_header(("retry-after", "1"))
                    .json(json!({"error": {"message": "(#130429) Rate limit hit"}}));
            }
            let to = body["to"].as_str().unwrap_or_default();
            if to == "14155550000" || to.starts_with("141555509") {
                return HttpResponse::BadRequest().json(json!({"error": {
                        "message": "(#131026) Message undeliverable", "type": "OAuthException", "code": 131026}}));
            }
            HttpResponse::Ok().json(json!({"messaging_product": "whatsapp",
                    "contacts": [{"input": body["to"], "wa_id": body["to"]}],
                    "messages": [{"id": format!("wamid.{}", all.len())}]}))
        },
    );
    (base, seen)
}

pub(super) async fn until_settled(app: &TestApp, key: &str, contact: &str, id: &str) -> Value {
    app.message_when(key, contact, id, |m| {
        m["status"] == "sent" || m["status"] == "failed"
    })
    .await
}

/// Creates a contact with `channel_ids`, sends it `body` through `POST /v1/messages/{send}`
/// (the contact filled in), and returns the log entry once settled.
pub(super) async fn send_to_new_contact(
    app: &TestApp,
    key: &str,
    channel_ids: Value,
    send: &str,
    mut body: Value,
) -> Value {
    let contact = app
        .ok(
            "POST",
            "/v1/contacts",
            key,
            Some(json!({"channelIds": channel_ids})),
        )
        .await;
    let contact = contact["id"].as_str().unwrap();
    body["contact"] = json!({"id": contact});
    let sent = app
        .ok("POST", &format!("/v1/messages/{send}"), key, Some(body))
        .await;
    until_settled(app, key, contact, sent["id"].as_str().unwrap()).await
}

pub(super) fn sign(secret: &str, body: &str) -> String {
    use hmac::{Hmac, KeyInit, Mac};
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(body.as_bytes());
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

/// A Bot API stand-in: records (method, token, body); chat 999 does not exist.
pub(super) fn fake_telegram() -> (String, Seen) {
    let seen: Seen = Arc::default();
    let base = stand_in(
        "/bot{token}/{method}",
        seen.clone(),
        |path: web::Path<(String, String)>, seen: web::Data<Seen>, body: web::Json<Value>| async move {
            let (token, method) = path.into_inner();
            let mut all = seen.lock().unwrap();
            all.push((method, token, body.0.clone()));
            let tries = all
                .iter()
                .filter(|(_, _, b)| b["chat_id"] == body["chat_id"])
                .count();
            if body["chat_id"] == "429" && tries == 1 {
                return HttpResponse::TooManyRequests().json(json!({"ok": false, "error_code": 429,
                    "description": "Too Many Requests: retry after 1", "parameters": {"retry_after": 1}}));
            }
            if body["chat_id"] == "999" {
                return HttpResponse::BadRequest()
                        .json(json!({"ok": false, "error_code": 400, "description": "Bad Request: chat not found"}));
            }
            HttpResponse::Ok().json(
                json!({"ok": true, "result": {"message_id": 77, "chat": {"id": body["chat_id"]}}}),
            )
        },
    );
    (base, seen)
}

/// (path with its query, body) of each request a stand-in received.
pub(super) type Posted = Arc<Mutex<Vec<(String, Value)>>>;

/// A Send API stand-in: records each request and answers with a message id; refuses the
/// recipient `0000` as the Send API refuses an unknown user, answers the first try for
/// `5030` with "try later", and fails every try for `5000` with a fault of its own.
pub(super) fn fake_send_api() -> (String, Posted) {
    let seen: Posted = Arc::default();
    let base = stand_in(
        "/{version}/{sender}/messages",
        seen.clone(),
        |req: HttpRequest, seen: web::Data<Posted>, body: web::Json<Value>| async move {
            let mut all = seen.lock().unwrap();
            all.push((
                format!("{}?{}", req.path(), req.query_string()),
                body.0.clone(),
            ));
            let to = &body["recipient"]["id"];
            let tries = all
                .iter()
                .filter(|(_, b)| &b["recipient"]["id"] == to)
                .count();
            if to == "0000" {
                return HttpResponse::BadRequest().json(json!({"error": {
                    "message": "(#100) No matching user found", "type": "OAuthException", "code": 100}}));
            }
            if to == "5030" && tries == 1 {
                return HttpResponse::ServiceUnavailable()
                    .json(json!({"error": {"message": "Please retry your request later"}}));
            }
            if to == "5000" {
                return HttpResponse::InternalServerError()
                    .json(json!({"error": {"message": "An unexpected error has occurred"}}));
            }
            HttpResponse::Ok()
                .json(json!({"recipient_id": to, "message_id": format!("m_{}", all.len())}))
        },
    );
    (base, seen)
}

/// Posts a Meta webhook body, signed with `secret`.
pub(super) async fn post_signed(
    app: &TestApp,
    hook: &str,
    secret: &str,
    body: &Value,
) -> StatusCode {
    let body = body.to_string();
    app.client
        .post(hook)
        .header("content-type", "application/json")
        .header("x-hub-signature-256", sign(secret, &body))
        .body(body)
        .send()
        .await
        .unwrap()
        .status()
}

/// Sends `send` as a WhatsApp template; the message id.
pub(super) async fn ping(app: &TestApp, key: &str, send: &Value) -> String {
    let sent = app
        .ok(
            "POST",
            "/v1/messages/whatsapp/sendtemplate",
            key,
            Some(send.clone()),
        )
        .await;
    sent["id"].as_str().unwrap().to_string()
}
