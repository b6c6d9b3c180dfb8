//! Sending and receiving (docs/api.md#messages): the twelve send endpoints, the session
//! window, the log, delivery through the worker, schedules across restarts, cancel,
//! idempotency.

use crate::helpers::{TestApp, error_message, eventually, spawn_app, spawn_app_with_sandbox};
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use switchboard::accounts::Plan;
use switchboard::delivery::{Outgoing, SendFuture, Transport, Transports};

async fn person(app: &TestApp, key: &str, body: Value) -> String {
    let created = app.ok("POST", "/v1/contacts", key, Some(body)).await;
    created["id"].as_str().unwrap().to_string()
}

async fn log(app: &TestApp, key: &str, contact: &str) -> Vec<Value> {
    let page = app
        .ok("GET", &format!("/v1/messages/{contact}"), key, None)
        .await;
    page.as_array().unwrap().clone()
}

/// Waits until the message with `id` in the person's log has `status`.
async fn until_status(app: &TestApp, key: &str, contact: &str, id: &str, status: &str) -> Value {
    app.message_when(key, contact, id, |m| m["status"] == status)
        .await
}

async fn receive(app: &TestApp, key: &str, channel: &str, body: Value) -> Value {
    app.ok(
        "POST",
        &format!("/v1/messages/{channel}/receive"),
        key,
        Some(body),
    )
    .await
}

#[tokio::test]
async fn whatsapp_free_text_needs_an_open_session_and_is_delivered_by_the_worker() {
    let app = spawn_app().await;
    let key = app.create_account("a@example.com", Plan::Unlimited).key;
    let asha = person(
        &app,
        &key,
        json!({"name": "Asha", "phoneNumber": "+919876543210"}),
    )
    .await;
    let send = json!({"contact": {"id": asha}, "textMessage": "Your order ships today"});

    let res = app
        .call(
            "POST",
            "/v1/messages/whatsapp/sendtext",
            &key,
            Some(send.clone()),
        )
        .await;
    let message = error_message(res, StatusCode::BAD_REQUEST).await;
    assert!(message.contains("use sendtemplate"), "{message}");

    // She writes: the window opens, her message is logged, and she is the same contact.
    let got = receive(
        &app,
        &key,
        "whatsapp",
        json!({"sender": {"phoneNumber": "+91 98765 43210"}, "textMessage": "Where is my order?"}),
    )
    .await;
    assert_eq!(got["status"], "received");
    assert_eq!(got["contactId"], asha, "the same contact");
    let sent = app
        .ok("POST", "/v1/messages/whatsapp/sendtext", &key, Some(send))
        .await;
    assert_eq!(sent["success"], true);
    assert_eq!(sent["status"], "queued");
    let id = sent["id"].as_str().unwrap();
    let entry = until_status(&app, &key, &asha, id, "sent").await;
    assert_eq!(
        entry["contact"],
        json!({"id": asha, "channel": "whatsapp", "phoneNumber": "+919876543210"})
    );
    assert_eq!(entry["channel"], "whatsapp");
    assert_eq!(entry["isIncoming"], false);
    assert_eq!(entry["type"], "text");
    assert_eq!(entry["sentBy"], "api");
    assert_eq!(entry["text"], "Your order ships today");
    assert_eq!(entry["errorMessage"], Value::Null);
    assert!(entry["sentAt"].is_string() && entry["createdAt"].is_string());

    // Newest first; the incoming message follows.
    let entries = log(&app, &key, &asha).await;
    assert_eq!(entries.len(), 2);
    assert_eq!(entries[0]["id"], id);
    assert_eq!(entries[1]["isIncoming"], true);
    assert_eq!(entries[1]["text"], "Where is my order?");
    let contact = app
        .ok("GET", &format!("/v1/contacts/{asha}"), &key, None)
        .await;
    assert!(contact["lastActivityAt"].is_string(), "{contact}");

    // 25 hours later (rewound in the file, as a clock would move) the window is closed.
    let db = rusqlite::Connection::open(&app.db_path).unwrap();
    db.busy_timeout(Duration::from_secs(5)).unwrap();
    db.execute(
        "UPDATE contacts SET whatsapp_inbound_at = whatsapp_inbound_at - 25 * 3600",
        [],
    )
    .unwrap();
    let res = app
        .call(
            "POST",
            "/v1/messages/whatsapp/sendmedia",
            &key,
            Some(json!({"contact": {"id": asha}, "mediaUrl": "https://cdn.example.com/i.pdf", "mimeType": "application/pdf"})),
        )
        .await;
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    // Other channels have no such window.
    let tg = person(
        &app,
        &key,
        json!({"name": "T", "channelIds": {"telegram": "5512"}}),
    )
    .await;
    app.ok(
        "POST",
        "/v1/messages/telegram/sendtext",
        &key,
        Some(json!({"contact": {"id": tg}, "textMessage": "hello"})),
    )
    .await;
}

