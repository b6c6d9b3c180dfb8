//! What the server writes to its log: requests, never the secrets that came with them
//! (keys, passwords, session ids, channel secrets).

use crate::helpers::{PASSWORD, Process};
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::time::Duration;

#[tokio::test]
async fn logs_never_hold_keys_passwords_session_ids_or_channel_secrets() {
    let dir = tempfile::tempdir().unwrap();
    // Debug, the most a user would turn on, to see everything a log line could carry.
    let server = Process::serve(
        &dir.path().join("sb.db"),
        &["--provider-url", "telegram=http://127.0.0.1:9"],
        "debug",
    )
    .await;
    let http = reqwest::Client::new();
    let url = |path: &str| format!("{}{path}", server.base);
    let admin = |path: &str, cookie: Option<&str>, body: Value| {
        let mut req = http.post(url(&format!("/admin/api{path}"))).json(&body);
        if let Some(cookie) = cookie {
            req = req.header("cookie", cookie);
        }
        req.send()
    };

    let signup = admin(
        "/signup",
        None,
        json!({"email": "owner@example.com", "password": PASSWORD}),
    )
    .await
    .unwrap();
    assert_eq!(signup.status(), StatusCode::OK);
    let cookie = signup.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_string();
    let session = cookie.trim_start_matches("sb_session=").to_string();
    let created: Value = admin("/keys", Some(&cookie), json!({"name": "app"}))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let key = created["key"].as_str().unwrap().to_string();

    let by_header = http
        .get(url("/v1/account"))
        .header("x-api-key", &key)
        .send()
        .await
        .unwrap();
    assert_eq!(by_header.status(), StatusCode::OK);
    let bearer = http
        .get(url("/v1/account"))
        .bearer_auth(&key)
        .send()
        .await
        .unwrap();
    assert_eq!(bearer.status(), StatusCode::OK);
    let in_query = http
        .get(url(&format!("/v1/account?apiKey={key}")))
        .send()
        .await
        .unwrap();
    assert_eq!(in_query.status(), StatusCode::UNAUTHORIZED);
    let wrong = admin(
        "/login",
        None,
        json!({"email": "owner@example.com", "password": "not the password at all"}),
    )
    .await
    .unwrap();
    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
    admin(
        "/login",
        None,
        json!({"email": "owner@example.com", "password": PASSWORD}),
    )
    .await
    .unwrap();
    admin("/logout", Some(&cookie), json!({})).await.unwrap();
    // Channel secrets, with a provider that cannot be reached (its token sits in the URL).
    let channel = http
        .put(url("/v1/channels/telegram"))
        .header("x-api-key", &key)
        .json(&json!({"botToken": "123:tg-log-secret", "webhookSecret": "hook-log-secret"}))
        .send()
        .await
        .unwrap();
    assert_eq!(channel.status(), StatusCode::OK);
    let person: Value = http
        .post(url("/v1/contacts"))
        .header("x-api-key", &key)
        .json(&json!({"channelIds": {"telegram": "5512"}}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let sent = http
        .post(url("/v1/messages/telegram/sendtext"))
        .header("x-api-key", &key)
        .json(&json!({"contact": {"id": person["id"]}, "textMessage": "hi"}))
        .send()
        .await
        .unwrap();
    assert_eq!(sent.status(), StatusCode::OK);
    let hook = http
        .post(url("/webhooks/telegram/1"))
        .header("x-telegram-bot-api-secret-token", "hook-log-secret")
        .json(&json!({"update_id": 1, "message": {"from": {"id": 5512}, "text": "hi"}}))
        .send()
        .await
        .unwrap();
    assert_eq!(hook.status(), StatusCode::OK);

    // Long enough for the worker to try the unreachable provider.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let log = server.log.lock().unwrap().clone();
    assert!(log.contains("/v1/account"), "requests are logged:\n{log}");
    for (what, secret) in [
        ("API key", key.as_str()),
        ("password", PASSWORD),
        ("wrong password", "not the password at all"),
        ("session id", session.as_str()),
        ("bot token", "tg-log-secret"),
        ("webhook secret", "hook-log-secret"),
    ] {
        assert!(!log.contains(secret), "the log holds the {what}:\n{log}");
    }
}
