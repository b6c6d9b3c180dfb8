//! WhatsApp through the Cloud API: sends, webhooks, retries and a failing broadcast.

use super::stand_ins::*;
use crate::helpers::{error_message, eventually};
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::time::Duration;
use switchboard::accounts::Plan;
use switchboard::messages::model::Channel;

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