#[tokio::test]
async fn whatsapp_templates_are_rendered_into_the_log_and_recepient_finds_or_creates() {
    let app = spawn_app().await;
    let key = app.create_account("a@example.com", Plan::Unlimited).key;
    app.ok(
        "POST",
        "/v1/templates",
        &key,
        Some(json!({"name": "order_update", "language": "en_US", "header": {"type": "TEXT", "text": "Order {{1}}"},
                    "body": "Hi {{1}}, your order {{2}} ships today", "footer": "Thanks",
                    "buttons": [{"type": "URL", "text": "Track", "url": "https://example.com/t/{{1}}"}]})),
    )
    .await;
    let body = |params: Value| {
        json!({"recepient": {"phoneNumber": "+919876543210", "name": "Asha"},
               "template": {"name": "order_update", "language": "en_US"},
               "headerTextParameters": ["A-17"], "bodyTextParameters": params, "buttonUrlParameters": ["A-17"]})
    };
    let sent = app
        .ok(
            "POST",
            "/v1/messages/whatsapp/sendtemplate",
            &key,
            Some(body(json!(["Asha", "A-17"]))),
        )
        .await;
    let contacts = app
        .ok("GET", "/v1/contacts?searchText=9876543210", &key, None)
        .await;
    assert_eq!(contacts.as_array().unwrap().len(), 1, "{contacts}");
    let asha = contacts[0]["id"].as_str().unwrap().to_string();
    assert_eq!(contacts[0]["name"], "Asha");
    let entry = until_status(&app, &key, &asha, sent["id"].as_str().unwrap(), "sent").await;
    assert_eq!(entry["type"], "template");
    assert_eq!(entry["text"], "Hi Asha, your order A-17 ships today");
    assert_eq!(entry["headerText"], "Order A-17");
    assert_eq!(entry["footerText"], "Thanks");
    assert_eq!(
        entry["options"],
        json!({"type": "buttons", "buttons": [{"type": "URL", "text": "Track", "url": "https://example.com/t/A-17"}]})
    );

    // The same phone written another way is the same contact; no session needed.
    let again = json!({"recipient": {"phoneNumber": "+91-98765-43210"},
                       "template": {"name": "order_update", "language": "en_US"},
                       "headerTextParameters": ["A-18"], "bodyTextParameters": ["Asha", "A-18"], "buttonUrlParameters": ["A-18"]});
    app.ok(
        "POST",
        "/v1/messages/whatsapp/sendtemplate",
        &key,
        Some(again),
    )
    .await;
    assert_eq!(log(&app, &key, &asha).await.len(), 2);

    for (bad, field, status) in [
        (
            body(json!(["Asha"])),
            "bodyTextParameters",
            StatusCode::BAD_REQUEST,
        ),
        (
            json!({"contact": {"id": asha}, "template": {"name": "nope", "language": "en_US"}}),
            "template",
            StatusCode::NOT_FOUND,
        ),
        (
            json!({"contact": {"id": asha}, "template": {"name": "order_update"}}),
            "template.language",
            StatusCode::BAD_REQUEST,
        ),
    ] {
        let res = app
            .call(
                "POST",
                "/v1/messages/whatsapp/sendtemplate",
                &key,
                Some(bad),
            )
            .await;
        let message = error_message(res, status).await;
        assert!(message.starts_with(field), "{message}");
    }
}

