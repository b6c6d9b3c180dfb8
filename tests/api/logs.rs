//! What the server writes to its log: requests, never the secrets that came with them.

use crate::helpers::{PASSWORD, Process};
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::time::Duration;

#[tokio::test]
async fn logs_never_hold_keys_passwords_or_session_ids() {
    let dir = tempfile::tempdir().unwrap();
    // Debug, the most a user would turn on, to see everything a log line could carry.
    let server = Process::serve(&dir.path().join("sb.db"), &[], "debug").await;
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

    tokio::time::sleep(Duration::from_millis(300)).await;
    let log = server.log.lock().unwrap().clone();
    assert!(log.contains("/v1/account"), "requests are logged:\n{log}");
    for (what, secret) in [
        ("API key", key.as_str()),
        ("password", PASSWORD),
        ("wrong password", "not the password at all"),
        ("session id", session.as_str()),
    ] {
        assert!(!log.contains(secret), "the log holds the {what}:\n{log}");
    }
}
