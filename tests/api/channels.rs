//! Channel settings and the WhatsApp Cloud API transport, against a local stand-in for the
//! Graph API that checks what the real one documents: path, bearer token, message shape.

use crate::helpers::{TestApp, error_message, eventually, spawn_app, spawn_app_with, stand_in};
use actix_web::{HttpRequest, HttpResponse, web};
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use switchboard::accounts::Plan;
use switchboard::config::Config;
use switchboard::messages::model::Channel;
use switchboard::secrets::SecretKey;

/// A server whose `channel` requests go to `url` (`--provider-url`).
async fn spawn_app_using(channel: Channel, url: &str) -> TestApp {
    spawn_app_with(|c| c.provider_urls.set(channel, url)).await
}

/// [`spawn_app_using`] with more settings changed by `configure`.
async fn spawn_app_using_with(
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

type Seen = Arc<Mutex<Vec<(String, String, Value)>>>;

/// A Graph API stand-in on port 0: records each request; refuses messages to 14155550000
/// (and 1415555090x) as the Cloud API refuses an undeliverable number, answers 503 to the
/// first two tries for 14155550001, and rate-limits 14155550002 for ever.
fn fake_graph() -> (String, Seen) {
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

async fn until_settled(app: &TestApp, key: &str, contact: &str, id: &str) -> Value {
    app.message_when(key, contact, id, |m| {
        m["status"] == "sent" || m["status"] == "failed"
    })
    .await
}

/// Creates a contact with `channel_ids`, sends it `body` through `POST /v1/messages/{send}`
/// (the contact filled in), and returns the log entry once settled.
async fn send_to_new_contact(
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

#[tokio::test]
async fn whatsapp_messages_go_to_the_cloud_api_once_the_channel_is_set_up() {
    let (graph, seen) = fake_graph();
    let app = spawn_app_using(Channel::WhatsApp, &format!("{graph}/v21.0")).await;
    let key = app.create_account("a@example.com", Plan::Unlimited).key;
    let other = app.create_account("b@example.com", Plan::Unlimited).key;
    let fresh = app.ok("GET", "/v1/channels/whatsapp", &key, None).await;
    assert_eq!(fresh["transport"], "sandbox");

    let res = app
        .call(
            "PUT",
            "/v1/channels/whatsapp",
            &key,
            Some(json!({"phoneNumberId": "1055"})),
        )
        .await;
    assert_eq!(
        error_message(res, StatusCode::BAD_REQUEST).await,
        "accessToken: required for whatsapp"
    );
    let set = app
        .ok(
            "PUT",
            "/v1/channels/whatsapp",
            &key,
            Some(json!({"phoneNumberId": "1055", "accessToken": "EAAG-secret-token"})),
        )
        .await;
    assert_eq!(set["transport"], "provider");
    assert_eq!(set["accessTokenSet"], true);
    let shown = app.ok("GET", "/v1/channels/whatsapp", &key, None).await;
    assert_eq!(shown, set);
    assert!(
        !shown.to_string().contains("EAAG-secret-token"),
        "secrets are write-only"
    );
    assert_eq!(
        app.ok("GET", "/v1/channels/whatsapp", &other, None).await["transport"],
        "sandbox"
    );

    app.ok(
        "POST",
        "/v1/templates",
        &key,
        Some(json!({"name": "order_update", "language": "en_US", "header": {"type": "TEXT", "text": "Order {{1}}"},
                    "body": "Hi {{1}}, your order {{2}} ships today",
                    "buttons": [{"type": "QUICK_REPLY", "text": "Thanks"}, {"type": "URL", "text": "Track", "url": "https://x.example/t/{{1}}"}]})),
    )
    .await;
    let asha = app
        .ok(
            "POST",
            "/v1/contacts",
            &key,
            Some(json!({"phoneNumber": "+919876543210"})),
        )
        .await;
    let asha = asha["id"].as_str().unwrap();
    let sent = app
        .ok(
            "POST",
            "/v1/messages/whatsapp/sendtemplate",
            &key,
            Some(json!({"contact": {"id": asha}, "template": {"name": "order_update", "language": "en_US"},
                        "headerTextParameters": ["A-17"], "bodyTextParameters": ["Asha", "A-17"], "buttonUrlParameters": ["A-17"]})),
        )
        .await;
    let entry = until_settled(&app, &key, asha, sent["id"].as_str().unwrap()).await;
    assert_eq!(entry["status"], "sent", "{entry}");
    assert_eq!(entry["providerMessageId"], "wamid.1");
    let (path, auth, body) = seen.lock().unwrap()[0].clone();
    assert_eq!(path, "/v21.0/1055/messages");
    assert_eq!(auth, "Bearer EAAG-secret-token");
    assert_eq!(body["messaging_product"], "whatsapp");
    assert_eq!(body["to"], "919876543210");
    assert_eq!(
        body["template"],
        json!({"name": "order_update", "language": {"code": "en_US"}, "components": [
            {"type": "header", "parameters": [{"type": "text", "text": "A-17"}]},
            {"type": "body", "parameters": [{"type": "text", "text": "Asha"}, {"type": "text", "text": "A-17"}]},
            {"type": "button", "sub_type": "url", "index": "1", "parameters": [{"type": "text", "text": "A-17"}]}]})
    );

    // The provider's refusal ends the message failed with the provider's own words.
    let gone = app
        .ok(
            "POST",
            "/v1/contacts",
            &key,
            Some(json!({"phoneNumber": "+14155550000"})),
        )
        .await;
    let gone = gone["id"].as_str().unwrap();
    let refused = app
        .ok(
            "POST",
            "/v1/messages/whatsapp/sendtemplate",
            &key,
            Some(json!({"contact": {"id": gone}, "template": {"name": "order_update", "language": "en_US"},
                        "headerTextParameters": ["A-18"], "bodyTextParameters": ["Bo", "A-18"], "buttonUrlParameters": ["A-18"]})),
        )
        .await;
    let entry = until_settled(&app, &key, gone, refused["id"].as_str().unwrap()).await;
    assert_eq!(entry["status"], "failed");
    assert!(
        entry["errorMessage"]
            .as_str()
            .unwrap()
            .contains("(#131026) Message undeliverable"),
        "{entry}"
    );

    // Another account, and this one after DELETE, use the sandbox: nothing reaches the API.
    let requests = seen.lock().unwrap().len();
    app.ok("DELETE", "/v1/channels/whatsapp", &key, None).await;
    let back = app
        .ok("POST", "/v1/messages/whatsapp/sendtemplate", &key, Some(json!({"contact": {"id": asha},
            "template": {"name": "order_update", "language": "en_US"}, "headerTextParameters": ["A-19"],
            "bodyTextParameters": ["Asha", "A-19"], "buttonUrlParameters": ["A-19"]})))
        .await;
    let entry = until_settled(&app, &key, asha, back["id"].as_str().unwrap()).await;
    assert_eq!(entry["status"], "sent");
    assert_eq!(entry["providerMessageId"], Value::Null);
    assert_eq!(seen.lock().unwrap().len(), requests);
}

#[tokio::test]
async fn channel_settings_are_checked_and_unknown_channels_are_404() {
    let app = spawn_app().await;
    let key = app.create_account("a@example.com", Plan::Unlimited).key;
    for (channel, body, message) in [
        (
            "telegram",
            json!({"botToken": "1:x", "pageId": "2"}),
            "pageId: not a telegram setting",
        ),
        (
            "messenger",
            json!({"pageId": "1", "pageAccessToken": 5}),
            "pageAccessToken: expected a string",
        ),
        (
            "instagram",
            json!({"accountId": "1", "pageAccessToken": "t", "apiBaseUrl": "http://127.0.0.1:9"}),
            "apiBaseUrl: the provider's address is the server operator's setting",
        ),
    ] {
        let res = app
            .call("PUT", &format!("/v1/channels/{channel}"), &key, Some(body))
            .await;
        let got = error_message(res, StatusCode::BAD_REQUEST).await;
        assert!(got.starts_with(message), "{channel}: {got}");
    }
    let telegram = app
        .ok(
            "PUT",
            "/v1/channels/telegram",
            &key,
            Some(json!({"botToken": "123:abc", "webhookSecret": "s"})),
        )
        .await;
    assert_eq!(telegram["botTokenSet"], true);
    assert_eq!(
        app.call("GET", "/v1/channels/sms", &key, None)
            .await
            .status(),
        StatusCode::NOT_FOUND
    );
}

fn sign(secret: &str, body: &str) -> String {
    use hmac::{Hmac, KeyInit, Mac};
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(body.as_bytes());
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

#[tokio::test]
async fn whatsapp_webhooks_are_verified_signed_and_applied_once() {
    let (graph, _seen) = fake_graph();
    let app = spawn_app_using(Channel::WhatsApp, &format!("{graph}/v21.0")).await;
    let key = app.create_account("a@example.com", Plan::Unlimited).key;
    let account = app.ok("GET", "/v1/account", &key, None).await["id"]
        .as_str()
        .unwrap()
        .to_string();
    app.ok(
        "PUT",
        "/v1/channels/whatsapp",
        &key,
        Some(
            json!({"phoneNumberId": "1055", "accessToken": "t", "appSecret": "app-secret",
                    "verifyToken": "verify-me"}),
        ),
    )
    .await;
    let hook = app.url(&format!("/webhooks/whatsapp/{account}"));

    // Meta's subscription check.
    let ok = app
        .client
        .get(format!(
            "{hook}?hub.mode=subscribe&hub.verify_token=verify-me&hub.challenge=1158201444"
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status(), StatusCode::OK);
    assert_eq!(ok.text().await.unwrap(), "1158201444");
    let wrong = app
        .client
        .get(format!(
            "{hook}?hub.mode=subscribe&hub.verify_token=guess&hub.challenge=1"
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), StatusCode::FORBIDDEN);

    let incoming = json!({"object": "whatsapp_business_account", "entry": [{"id": "WABA", "changes": [{"field": "messages",
        "value": {"messaging_product": "whatsapp", "metadata": {"phone_number_id": "1055"},
            "contacts": [{"profile": {"name": "Asha"}, "wa_id": "919876543210"}],
            "messages": [{"from": "919876543210", "id": "wamid.IN1", "timestamp": "1795341600", "type": "text",
                          "text": {"body": "Where is my order?"}}]}}]}]})
    .to_string();
    let post = |body: String, signature: String| {
        app.client
            .post(&hook)
            .header("content-type", "application/json")
            .header("x-hub-signature-256", signature)
            .body(body)
            .send()
    };
    let forged = post(incoming.clone(), sign("not-the-secret", &incoming))
        .await
        .unwrap();
    assert_eq!(forged.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        app.ok("GET", "/v1/contacts", &key, None).await,
        json!([]),
        "nothing recorded"
    );
    for _ in 0..2 {
        let res = post(incoming.clone(), sign("app-secret", &incoming))
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::OK);
    }
    let contacts = app.ok("GET", "/v1/contacts", &key, None).await;
    assert_eq!(contacts.as_array().unwrap().len(), 1);
    assert_eq!(contacts[0]["name"], "Asha");
    let asha = contacts[0]["id"].as_str().unwrap().to_string();
    let log = app
        .ok("GET", &format!("/v1/messages/{asha}"), &key, None)
        .await;
    assert_eq!(
        log.as_array().unwrap().len(),
        1,
        "a redelivered message is recorded once"
    );
    assert_eq!(log[0]["text"], "Where is my order?");

    // Her message opened the session: free text goes out through the Cloud API.
    let sent = app
        .ok(
            "POST",
            "/v1/messages/whatsapp/sendtext",
            &key,
            Some(json!({"contact": {"id": asha}, "textMessage": "Today!"})),
        )
        .await;
    let entry = until_settled(&app, &key, &asha, sent["id"].as_str().unwrap()).await;
    let wamid = entry["providerMessageId"].as_str().unwrap().to_string();
    let status = |s: &str| {
        json!({"object": "whatsapp_business_account", "entry": [{"id": "WABA", "changes": [{"field": "messages",
            "value": {"messaging_product": "whatsapp", "metadata": {"phone_number_id": "1055"},
                "statuses": [{"id": wamid, "status": s, "timestamp": "1795341601", "recipient_id": "919876543210"}]}}]}]})
        .to_string()
    };
    for s in ["read", "delivered", "read"] {
        let body = status(s);
        let res = post(body.clone(), sign("app-secret", &body)).await.unwrap();
        assert_eq!(res.status(), StatusCode::OK);
    }
    let log = app
        .ok("GET", &format!("/v1/messages/{asha}"), &key, None)
        .await;
    assert_eq!(
        log[0]["status"], "read",
        "a late 'delivered' never moves it back"
    );
}

#[tokio::test]
async fn rate_limits_and_provider_faults_are_retried_then_given_up() {
    let (graph, seen) = fake_graph();
    let app = spawn_app_using_with(Channel::WhatsApp, &format!("{graph}/v21.0"), |c| {
        c.delivery.retries = switchboard::delivery::sends::Retries {
            attempts: 3,
            first_wait: 1,
        };
    })
    .await;
    let key = app.create_account("a@example.com", Plan::Unlimited).key;
    app.ok(
        "PUT",
        "/v1/channels/whatsapp",
        &key,
        Some(json!({"phoneNumberId": "1055", "accessToken": "t"})),
    )
    .await;
    app.ok(
        "POST",
        "/v1/templates",
        &key,
        Some(json!({"name": "ping", "language": "en", "body": "Ping"})),
    )
    .await;
    let send = |phone: &'static str| {
        let (app, key) = (&app, &key);
        async move {
            let c = app
                .ok(
                    "POST",
                    "/v1/contacts",
                    key,
                    Some(json!({"phoneNumber": phone})),
                )
                .await;
            let c = c["id"].as_str().unwrap().to_string();
            let m = app
                .ok(
                    "POST",
                    "/v1/messages/whatsapp/sendtemplate",
                    key,
                    Some(json!({"contact": {"id": c},
                    "template": {"name": "ping", "language": "en"}})),
                )
                .await;
            (c, m["id"].as_str().unwrap().to_string())
        }
    };
    let (flaky, flaky_msg) = send("+14155550001").await;
    let (limited, limited_msg) = send("+14155550002").await;
    let entry = until_settled(&app, &key, &flaky, &flaky_msg).await;
    assert_eq!(entry["status"], "sent", "sent on the third try: {entry}");
    let entry = until_settled(&app, &key, &limited, &limited_msg).await;
    assert_eq!(entry["status"], "failed");
    let reason = entry["errorMessage"].as_str().unwrap();
    assert!(
        reason.contains("Rate limit hit") && reason.contains("gave up after 3 attempts"),
        "{reason}"
    );
    let tries = |to: &str| {
        seen.lock()
            .unwrap()
            .iter()
            .filter(|(_, _, b)| b["to"] == to)
            .count()
    };
    assert_eq!((tries("14155550001"), tries("14155550002")), (3, 3));
}

#[tokio::test]
async fn a_broadcast_pauses_after_a_run_of_failures_and_resumes() {
    let (graph, _seen) = fake_graph();
    let app = spawn_app_using_with(Channel::WhatsApp, &format!("{graph}/v21.0"), |c| {
        c.delivery.broadcast_rate = 2;
        c.delivery.pause_after_failures = 3;
    })
    .await;
    let key = app.create_account("a@example.com", Plan::Unlimited).key;
    app.ok(
        "PUT",
        "/v1/channels/whatsapp",
        &key,
        Some(json!({"phoneNumberId": "1055", "accessToken": "t"})),
    )
    .await;
    app.ok(
        "POST",
        "/v1/templates",
        &key,
        Some(json!({"name": "ping", "language": "en", "body": "Ping"})),
    )
    .await;
    for i in 0..10 {
        app.ok(
            "POST",
            "/v1/contacts",
            &key,
            Some(json!({"phoneNumber": format!("+1415555090{i}"), "tags": ["bad"]})),
        )
        .await;
    }
    let segment = app
        .ok(
            "POST",
            "/v1/segments",
            &key,
            Some(json!({"name": "bad", "groups": [{"conditions": [
            {"attribute": "tags", "operator": "has", "value": "bad"}]}]})),
        )
        .await;
    let b = app
        .ok(
            "POST",
            "/v1/broadcasts",
            &key,
            Some(json!({"name": "b", "segment": {"id": segment["id"]},
            "channel": "whatsapp", "template": {"name": "ping", "language": "en"}})),
        )
        .await;
    let path = format!("/v1/broadcasts/{}", b["id"].as_str().unwrap());
    let paused = async || {
        eventually(Duration::from_secs(10), "the broadcast pauses", || async {
            let now = app.ok("GET", &path, &key, None).await;
            (now["status"] == "paused").then_some(now)
        })
        .await
    };
    let first = paused().await;
    let reason = first["pausedReason"].as_str().unwrap();
    assert!(
        reason.starts_with("paused after 3 messages failed in a row")
            && reason.contains("Message undeliverable"),
        "{reason}"
    );
    let failed = first["stats"]["failed"].as_i64().unwrap();
    assert!((3..10).contains(&failed), "{first}");
    assert!(
        first["stats"]["queued"].as_i64().unwrap() > 0,
        "the rest wait: {first}"
    );

    let resumed = app.ok("POST", &format!("{path}/resume"), &key, None).await;
    assert_eq!(resumed["status"], "running");
    assert_eq!(resumed["pausedReason"], Value::Null);
    let second = paused().await;
    assert!(
        second["stats"]["failed"].as_i64().unwrap() >= failed + 3,
        "{second}"
    );
}

/// A Bot API stand-in: records (method, token, body); chat 999 does not exist.
fn fake_telegram() -> (String, Seen) {
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

#[tokio::test]
async fn telegram_goes_through_the_bot_api_and_its_webhook_checks_the_secret() {
    let (bot_api, seen) = fake_telegram();
    let app = spawn_app_using_with(Channel::Telegram, &bot_api, |c| {
        c.delivery.retries.first_wait = 1;
    })
    .await;
    let key = app.create_account("a@example.com", Plan::Unlimited).key;
    let account = app.ok("GET", "/v1/account", &key, None).await["id"]
        .as_str()
        .unwrap()
        .to_string();
    app.ok(
        "PUT",
        "/v1/channels/telegram",
        &key,
        Some(json!({"botToken": "123:abc", "webhookSecret": "tg-secret"})),
    )
    .await;
    let asha = app
        .ok(
            "POST",
            "/v1/contacts",
            &key,
            Some(json!({"channelIds": {"telegram": "5512"}})),
        )
        .await;
    let asha = asha["id"].as_str().unwrap().to_string();
    let sent = app
        .ok("POST", "/v1/messages/telegram/sendtemplate", &key, Some(json!({"contact": {"id": asha},
            "headerType": "IMAGE", "mediaUrl": "https://x.example/a.png", "textMessage": "Sale today",
            "buttons": [{"type": "postback", "title": "Later", "payload": "LATER"}]})))
        .await;
    let entry = until_settled(&app, &key, &asha, sent["id"].as_str().unwrap()).await;
    assert_eq!(entry["status"], "sent", "{entry}");
    assert_eq!(entry["providerMessageId"], "5512:77");
    let (method, token, body) = seen.lock().unwrap()[0].clone();
    assert_eq!((method.as_str(), token.as_str()), ("sendPhoto", "123:abc"));
    assert_eq!(
        body,
        json!({"chat_id": "5512", "photo": "https://x.example/a.png", "caption": "Sale today",
               "reply_markup": {"inline_keyboard": [[{"text": "Later", "callback_data": "LATER"}]]}})
    );
    // A contact with that Telegram id, sent a text: its log entry once settled.
    let text_to = |chat: &'static str| {
        let body = json!({"textMessage": "hi"});
        send_to_new_contact(
            &app,
            &key,
            json!({"telegram": chat}),
            "telegram/sendtext",
            body,
        )
    };
    let entry = text_to("999").await;
    assert_eq!(entry["status"], "failed");
    assert!(
        entry["errorMessage"]
            .as_str()
            .unwrap()
            .contains("chat not found"),
        "{entry}"
    );
    let entry = text_to("429").await;
    assert_eq!(
        entry["status"], "sent",
        "sent after the rate limit: {entry}"
    );
    let tries = seen
        .lock()
        .unwrap()
        .iter()
        .filter(|(_, _, b)| b["chat_id"] == "429")
        .count();
    assert_eq!(tries, 2);

    let hook = app.url(&format!("/webhooks/telegram/{account}"));
    let update = json!({"update_id": 41, "message": {"message_id": 5, "from": {"id": 5512, "first_name": "Asha"},
        "chat": {"id": 5512, "type": "private"}, "date": 1795341600, "text": "stop"}});
    let post = |secret: &'static str| {
        app.client
            .post(&hook)
            .header("x-telegram-bot-api-secret-token", secret)
            .json(&update)
            .send()
    };
    assert_eq!(
        post("guess").await.unwrap().status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        app.ok("GET", &format!("/v1/messages/{asha}"), &key, None)
            .await
            .as_array()
            .unwrap()
            .len(),
        1
    );
    for _ in 0..2 {
        assert_eq!(post("tg-secret").await.unwrap().status(), StatusCode::OK);
    }
    let log = app
        .ok("GET", &format!("/v1/messages/{asha}"), &key, None)
        .await;
    assert_eq!(
        log.as_array().unwrap().len(),
        2,
        "the update is recorded once"
    );
    assert_eq!(log[0]["isIncoming"], true);
    let contact = app
        .ok("GET", &format!("/v1/contacts/{asha}"), &key, None)
        .await;
    assert_eq!(contact["optedOut"], true, "STOP over the webhook opts out");
}

/// (path with its query, body) of each request a stand-in received.
type Posted = Arc<Mutex<Vec<(String, Value)>>>;

/// A Send API stand-in: records each request and answers with a message id; refuses the
/// recipient `0000` as the Send API refuses an unknown user, answers the first try for
/// `5030` with "try later", and fails every try for `5000` with a fault of its own.
fn fake_send_api() -> (String, Posted) {
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

#[tokio::test]
async fn messenger_and_instagram_go_through_the_send_api() {
    let (api, seen) = fake_send_api();
    let base = format!("{api}/v21.0");
    let app = spawn_app_with(|c| {
        c.provider_urls.set(Channel::Messenger, &base);
        c.provider_urls.set(Channel::Instagram, &base);
        c.delivery.retries.first_wait = 1;
    })
    .await;
    let key = app.create_account("a@example.com", Plan::Unlimited).key;
    app.ok(
        "PUT",
        "/v1/channels/messenger",
        &key,
        Some(json!({"pageId": "PAGE1", "pageAccessToken": "PAT-m"})),
    )
    .await;
    app.ok(
        "PUT",
        "/v1/channels/instagram",
        &key,
        Some(json!({"accountId": "IG1", "pageAccessToken": "PAT-i"})),
    )
    .await;
    let person = app
        .ok(
            "POST",
            "/v1/contacts",
            &key,
            Some(json!({"channelIds": {"messenger": "2481", "instagram": "1784"}})),
        )
        .await;
    let person = person["id"].as_str().unwrap().to_string();
    let card = app
        .ok("POST", "/v1/messages/messenger/sendtemplate", &key, Some(json!({"contact": {"id": person},
            "elements": [{"title": "Shoes", "buttons": [{"type": "web_url", "title": "Buy", "url": "https://x.example/buy"}]}]})))
        .await;
    let entry = until_settled(&app, &key, &person, card["id"].as_str().unwrap()).await;
    assert_eq!(entry["status"], "sent", "{entry}");
    assert_eq!(entry["providerMessageId"], "m_1");
    let text = app
        .ok(
            "POST",
            "/v1/messages/instagram/sendtext",
            &key,
            Some(json!({"contact": {"id": person}, "textMessage": "hi"})),
        )
        .await;
    until_settled(&app, &key, &person, text["id"].as_str().unwrap()).await;
    let posted = seen.lock().unwrap().clone();
    assert_eq!(posted[0].0, "/v21.0/PAGE1/messages?access_token=PAT-m");
    assert_eq!(
        posted[0].1,
        json!({"recipient": {"id": "2481"}, "messaging_type": "RESPONSE", "message": {"attachment": {"type": "template",
            "payload": {"template_type": "generic", "elements": [{"title": "Shoes",
                "buttons": [{"type": "web_url", "title": "Buy", "url": "https://x.example/buy"}]}]}}}})
    );
    assert_eq!(posted[1].0, "/v21.0/IG1/messages?access_token=PAT-i");
    assert_eq!(posted[1].1["message"], json!({"text": "hi"}));
    assert_eq!(posted[1].1["recipient"], json!({"id": "1784"}));

    // Media; "try later" retried; a fault of the provider's own, which may have come after
    // it sent the message, never retried; a refusal in the provider's words.
    let send_media = |messenger_id: &'static str| {
        let body = json!({"mediaUrl": "https://x.example/menu.pdf", "mimeType": "application/pdf"});
        let ids = json!({"messenger": messenger_id});
        send_to_new_contact(&app, &key, ids, "messenger/sendmedia", body)
    };
    let flaky = send_media("5030").await;
    assert_eq!(flaky["status"], "sent", "sent on the second try: {flaky}");
    let unknown = send_media("5000").await;
    assert_eq!(unknown["status"], "failed");
    assert_eq!(unknown["errorCode"], "outcome_unknown", "{unknown}");
    let reason = unknown["errorMessage"].as_str().unwrap();
    assert!(reason.contains("may or may not have gone out"), "{reason}");
    let refused = send_media("0000").await;
    assert_eq!(refused["status"], "failed");
    assert_eq!(
        refused["errorMessage"],
        "Messenger refused the message (400 Bad Request): (#100) No matching user found"
    );
    assert_eq!(refused["errorCode"], "100");
    let seen = seen.lock().unwrap().clone();
    let to = |id: &str| {
        seen.iter()
            .filter(|(_, b)| b["recipient"]["id"] == id)
            .count()
    };
    assert_eq!(
        (to("5030"), to("5000"), to("0000")),
        (2, 1, 1),
        "unknown outcomes and refusals are not retried"
    );
    assert_eq!(
        seen.last().unwrap().1["message"],
        json!({"attachment": {"type": "file", "payload": {"url": "https://x.example/menu.pdf", "is_reusable": true}}})
    );
}

/// Posts a Meta webhook body, signed with `secret`.
async fn post_signed(app: &TestApp, hook: &str, secret: &str, body: &Value) -> StatusCode {
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

#[tokio::test]
async fn messenger_and_instagram_webhooks_are_verified_signed_and_applied_once() {
    let (api, _seen) = fake_send_api();
    let base = format!("{api}/v21.0");
    let app = spawn_app_with(|c| {
        c.provider_urls.set(Channel::Messenger, &base);
        c.provider_urls.set(Channel::Instagram, &base);
    })
    .await;
    let key = app.create_account("a@example.com", Plan::Unlimited).key;
    let account = app.ok("GET", "/v1/account", &key, None).await["id"]
        .as_str()
        .unwrap()
        .to_string();
    app.ok(
        "PUT",
        "/v1/channels/messenger",
        &key,
        Some(json!({"pageId": "PAGE1", "pageAccessToken": "PAT",
        "appSecret": "m-secret", "verifyToken": "m-verify"})),
    )
    .await;
    app.ok(
        "PUT",
        "/v1/channels/instagram",
        &key,
        Some(json!({"accountId": "IG1", "pageAccessToken": "PAT",
        "appSecret": "i-secret", "verifyToken": "i-verify"})),
    )
    .await;
    let messenger = app.url(&format!("/webhooks/messenger/{account}"));
    let instagram = app.url(&format!("/webhooks/instagram/{account}"));

    let check = |hook: &str, token: &str| {
        app.client
            .get(format!(
                "{hook}?hub.mode=subscribe&hub.verify_token={token}&hub.challenge=42"
            ))
            .send()
    };
    let ok = check(&messenger, "m-verify").await.unwrap();
    assert_eq!(ok.status(), StatusCode::OK);
    assert_eq!(ok.text().await.unwrap(), "42");
    let other = check(&messenger, "i-verify").await.unwrap();
    assert_eq!(
        other.status(),
        StatusCode::FORBIDDEN,
        "each channel has its own token"
    );
    assert_eq!(
        check(&instagram, "i-verify").await.unwrap().status(),
        StatusCode::OK
    );
    let telegram = check(&app.url(&format!("/webhooks/telegram/{account}")), "x")
        .await
        .unwrap();
    assert_eq!(
        telegram.status(),
        StatusCode::METHOD_NOT_ALLOWED,
        "Telegram's takes POST"
    );

    let hello = json!({"object": "page", "entry": [{"id": "PAGE1", "time": 1795341600000_i64, "messaging": [
        {"sender": {"id": "PSID7"}, "recipient": {"id": "PAGE1"}, "timestamp": 1795341600000_i64,
         "message": {"mid": "m_in1", "text": "Is the blue one in stock?"}}]}]});
    assert_eq!(
        post_signed(&app, &messenger, "i-secret", &hello).await,
        StatusCode::UNAUTHORIZED
    );
    let unsigned = app
        .client
        .post(&messenger)
        .json(&hello)
        .send()
        .await
        .unwrap();
    assert_eq!(unsigned.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        app.ok("GET", "/v1/contacts", &key, None).await,
        json!([]),
        "nothing recorded"
    );
    for _ in 0..2 {
        assert_eq!(
            post_signed(&app, &messenger, "m-secret", &hello).await,
            StatusCode::OK
        );
    }
    let contacts = app.ok("GET", "/v1/contacts", &key, None).await;
    assert_eq!(contacts.as_array().unwrap().len(), 1, "{contacts}");
    assert_eq!(contacts[0]["channelIds"]["messenger"], "PSID7");
    let person = contacts[0]["id"].as_str().unwrap().to_string();
    let log_of = |person: String| {
        let (app, key) = (&app, &key);
        async move {
            app.ok("GET", &format!("/v1/messages/{person}"), key, None)
                .await
        }
    };
    let log = log_of(person.clone()).await;
    assert_eq!(
        log.as_array().unwrap().len(),
        1,
        "a redelivered message is recorded once"
    );
    assert_eq!(log[0]["text"], "Is the blue one in stock?");
    assert_eq!(log[0]["isIncoming"], true);

    // Our answer, then its receipts out of order: read (a watermark) before delivered (by id).
    let sent = app
        .ok(
            "POST",
            "/v1/messages/messenger/sendtext",
            &key,
            Some(json!({"contact": {"id": person}, "textMessage": "Yes, size 9 too"})),
        )
        .await;
    let entry = until_settled(&app, &key, &person, sent["id"].as_str().unwrap()).await;
    let mid = entry["providerMessageId"].as_str().unwrap().to_string();
    let receipt = |event: Value| {
        let mut e =
            json!({"sender": {"id": "PSID7"}, "recipient": {"id": "PAGE1"}, "timestamp": 1});
        e.as_object_mut()
            .unwrap()
            .extend(event.as_object().unwrap().clone());
        json!({"object": "page", "entry": [{"id": "PAGE1", "messaging": [e]}]})
    };
    let far_future = 4_102_444_800_000_i64; // 2100-01-01, in milliseconds
    let read = receipt(json!({"read": {"watermark": far_future}}));
    let delivered = receipt(json!({"delivery": {"mids": [mid], "watermark": far_future}}));
    for body in [&read, &delivered, &read] {
        assert_eq!(
            post_signed(&app, &messenger, "m-secret", body).await,
            StatusCode::OK
        );
    }
    let log = log_of(person.clone()).await;
    assert_eq!(
        log[0]["status"], "read",
        "a late 'delivered' never moves it back: {log}"
    );
    assert_eq!(
        log[1]["status"], "received",
        "receipts leave incoming messages alone"
    );

    // Instagram: a postback arrives as its payload (reads naming a message: unit-tested).
    let ig_events = json!({"object": "instagram", "entry": [{"id": "IG1", "time": 1, "messaging": [
        {"sender": {"id": "IGSID3"}, "recipient": {"id": "IG1"}, "timestamp": 1,
         "postback": {"mid": "ig_in1", "title": "Track order", "payload": "TRACK"}}]}]});
    assert_eq!(
        post_signed(&app, &instagram, "m-secret", &ig_events).await,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        post_signed(&app, &instagram, "i-secret", &ig_events).await,
        StatusCode::OK
    );
    let contacts = app.ok("GET", "/v1/contacts", &key, None).await;
    let igsid = contacts
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["channelIds"]["instagram"] == "IGSID3")
        .unwrap_or_else(|| panic!("the Instagram sender became a contact: {contacts}"));
    let log = log_of(igsid["id"].as_str().unwrap().to_string()).await;
    assert_eq!(log[0]["text"], "TRACK");
}

#[tokio::test]
async fn provider_addresses_are_the_operators_and_redirects_are_not_followed() {
    let stolen: Seen = Arc::default();
    let thief = stand_in(
        "/steal",
        stolen.clone(),
        |req: HttpRequest, seen: web::Data<Seen>, body: web::Json<Value>| async move {
            let auth = req.headers().get("authorization");
            let auth = auth.and_then(|v| v.to_str().ok()).unwrap_or_default();
            seen.lock()
                .unwrap()
                .push((req.path().into(), auth.into(), body.0));
            HttpResponse::Ok().json(json!({"messages": [{"id": "wamid.stolen"}]}))
        },
    );
    // The operator's stand-in answers every send with a redirect to the thief.
    let redirecting = stand_in(
        "/{version}/{phone_number_id}/messages",
        thief,
        |thief: web::Data<String>| async move {
            HttpResponse::TemporaryRedirect()
                .insert_header(("location", format!("{}/steal", thief.get_ref())))
                .finish()
        },
    );
    let app = spawn_app_using(Channel::WhatsApp, &format!("{redirecting}/v21.0")).await;
    let key = app.create_account("a@example.com", Plan::Unlimited).key;
    let settings = json!({"phoneNumberId": "1055", "accessToken": "EAAG-stored-token"});
    let set = app
        .ok("PUT", "/v1/channels/whatsapp", &key, Some(settings))
        .await;

    // A key holder cannot move the stored token to another host.
    let moved = app
        .call(
            "PUT",
            "/v1/channels/whatsapp",
            &key,
            Some(json!({"apiBaseUrl": "http://169.254.169.254/latest"})),
        )
        .await;
    let message = error_message(moved, StatusCode::BAD_REQUEST).await;
    assert!(message.starts_with("apiBaseUrl: "), "{message}");
    assert_eq!(
        app.ok("GET", "/v1/channels/whatsapp", &key, None).await,
        set
    );

    app.ok(
        "POST",
        "/v1/templates",
        &key,
        Some(json!({"name": "ping", "language": "en", "body": "Ping"})),
    )
    .await;
    let person = json!({"phoneNumber": "+919876543210"});
    let person = app.ok("POST", "/v1/contacts", &key, Some(person)).await;
    let person = person["id"].as_str().unwrap();
    let send = json!({"contact": {"id": person}, "template": {"name": "ping", "language": "en"}});
    let sent = app
        .ok(
            "POST",
            "/v1/messages/whatsapp/sendtemplate",
            &key,
            Some(send),
        )
        .await;
    let entry = until_settled(&app, &key, person, sent["id"].as_str().unwrap()).await;
    assert_eq!(entry["status"], "failed", "{entry}");
    let reason = entry["errorMessage"].as_str().unwrap();
    assert!(reason.contains("307"), "{reason}");
    assert!(
        stolen.lock().unwrap().is_empty(),
        "the redirect was followed"
    );
}

#[tokio::test]
async fn webhooks_tell_nobody_who_has_which_channel() {
    let app = spawn_app().await;
    let key = app.create_account("a@example.com", Plan::Unlimited).key;
    let account = app.ok("GET", "/v1/account", &key, None).await["id"]
        .as_str()
        .unwrap()
        .to_string();
    let settings = json!({"phoneNumberId": "1055", "accessToken": "t", "appSecret": "old-secret", "verifyToken": "v"});
    app.ok("PUT", "/v1/channels/whatsapp", &key, Some(settings))
        .await;
    let body = json!({"object": "whatsapp_business_account", "entry": []});
    let answer = |path: String, secret: &'static str| {
        let (app, body) = (&app, &body);
        async move {
            let res = app
                .client
                .post(app.url(&path))
                .header("x-hub-signature-256", sign(secret, &body.to_string()))
                .body(body.to_string())
                .send()
                .await
                .unwrap();
            (res.status(), res.text().await.unwrap())
        }
    };
    let forged = answer(format!("/webhooks/whatsapp/{account}"), "guess").await;
    assert_eq!(forged.0, StatusCode::UNAUTHORIZED);
    for path in [
        "/webhooks/whatsapp/999999".to_string(),
        format!("/webhooks/messenger/{account}"),
        format!("/webhooks/telegram/{account}"),
    ] {
        assert_eq!(answer(path.clone(), "guess").await, forged, "{path}");
    }
    let verify = |path: String| {
        let app = &app;
        async move {
            let url = app.url(&format!(
                "{path}?hub.mode=subscribe&hub.verify_token=x&hub.challenge=1"
            ));
            let res = app.client.get(url).send().await.unwrap();
            (res.status(), res.text().await.unwrap())
        }
    };
    let wrong = verify(format!("/webhooks/whatsapp/{account}")).await;
    assert_eq!(wrong.0, StatusCode::FORBIDDEN);
    assert_eq!(verify("/webhooks/whatsapp/999999".into()).await, wrong);

    // Signatures are checked against settings kept in memory, which a change replaces.
    let signed = answer(format!("/webhooks/whatsapp/{account}"), "old-secret").await;
    assert_eq!(signed.0, StatusCode::OK);
    app.ok(
        "PUT",
        "/v1/channels/whatsapp",
        &key,
        Some(json!({"appSecret": "new-secret"})),
    )
    .await;
    let stale = answer(format!("/webhooks/whatsapp/{account}"), "old-secret").await;
    assert_eq!(stale, forged, "the old secret stopped working at once");
    let fresh = answer(format!("/webhooks/whatsapp/{account}"), "new-secret").await;
    assert_eq!(fresh.0, StatusCode::OK);
}

#[tokio::test]
async fn one_meta_app_serving_two_accounts_records_each_ones_own_changes() {
    let app = spawn_app().await;
    let mut hooks = Vec::new();
    for (email, number) in [("a@example.com", "1055"), ("b@example.com", "2000")] {
        let key = app.create_account(email, Plan::Unlimited).key;
        let account = app.ok("GET", "/v1/account", &key, None).await["id"]
            .as_str()
            .unwrap()
            .to_string();
        let settings =
            json!({"phoneNumberId": number, "accessToken": "t", "appSecret": "shared-app"});
        app.ok("PUT", "/v1/channels/whatsapp", &key, Some(settings))
            .await;
        hooks.push((key, app.url(&format!("/webhooks/whatsapp/{account}"))));
    }
    // Meta sends b's message, a STOP, to the app's webhook, which is a's.
    let for_b = json!({"object": "whatsapp_business_account", "entry": [{"id": "WABA", "changes": [{"field": "messages",
        "value": {"messaging_product": "whatsapp", "metadata": {"phone_number_id": "2000"},
            "contacts": [{"profile": {"name": "Asha"}, "wa_id": "919876543210"}],
            "messages": [{"from": "919876543210", "id": "wamid.B1", "timestamp": "1795341600", "type": "text",
                          "text": {"body": "STOP"}}]}}]}]});
    let (a_key, a_hook) = &hooks[0];
    let (b_key, b_hook) = &hooks[1];
    assert_eq!(
        post_signed(&app, a_hook, "shared-app", &for_b).await,
        StatusCode::OK,
        "acknowledged, so Meta does not retry it"
    );
    assert_eq!(
        app.ok("GET", "/v1/contacts", a_key, None).await,
        json!([]),
        "a recorded nothing of b's"
    );
    assert_eq!(
        post_signed(&app, b_hook, "shared-app", &for_b).await,
        StatusCode::OK
    );
    let b_people = app.ok("GET", "/v1/contacts", b_key, None).await;
    assert_eq!(b_people[0]["optedOut"], true, "{b_people}");
}

/// Sends `send` as a WhatsApp template; the message id.
async fn ping(app: &TestApp, key: &str, send: &Value) -> String {
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

#[tokio::test]
async fn secrets_are_sealed_at_rest_with_the_operators_key() {
    let (graph, seen) = fake_graph();
    let url = format!("{graph}/v21.0");
    let key = SecretKey::parse(&SecretKey::generate()).unwrap();
    let sealing = key.clone();
    let app = spawn_app_with(|c| {
        c.provider_urls.set(Channel::WhatsApp, &url);
        c.secret_key = Some(sealing);
    })
    .await;
    let api_key = app.create_account("a@example.com", Plan::Unlimited).key;
    let settings = json!({"phoneNumberId": "1055", "accessToken": "EAAG-sealed-token", "appSecret": "app-secret-x"});
    app.ok("PUT", "/v1/channels/whatsapp", &api_key, Some(settings))
        .await;
    let raw: String = rusqlite::Connection::open(&app.db_path)
        .unwrap()
        .query_row("SELECT settings FROM channel_settings", [], |r| r.get(0))
        .unwrap();
    assert!(
        !raw.contains("EAAG-sealed-token") && !raw.contains("app-secret-x"),
        "{raw}"
    );
    assert!(raw.contains("\"phoneNumberId\":\"1055\""), "{raw}");
    assert_eq!(raw.matches("enc:v1:").count(), 2, "{raw}");

    app.ok(
        "POST",
        "/v1/templates",
        &api_key,
        Some(json!({"name": "ping", "language": "en", "body": "Ping"})),
    )
    .await;
    let person = json!({"phoneNumber": "+919876543210"});
    let person = app.ok("POST", "/v1/contacts", &api_key, Some(person)).await;
    let person = person["id"].as_str().unwrap().to_string();
    let send = json!({"contact": {"id": person}, "template": {"name": "ping", "language": "en"}});
    let id = ping(&app, &api_key, &send).await;
    let entry = until_settled(&app, &api_key, &person, &id).await;
    assert_eq!(entry["status"], "sent", "{entry}");
    assert_eq!(seen.lock().unwrap()[0].1, "Bearer EAAG-sealed-token");

    // Without the key the server refuses to guess: the message fails, never the sandbox.
    let app = app
        .restart_with(|c| c.provider_urls.set(Channel::WhatsApp, &url))
        .await;
    let id = ping(&app, &api_key, &send).await;
    let entry = until_settled(&app, &api_key, &person, &id).await;
    assert_eq!(entry["status"], "failed", "{entry}");
    assert_eq!(entry["errorCode"], "settings_unreadable");
    let reason = entry["errorMessage"].as_str().unwrap();
    assert!(reason.contains("--secret-key-file"), "{reason}");
}
