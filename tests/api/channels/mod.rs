//! Channel settings and the providers' transports and webhooks, against local stand-ins
//! for the providers' APIs ([`stand_ins`]): one file per provider, and one for what tenants
//! must not be able to do.

mod meta;
mod report;
mod security;
mod stand_ins;
mod telegram;
mod template_sync;
mod whatsapp;

use crate::helpers::{error_message, spawn_app};
use reqwest::StatusCode;
use serde_json::json;
use switchboard::accounts::Plan;

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