#[tokio::test]
async fn telegram_instagram_and_messenger_need_the_persons_channel_id() {
    let app = spawn_app().await;
    let key = app.create_account("a@example.com", Plan::Unlimited).key;
    let bare = person(
        &app,
        &key,
        json!({"name": "No ids", "phoneNumber": "+14155550100"}),
    )
    .await;
    let ids = person(
        &app,
        &key,
        json!({"name": "Ids", "channelIds": {"telegram": "551", "instagram": "178", "messenger": "248"}}),
    )
    .await;
    for channel in ["telegram", "instagram", "messenger"] {
        let res = app
            .call(
                "POST",
                &format!("/v1/messages/{channel}/sendtext"),
                &key,
                Some(json!({"contact": {"id": bare}, "textMessage": "hi"})),
            )
            .await;
        let message = error_message(res, StatusCode::BAD_REQUEST).await;
        assert!(
            message.contains(&format!("no channelIds.{channel}")),
            "{message}"
        );
    }
    let res = app
        .call(
            "POST",
            "/v1/messages/whatsapp/sendtemplate",
            &key,
            Some(json!({"contact": {"id": ids}, "template": {"name": "x", "language": "en"}})),
        )
        .await;
    assert!(
        error_message(res, StatusCode::BAD_REQUEST)
            .await
            .contains("no phoneNumber")
    );

    let tg = app
        .ok(
            "POST",
            "/v1/messages/telegram/sendtemplate",
            &key,
            Some(json!({"contact": {"id": ids}, "headerType": "IMAGE", "mediaUrl": "https://x.example/a.png",
                        "textMessage": "Sale today", "buttons": [{"type": "web_url", "title": "Shop", "url": "https://x.example/shop"}]})),
        )
        .await;
    let entry = until_status(&app, &key, &ids, tg["id"].as_str().unwrap(), "sent").await;
    assert_eq!(entry["mediaUrl"], "https://x.example/a.png");
    assert_eq!(
        entry["options"]["buttons"][0],
        json!({"type": "web_url", "text": "Shop", "url": "https://x.example/shop"})
    );

    let card = json!({"contact": {"id": ids}, "elements": [{"title": "Shoes", "subtitle": "New in", "image_url": "https://x.example/s.jpg",
        "default_action": {"type": "web_url", "url": "https://x.example/s"},
        "buttons": [{"type": "postback", "title": "Buy", "payload": "BUY_SHOES"}]}]});
    for channel in ["instagram", "messenger"] {
        let sent = app
            .ok(
                "POST",
                &format!("/v1/messages/{channel}/sendtemplate"),
                &key,
                Some(card.clone()),
            )
            .await;
        let entry = until_status(&app, &key, &ids, sent["id"].as_str().unwrap(), "sent").await;
        assert_eq!(entry["channel"], channel);
        assert_eq!(entry["text"], "Shoes");
        assert_eq!(
            entry["options"],
            json!({"type": "generic", "buttons": [{"type": "postback", "text": "Buy", "payload": "BUY_SHOES"}]})
        );
    }
    let media = app
        .ok(
            "POST",
            "/v1/messages/messenger/sendmedia",
            &key,
            Some(json!({"contact": {"id": ids}, "mediaUrl": "https://x.example/v.mp4", "mimeType": "video/mp4"})),
        )
        .await;
    until_status(&app, &key, &ids, media["id"].as_str().unwrap(), "sent").await;
    assert_eq!(log(&app, &key, &ids).await.len(), 4);

    for path in ["/v1/messages/sms/sendtext", "/v1/messages/whatsapp/sendfax"] {
        let res = app
            .call("POST", path, &key, Some(json!({"contact": {"id": ids}})))
            .await;
        assert_eq!(res.status(), StatusCode::NOT_FOUND, "{path}");
    }
}

