//! Messenger and Instagram through Meta's Send API, and their webhooks.

use super::stand_ins::*;
use crate::helpers::spawn_app_with;
use reqwest::StatusCode;
use serde_json::{Value, json};
use switchboard::accounts::Plan;
use switchboard::messages::model::Channel;

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
