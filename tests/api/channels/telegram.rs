//! Telegram through the Bot API, and its webhook.

use super::stand_ins::*;
use reqwest::StatusCode;
use serde_json::json;
use switchboard::accounts::Plan;
use switchboard::messages::model::Channel;

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
    assert_eq!(entry["errorCode"], "400", "the Bot API's own error_code");
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