#[tokio::test]
async fn malformed_send_bodies_are_400_naming_the_field() {
    let app = spawn_app().await;
    let key = app.create_account("a@example.com", Plan::Unlimited).key;
    let c = person(
        &app,
        &key,
        json!({"phoneNumber": "+14155550100", "channelIds": {"telegram": "1"}}),
    )
    .await;
    let cases = [
        (
            "whatsapp/sendtext",
            json!({"contact": {"id": c}}),
            "textMessage",
        ),
        (
            "whatsapp/sendtext",
            json!({"contact": {"id": c}, "textMessage": 5}),
            "textMessage",
        ),
        (
            "whatsapp/sendtext",
            json!({"contact": {"id": "x"}, "textMessage": "a"}),
            "contact.id",
        ),
        (
            "whatsapp/sendtext",
            json!({"textMessage": "a"}),
            "recipient",
        ),
        (
            "whatsapp/sendtext",
            json!({"recepient": {"name": "A"}, "textMessage": "a"}),
            "recepient.phoneNumber",
        ),
        (
            "whatsapp/sendtext",
            json!({"recepient": {"phoneNumber": "+1 000"}, "textMessage": "a"}),
            "recepient.phoneNumber",
        ),
        (
            "telegram/sendtext",
            json!({"contact": {"id": c}, "textMessage": "a", "scheduleDateTime": "soon"}),
            "scheduleDateTime",
        ),
        (
            "telegram/sendmedia",
            json!({"contact": {"id": c}, "mediaUrl": "javascript:alert(1)", "mimeType": "image/png"}),
            "mediaUrl",
        ),
        (
            "telegram/sendmedia",
            json!({"contact": {"id": c}, "mediaUrl": "https://x.example/a", "mimeType": "png"}),
            "mimeType",
        ),
        (
            "telegram/sendmedia",
            json!({"contact": {"id": c}, "mimeType": "image/png"}),
            "mediaUrl",
        ),
        (
            "telegram/sendtemplate",
            json!({"contact": {"id": c}, "buttons": []}),
            "textMessage",
        ),
        (
            "telegram/sendtemplate",
            json!({"contact": {"id": c}, "textMessage": "a", "buttons": [{"type": "web_url", "title": "x"}]}),
            "buttons[0].url",
        ),
        (
            "messenger/sendtemplate",
            json!({"contact": {"id": c}}),
            "elements",
        ),
        (
            "messenger/sendtemplate",
            json!({"contact": {"id": c}, "elements": [{"title": 1}]}),
            "elements[0].title",
        ),
        (
            "whatsapp/sendtemplate",
            json!({"contact": {"id": c}}),
            "template",
        ),
        (
            "whatsapp/sendtemplate",
            json!({"contact": {"id": c}, "template": {"name": "a", "language": "en"}, "bodyTextParameters": "x"}),
            "bodyTextParameters",
        ),
        (
            "whatsapp/receive",
            json!({"sender": {"phoneNumber": "+14155550100"}}),
            "textMessage",
        ),
        (
            "telegram/receive",
            json!({"sender": {"name": "x"}, "textMessage": "a"}),
            "sender.channelUserId",
        ),
        ("telegram/receive", json!({"textMessage": "a"}), "sender"),
    ];
    for (path, body, field) in cases {
        let res = app
            .call(
                "POST",
                &format!("/v1/messages/{path}"),
                &key,
                Some(body.clone()),
            )
            .await;
        let message = error_message(res, StatusCode::BAD_REQUEST).await;
        assert!(message.starts_with(field), "{path} {body}: {message}");
    }
    // A location the account lacks is 404, naming the field.
    let res = app
        .call(
            "POST",
            "/v1/messages/telegram/sendtext",
            &key,
            Some(json!({"contact": {"id": c}, "textMessage": "a", "location": {"id": 999}})),
        )
        .await;
    let message = error_message(res, StatusCode::NOT_FOUND).await;
    assert!(message.starts_with("location.id"), "{message}");
    // Every endpoint: no recipient, and a recipient with nothing to send.
    let required = [
        ("sendtext", "textMessage"),
        ("sendmedia", "mediaUrl"),
        ("sendtemplate", ""),
    ];
    for channel in ["whatsapp", "telegram", "instagram", "messenger"] {
        for (action, field) in required {
            let path = format!("/v1/messages/{channel}/{action}");
            let res = app
                .call("POST", &path, &key, Some(json!({"textMessage": "a"})))
                .await;
            let message = error_message(res, StatusCode::BAD_REQUEST).await;
            assert!(message.starts_with("recipient"), "{path}: {message}");
            let res = app
                .call("POST", &path, &key, Some(json!({"contact": {"id": c}})))
                .await;
            let message = error_message(res, StatusCode::BAD_REQUEST).await;
            let field = match (channel, field) {
                ("whatsapp", "") => "template",
                ("telegram", "") => "textMessage",
                (_, "") => "elements",
                _ => field,
            };
            assert!(message.starts_with(field), "{path}: {message}");
        }
    }
    let res = app
        .client
        .post(app.url("/v1/messages/telegram/sendtext"))
        .header("x-api-key", &key)
        .header("content-type", "application/json")
        .body("{\"contact\": ")
        .send()
        .await
        .unwrap();
    assert!(
        error_message(res, StatusCode::BAD_REQUEST)
            .await
            .starts_with("malformed JSON")
    );
    assert!(log(&app, &key, &c).await.is_empty(), "nothing was logged");
}

