//! What tenants cannot do with providers: choose where the server connects, learn who has
//! which channel, read one another's changes, or find secrets in the database file.

use super::stand_ins::*;
use crate::helpers::{error_message, spawn_app, spawn_app_with, stand_in};
use actix_web::{HttpRequest, HttpResponse, web};
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::sync::Arc;
use switchboard::accounts::Plan;
use switchboard::messages::model::Channel;
use switchboard::secrets::SecretKey;

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