#[tokio::test]
async fn scheduled_messages_wait_go_out_after_a_restart_and_can_be_cancelled() {
    let app = spawn_app().await;
    let key = app.create_account("a@example.com", Plan::Unlimited).key;
    let c = person(&app, &key, json!({"channelIds": {"telegram": "1"}})).await;
    let at = |secs: i64| {
        let t = time::OffsetDateTime::now_utc() + time::Duration::seconds(secs);
        t.format(&time::format_description::well_known::Rfc3339)
            .unwrap()
    };
    let soon = app
        .ok(
            "POST",
            "/v1/messages/telegram/sendtext",
            &key,
            Some(json!({"contact": {"id": c}, "textMessage": "soon", "scheduleDateTime": at(2)})),
        )
        .await;
    assert_eq!(soon["status"], "scheduled");
    let later = app
        .ok(
            "POST",
            "/v1/messages/telegram/sendtext",
            &key,
            Some(
                json!({"contact": {"id": c}, "textMessage": "later", "scheduleDateTime": at(3600)}),
            ),
        )
        .await;
    let later_id = later["id"].as_str().unwrap();
    let entry = log(&app, &key, &c)
        .await
        .into_iter()
        .find(|m| m["id"] == later_id)
        .unwrap();
    assert_eq!(entry["status"], "scheduled");
    assert!(entry["scheduledAt"].is_string());

    // Down while the first comes due (the pause runs between stop and start); sent once up.
    let app = app
        .restart_with(|_| std::thread::sleep(Duration::from_millis(2500)))
        .await;
    until_status(&app, &key, &c, soon["id"].as_str().unwrap(), "sent").await;

    let cancel = app
        .ok(
            "POST",
            &format!("/v1/messages/{later_id}/cancel"),
            &key,
            None,
        )
        .await;
    assert_eq!(cancel["status"], "cancelled");
    let res = app
        .call(
            "POST",
            &format!("/v1/messages/{later_id}/cancel"),
            &key,
            None,
        )
        .await;
    assert!(
        error_message(res, StatusCode::CONFLICT)
            .await
            .contains("cancelled")
    );
    let res = app
        .call(
            "POST",
            &format!("/v1/messages/{}/cancel", soon["id"].as_str().unwrap()),
            &key,
            None,
        )
        .await;
    assert_eq!(res.status(), StatusCode::CONFLICT, "already sent");
    let res = app
        .call("POST", "/v1/messages/999999/cancel", &key, None)
        .await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
}

/// Records what it is handed; with `hold`, never answers (a transport the server dies in).
#[derive(Default)]
struct Recorder {
    sent: Mutex<HashMap<i64, usize>>,
    hold: bool,
}

impl Transport for Recorder {
    fn send<'a>(&'a self, message: &'a Outgoing) -> SendFuture<'a> {
        *self.sent.lock().unwrap().entry(message.id).or_default() += 1;
        let hold = self.hold;
        Box::pin(async move {
            if hold {
                std::future::pending::<()>().await;
            }
            Ok(Some(format!("provider-{}", message.id)))
        })
    }
}

#[tokio::test]
async fn a_message_interrupted_in_its_transport_is_reported_and_never_sent_twice() {
    let holding = Arc::new(Recorder {
        hold: true,
        ..Recorder::default()
    });
    let transport = holding.clone();
    let app = spawn_app_with_sandbox(Transports::all(transport), |c| c.shutdown_timeout = 1).await;
    let key = app.create_account("a@example.com", Plan::Unlimited).key;
    let c = person(&app, &key, json!({"channelIds": {"telegram": "1"}})).await;
    let sent = app
        .ok(
            "POST",
            "/v1/messages/telegram/sendtext",
            &key,
            Some(json!({"contact": {"id": c}, "textMessage": "once"})),
        )
        .await;
    let id: i64 = sent["id"].as_str().unwrap().parse().unwrap();
    eventually(
        Duration::from_secs(5),
        "the transport is handed the message",
        || async { holding.sent.lock().unwrap().contains_key(&id).then_some(()) },
    )
    .await;
    assert_eq!(
        holding.sent.lock().unwrap().get(&id),
        Some(&1),
        "handed to the transport"
    );

    let recorder = Arc::new(Recorder::default());
    let transport = recorder.clone();
    let app = app.restart_with_sandbox(Transports::all(transport)).await;
    let entry = until_status(&app, &key, &c, &id.to_string(), "failed").await;
    assert!(
        entry["errorMessage"]
            .as_str()
            .unwrap()
            .starts_with("interrupted"),
        "{entry}"
    );
    // A message queued now goes out through the new transport; the interrupted one never does.
    let next = app
        .ok(
            "POST",
            "/v1/messages/telegram/sendtext",
            &key,
            Some(json!({"contact": {"id": c}, "textMessage": "next"})),
        )
        .await;
    until_status(&app, &key, &c, next["id"].as_str().unwrap(), "sent").await;
    let sent = recorder.sent.lock().unwrap().clone();
    assert_eq!(sent.len(), 1, "{sent:?}");
    assert!(!sent.contains_key(&id));
}

#[tokio::test]
async fn idempotency_keys_replay_the_first_answer_and_send_once() {
    let app = spawn_app().await;
    let key = app.create_account("a@example.com", Plan::Unlimited).key;
    let other = app.create_account("b@example.com", Plan::Unlimited).key;
    let c = person(&app, &key, json!({"channelIds": {"telegram": "1"}})).await;
    let body = json!({"contact": {"id": c}, "textMessage": "pay now"}).to_string();
    let post = |api_key: &str, idem: &str, body: &str| {
        app.client
            .post(app.url("/v1/messages/telegram/sendtext"))
            .header("x-api-key", api_key)
            .header("content-type", "application/json")
            .header("idempotency-key", idem)
            .body(body.to_string())
            .send()
    };
    let first = post(&key, "order-17", &body).await.unwrap();
    assert_eq!(first.status(), StatusCode::OK);
    let first = first.bytes().await.unwrap();
    let again = post(&key, "order-17", &body).await.unwrap();
    assert_eq!(again.status(), StatusCode::OK);
    assert_eq!(again.bytes().await.unwrap(), first, "byte for byte");
    assert_eq!(log(&app, &key, &c).await.len(), 1, "sent once");

    let changed = json!({"contact": {"id": c}, "textMessage": "pay later"}).to_string();
    let res = post(&key, "order-17", &changed).await.unwrap();
    assert!(
        error_message(res, StatusCode::UNPROCESSABLE_ENTITY)
            .await
            .starts_with("Idempotency-Key")
    );
    // Keys are per account: the same key elsewhere is a new request (here: a 404 contact).
    let res = post(&other, "order-17", &body).await.unwrap();
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    let res = post(&key, "", &body).await.unwrap();
    assert!(
        error_message(res, StatusCode::BAD_REQUEST)
            .await
            .starts_with("Idempotency-Key")
    );

    // Concurrent duplicates: one message; every 200 is the same answer, the rest 409.
    let body = json!({"contact": {"id": c}, "textMessage": "burst"}).to_string();
    let answers = futures_join((0..16).map(|_| post(&key, "burst-1", &body)).collect()).await;
    let mut ok = Vec::new();
    for res in answers {
        match res.status() {
            StatusCode::OK => ok.push(res.bytes().await.unwrap()),
            StatusCode::CONFLICT => {}
            other => panic!("unexpected {other}"),
        }
    }
    assert!(!ok.is_empty());
    assert!(ok.iter().all(|b| *b == ok[0]));
    assert_eq!(log(&app, &key, &c).await.len(), 2);
}

async fn futures_join<
    F: std::future::Future<Output = reqwest::Result<reqwest::Response>> + Send + 'static,
>(
    requests: Vec<F>,
) -> Vec<reqwest::Response> {
    let tasks: Vec<_> = requests.into_iter().map(tokio::spawn).collect();
    let mut out = Vec::new();
    for task in tasks {
        out.push(task.await.unwrap().unwrap());
    }
    out
}

#[tokio::test]
async fn another_accounts_messages_and_people_are_404_and_a_deleted_person_takes_their_log() {
    let app = spawn_app().await;
    let key = app.create_account("a@example.com", Plan::Unlimited).key;
    let other = app.create_account("b@example.com", Plan::Unlimited).key;
    let c = person(&app, &key, json!({"channelIds": {"telegram": "1"}})).await;
    let sent = app
        .ok(
            "POST",
            "/v1/messages/telegram/sendtext",
            &key,
            Some(json!({"contact": {"id": c}, "textMessage": "hi"})),
        )
        .await;
    let id = sent["id"].as_str().unwrap();
    let res = app
        .call(
            "POST",
            "/v1/messages/telegram/sendtext",
            &other,
            Some(json!({"contact": {"id": c}, "textMessage": "x"})),
        )
        .await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    let res = app
        .call(
            "POST",
            "/v1/messages/telegram/receive",
            &other,
            Some(json!({"contact": {"id": c}, "textMessage": "x"})),
        )
        .await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    assert_eq!(
        app.call("GET", &format!("/v1/messages/{c}"), &other, None)
            .await
            .status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.call("POST", &format!("/v1/messages/{id}/cancel"), &other, None)
            .await
            .status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(log(&app, &key, &c).await.len(), 1);

    app.ok("DELETE", &format!("/v1/contacts/{c}"), &key, None)
        .await;
    let db = rusqlite::Connection::open(&app.db_path).unwrap();
    let left: i64 = db
        .query_row(
            "SELECT count(*) FROM messages WHERE contact_id = ?1",
            [c.parse::<i64>().unwrap()],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(left, 0);
}

#[tokio::test]
async fn the_log_pages_newest_first_searches_and_does_not_shift() {
    let app = spawn_app().await;
    let key = app.create_account("a@example.com", Plan::Unlimited).key;
    let c = person(&app, &key, json!({"channelIds": {"telegram": "1"}})).await;
    let mut ids = Vec::new();
    for i in 0..5 {
        let got = receive(
            &app,
            &key,
            "telegram",
            json!({"contact": {"id": c}, "textMessage": format!("note {i}")}),
        )
        .await;
        ids.push(got["id"].as_str().unwrap().to_string());
    }
    let res = app
        .call(
            "GET",
            &format!("/v1/messages/{c}?limit=2&page=2"),
            &key,
            None,
        )
        .await;
    assert_eq!(res.headers()["x-total-count"], "5");
    let page: Vec<Value> = res.json().await.unwrap();
    assert_eq!(
        page.iter().map(|m| m["text"].clone()).collect::<Vec<_>>(),
        [json!("note 2"), json!("note 1")]
    );
    let found = app
        .ok(
            "GET",
            &format!("/v1/messages/{c}?searchText=note%203"),
            &key,
            None,
        )
        .await;
    assert_eq!(found.as_array().unwrap().len(), 1);
    // `before` pages from a fixed point: a new message does not move the next page.
    let first: Vec<Value> = app
        .ok("GET", &format!("/v1/messages/{c}?limit=2"), &key, None)
        .await
        .as_array()
        .unwrap()
        .clone();
    receive(
        &app,
        &key,
        "telegram",
        json!({"contact": {"id": c}, "textMessage": "new"}),
    )
    .await;
    let before = first[1]["id"].as_str().unwrap();
    let next = app
        .ok(
            "GET",
            &format!("/v1/messages/{c}?limit=2&before={before}"),
            &key,
            None,
        )
        .await;
    assert_eq!(next[0]["text"], "note 2");
}
