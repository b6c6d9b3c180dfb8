//! Event webhooks: a receiver in this process checks every request with the Standard
//! Webhooks algorithm, written here from the specification, not taken from the server.

use crate::helpers::{Process, TestApp, cli, error_message, eventually, spawn_app, spawn_app_with};
use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use hmac::{Hmac, KeyInit, Mac};
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use switchboard::accounts::Plan;
use switchboard::config::Config;
use switchboard::webhooks::model::Schedule;

/// What the receiver got: one entry per request.
#[derive(Debug, Clone)]
struct Got {
    id: String,
    body: Value,
    /// The secrets (by their index in `Receiver::secrets`) whose signature was in the header.
    signed_by: Vec<usize>,
}

/// How the receiver answers.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Answer {
    Ok,
    /// 500 to the first `n` requests for each event id.
    FailFirst(usize),
    Gone,
    /// Never answers the first request (the server is killed meanwhile), then 200.
    HangFirst,
}

#[derive(Default)]
struct Receiver {
    secrets: Vec<String>,
    got: Vec<Got>,
    answer: Option<Answer>,
}

type Shared = Arc<Mutex<Receiver>>;

/// Verifies `header` over `id.timestamp.body` with each secret, as the specification says.
fn signed_by(
    secrets: &[String],
    id: &str,
    timestamp: &str,
    body: &[u8],
    header: &str,
) -> Vec<usize> {
    let given: Vec<&str> = header
        .split(' ')
        .filter_map(|s| s.strip_prefix("v1,"))
        .collect();
    let mut by = Vec::new();
    for (i, secret) in secrets.iter().enumerate() {
        let key = BASE64
            .decode(secret.strip_prefix("whsec_").expect("whsec_ prefix"))
            .expect("base64");
        let mut mac = <Hmac<sha2::Sha256> as KeyInit>::new_from_slice(&key).unwrap();
        mac.update(format!("{id}.{timestamp}.").as_bytes());
        mac.update(body);
        let expected = BASE64.encode(mac.finalize().into_bytes());
        if given.contains(&expected.as_str()) {
            by.push(i);
        }
    }
    by
}

async fn receive(req: HttpRequest, body: web::Bytes, shared: web::Data<Shared>) -> HttpResponse {
    let header = |name: &str| {
        req.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string()
    };
    let (id, timestamp) = (header("webhook-id"), header("webhook-timestamp"));
    let answer = {
        let mut r = shared.lock().unwrap();
        assert_eq!(header("content-type"), "application/json");
        let ts: i64 = timestamp.parse().expect("a unix timestamp");
        assert!(
            (ts - switchboard::clock::now()).abs() < 300,
            "a fresh timestamp"
        );
        let by = signed_by(
            &r.secrets,
            &id,
            &timestamp,
            &body,
            &header("webhook-signature"),
        );
        let got = Got {
            id: id.clone(),
            body: serde_json::from_slice(&body).expect("a JSON body"),
            signed_by: by,
        };
        r.got.push(got);
        let seen = r.got.iter().filter(|g| g.id == id).count();
        match r.answer.unwrap_or(Answer::Ok) {
            Answer::FailFirst(n) if seen <= n => Some(500),
            Answer::Gone => Some(410),
            Answer::HangFirst if seen == 1 => None,
            _ => Some(200),
        }
    };
    match answer {
        Some(status) => {
            HttpResponse::build(actix_web::http::StatusCode::from_u16(status).unwrap()).finish()
        }
        None => {
            tokio::time::sleep(Duration::from_secs(60)).await;
            HttpResponse::Ok().finish()
        }
    }
}

/// A receiver on 127.0.0.1, port 0: its URL and what it got.
fn receiver(answer: Answer) -> (String, Shared) {
    let shared: Shared = Arc::new(Mutex::new(Receiver {
        answer: Some(answer),
        ..Receiver::default()
    }));
    let state = shared.clone();
    let server = HttpServer::new(move || {
        App::new()
            .app_data(web::Data::new(state.clone()))
            .route("/hook", web::post().to(receive))
    })
    .workers(2)
    .disable_signals()
    .bind("127.0.0.1:0")
    .unwrap();
    let url = format!("http://{}/hook", server.addrs()[0]);
    tokio::spawn(server.run());
    (url, shared)
}

/// A server that may call receivers on 127.0.0.1, retrying at once.
async fn local_app() -> TestApp {
    spawn_app_with(local).await
}

fn local(c: &mut Config) {
    c.webhooks.destinations.allow_private = true;
    c.webhooks.policy.schedule = Schedule::parse("0,0,0,0").unwrap();
}

/// Adds an endpoint for `events`; its id, and its secret given to the receiver.
async fn subscribe(app: &TestApp, key: &str, url: &str, events: Value, shared: &Shared) -> String {
    let res = app
        .call(
            "POST",
            "/v1/webhooks",
            key,
            Some(json!({"url": url, "events": events})),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let created: Value = res.json().await.unwrap();
    let secret = created["secret"].as_str().unwrap().to_string();
    assert!(secret.starts_with("whsec_"));
    shared.lock().unwrap().secrets.push(secret);
    created["id"].as_str().unwrap().to_string()
}

async fn got_when(shared: &Shared, what: &str, done: impl Fn(&[Got]) -> bool) -> Vec<Got> {
    eventually(Duration::from_secs(10), what, || async {
        let got = shared.lock().unwrap().got.clone();
        done(&got).then_some(got)
    })
    .await
}

fn of_type<'a>(got: &'a [Got], event_type: &str) -> Vec<&'a Got> {
    got.iter()
        .filter(|g| g.body["type"] == event_type)
        .collect()
}

#[tokio::test]
async fn changes_are_pushed_signed_with_the_object_as_the_api_shows_it() {
    let app = local_app().await;
    let key = app.create_account("a@example.com", Plan::Unlimited).key;
    let (url, shared) = receiver(Answer::Ok);
    let id = subscribe(&app, &key, &url, json!(["*"]), &shared).await;
    let listed = app
        .ok("GET", &format!("/v1/webhooks/{id}"), &key, None)
        .await;
    assert!(listed.get("secret").is_none(), "the secret is shown once");

    let asha = app
        .ok(
            "POST",
            "/v1/contacts",
            &key,
            Some(json!({"name": "Asha", "channelIds": {"telegram": "5"}})),
        )
        .await;
    let send = json!({"contact": {"id": asha["id"]}, "textMessage": "hi"});
    let sent = app
        .ok("POST", "/v1/messages/telegram/sendtext", &key, Some(send))
        .await;
    app.ok(
        "PUT",
        &format!("/v1/contacts/{}", asha["id"].as_str().unwrap()),
        &key,
        Some(json!({"optedOut": true})),
    )
    .await;
    let got = got_when(&shared, "created, sent, opted out", |g| {
        ["contact.created", "message.sent", "contact.opted_out"]
            .iter()
            .all(|t| !of_type(g, t).is_empty())
    })
    .await;
    for g in &got {
        assert_eq!(g.signed_by, [0], "{g:?}");
        assert!(g.id.starts_with("evt_"));
        assert!(g.body["timestamp"].as_str().unwrap().ends_with('Z'));
    }
    let created = of_type(&got, "contact.created")[0];
    assert_eq!(created.body["data"]["id"], asha["id"]);
    assert_eq!(created.body["data"]["name"], "Asha");
    let message = &of_type(&got, "message.sent")[0].body["data"];
    assert_eq!(
        (&message["id"], &message["status"]),
        (&sent["id"], &json!("sent"))
    );
    assert_eq!(
        of_type(&got, "contact.opted_out")[0].body["data"]["optedOut"],
        true
    );

    let deliveries = app
        .ok(
            "GET",
            &format!("/v1/webhooks/{id}/deliveries?status=succeeded"),
            &key,
            None,
        )
        .await;
    assert!(deliveries.as_array().unwrap().len() >= 3, "{deliveries}");
    assert_eq!(deliveries[0]["httpStatus"], 200);
}

#[tokio::test]
async fn only_the_events_subscribed_to_are_recorded_and_sent() {
    let app = local_app().await;
    let key = app.create_account("a@example.com", Plan::Unlimited).key;
    let (url, shared) = receiver(Answer::Ok);
    subscribe(&app, &key, &url, json!(["contact.deleted"]), &shared).await;
    let c = app
        .ok(
            "POST",
            "/v1/contacts",
            &key,
            Some(json!({"name": "Gone", "email": "g@example.com"})),
        )
        .await;
    app.ok(
        "DELETE",
        &format!("/v1/contacts/{}", c["id"].as_str().unwrap()),
        &key,
        None,
    )
    .await;
    let got = got_when(&shared, "deleted", |g| !g.is_empty()).await;
    assert_eq!(got[0].body["type"], "contact.deleted");
    assert_eq!(got[0].body["data"]["email"], "g@example.com");
    let conn = rusqlite::Connection::open(&app.db_path).unwrap();
    let types: Vec<String> = conn
        .prepare("SELECT event_type FROM webhook_events")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert_eq!(
        types,
        ["contact.deleted"],
        "no event recorded that nobody listens to"
    );
}

/// The account's events as recorded, in order: (type, person).
fn recorded(app: &TestApp) -> Vec<(String, i64)> {
    let conn = rusqlite::Connection::open(&app.db_path).unwrap();
    let mut stmt = conn
        .prepare("SELECT event_type, object_id FROM webhook_events ORDER BY id")
        .unwrap();
    stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect()
}

/// `contact.created` is recorded by the code that inserts people, not by a trigger: an
/// import (its bulk path and its row-by-row one alike) records each person it creates
/// once, before any change to them, and a change to someone stored before as an update.
#[tokio::test]
async fn an_import_records_each_person_it_creates_once_and_an_update_to_anyone_else() {
    let app = local_app().await;
    let key = app.create_account("a@example.com", Plan::Unlimited).key;
    let (url, shared) = receiver(Answer::Ok);
    let events = json!(["contact.created", "contact.updated"]);
    subscribe(&app, &key, &url, events, &shared).await;
    let old = app
        .ok(
            "POST",
            "/v1/contacts",
            &key,
            Some(json!({"name": "Old", "phoneNumber": "+919876543219"})),
        )
        .await;
    got_when(&shared, "the old person's creation", |g| !g.is_empty()).await;

    // Asha twice (the second row updates the person the first created), Bob once, and Old
    // renamed. Then Chen, whose JSON `null` email takes the row-by-row path (`insert_row`).
    let csv = "Name,Phone Number,Email\n\
               Asha,+919876543210,asha@example.com\n\
               Bob,+919876543211,\n\
               Asha Rao,+919876543210,\n\
               Old Renamed,+919876543219,\n";
    app.import_csv(&key, csv).await;
    let json_rows = json!([{"name": "Chen", "phoneNumber": "+919876543212", "email": null}]);
    app.ok("POST", "/v1/contacts/import", &key, Some(json_rows))
        .await;

    let people = app.ok("GET", "/v1/contacts?limit=10", &key, None).await;
    let id_of = |name: &str| -> i64 {
        let person = (people.as_array().unwrap().iter())
            .find(|p| p["name"] == name)
            .unwrap_or_else(|| panic!("{name} in {people}"));
        person["id"].as_str().unwrap().parse().unwrap()
    };
    let old_id: i64 = old["id"].as_str().unwrap().parse().unwrap();
    let created = |id| ("contact.created".to_string(), id);
    assert_eq!(
        recorded(&app),
        [
            created(old_id),
            created(id_of("Asha Rao")),
            created(id_of("Bob")),
            ("contact.updated".to_string(), old_id),
            created(id_of("Chen")),
        ]
    );
}

#[tokio::test]
async fn a_receiver_that_fails_twice_gets_the_event_on_the_third_attempt_with_the_same_id() {
    let app = local_app().await;
    let key = app.create_account("a@example.com", Plan::Unlimited).key;
    let (url, shared) = receiver(Answer::FailFirst(2));
    let id = subscribe(&app, &key, &url, json!(["contact.created"]), &shared).await;
    app.ok("POST", "/v1/contacts", &key, Some(json!({"name": "Asha"})))
        .await;
    let got = got_when(&shared, "three attempts", |g| g.len() >= 3).await;
    assert!(got.iter().all(|g| g.id == got[0].id), "{got:?}");
    let delivered = eventually(Duration::from_secs(5), "recorded", || async {
        let d = app
            .ok("GET", &format!("/v1/webhooks/{id}/deliveries"), &key, None)
            .await;
        (d[0]["status"] == "succeeded").then_some(d)
    })
    .await;
    assert_eq!(delivered[0]["attempt"], 3);
    assert_eq!(delivered[0]["eventId"], got[0].id.as_str());
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(
        shared.lock().unwrap().got.len(),
        3,
        "nothing after the success"
    );
}

#[tokio::test]
async fn a_gone_receiver_disables_its_endpoint() {
    let app = local_app().await;
    let key = app.create_account("a@example.com", Plan::Unlimited).key;
    let (url, shared) = receiver(Answer::Gone);
    let id = subscribe(&app, &key, &url, json!(["contact.created"]), &shared).await;
    app.ok("POST", "/v1/contacts", &key, Some(json!({"name": "A"})))
        .await;
    let path = format!("/v1/webhooks/{id}");
    let disabled = eventually(Duration::from_secs(10), "disabled", || async {
        let w = app.ok("GET", &path, &key, None).await;
        (w["enabled"] == false).then_some(w)
    })
    .await;
    assert!(
        disabled["disabledReason"].as_str().unwrap().contains("410"),
        "{disabled}"
    );
    app.ok("POST", "/v1/contacts", &key, Some(json!({"name": "B"})))
        .await;
    tokio::time::sleep(Duration::from_millis(600)).await;
    assert_eq!(
        shared.lock().unwrap().got.len(),
        1,
        "a disabled endpoint hears nothing"
    );
    // Enabled again by the account, it hears new events.
    app.ok("PUT", &path, &key, Some(json!({"enabled": true})))
        .await;
    shared.lock().unwrap().answer = Some(Answer::Ok);
    app.ok("POST", "/v1/contacts", &key, Some(json!({"name": "C"})))
        .await;
    got_when(&shared, "after enabling", |g| g.len() >= 2).await;
}

#[tokio::test]
async fn rotation_signs_with_both_secrets_and_the_test_event_says_how_it_went() {
    let app = local_app().await;
    let key = app.create_account("a@example.com", Plan::Unlimited).key;
    let (url, shared) = receiver(Answer::Ok);
    let id = subscribe(&app, &key, &url, json!(["*"]), &shared).await;
    let rotated = app
        .ok(
            "POST",
            &format!("/v1/webhooks/{id}/rotate-secret"),
            &key,
            None,
        )
        .await;
    let new = rotated["secret"].as_str().unwrap().to_string();
    shared.lock().unwrap().secrets.push(new);
    let outcome = app
        .ok("POST", &format!("/v1/webhooks/{id}/test"), &key, None)
        .await;
    assert_eq!(outcome["status"], "succeeded", "{outcome}");
    assert_eq!(outcome["httpStatus"], 200);
    let got = shared.lock().unwrap().got.clone();
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].body["type"], "webhook.test");
    assert_eq!(
        got[0].signed_by,
        [0, 1],
        "signed with the old secret and the new"
    );
    assert_eq!(got[0].id, outcome["eventId"].as_str().unwrap());
}

#[tokio::test]
async fn replay_sends_past_events_again_with_their_ids() {
    let app = local_app().await;
    let key = app.create_account("a@example.com", Plan::Unlimited).key;
    let (url, shared) = receiver(Answer::Ok);
    let id = subscribe(&app, &key, &url, json!(["contact.created"]), &shared).await;
    for name in ["A", "B"] {
        app.ok("POST", "/v1/contacts", &key, Some(json!({"name": name})))
            .await;
    }
    let first = got_when(&shared, "two events", |g| g.len() == 2).await;
    let since = switchboard::clock::rfc3339(switchboard::clock::now() - 3600);
    let replayed = app
        .ok(
            "POST",
            &format!("/v1/webhooks/{id}/replay"),
            &key,
            Some(json!({"since": since})),
        )
        .await;
    assert_eq!(replayed["queued"], 2);
    let all = got_when(&shared, "replayed", |g| g.len() == 4).await;
    let mut ids: Vec<&str> = all[2..].iter().map(|g| g.id.as_str()).collect();
    ids.sort();
    let mut original: Vec<&str> = first.iter().map(|g| g.id.as_str()).collect();
    original.sort();
    assert_eq!(ids, original);
    assert_eq!(
        all[2].body,
        first.iter().find(|g| g.id == all[2].id).unwrap().body
    );
}

#[tokio::test]
async fn urls_on_private_addresses_are_refused_without_the_flag() {
    let app = spawn_app().await;
    let key = app.create_account("a@example.com", Plan::Unlimited).key;
    for url in [
        "http://127.0.0.1:9/hook",
        "http://localhost:9/hook",
        "http://[::1]/x",
        "http://10.0.0.1/x",
    ] {
        let res = app
            .call(
                "POST",
                "/v1/webhooks",
                &key,
                Some(json!({"url": url, "events": ["*"]})),
            )
            .await;
        let message = error_message(res, StatusCode::BAD_REQUEST).await;
        assert!(message.starts_with("url:"), "{url}: {message}");
    }
    for (body, field) in [
        (json!({"url": "ftp://example.com", "events": ["*"]}), "url"),
        (
            json!({"url": "https://example.com", "events": []}),
            "events",
        ),
        (
            json!({"url": "https://example.com", "events": ["message.lost"]}),
            "events[0]",
        ),
        (
            json!({"url": "https://example.com", "events": ["*", "message.sent"]}),
            "events[0]",
        ),
    ] {
        let res = app
            .call("POST", "/v1/webhooks", &key, Some(body.clone()))
            .await;
        let message = error_message(res, StatusCode::BAD_REQUEST).await;
        assert!(message.starts_with(field), "{body}: {message}");
    }
}

#[tokio::test]
async fn another_accounts_webhooks_stay_out() {
    let app = local_app().await;
    let mine = app.create_account("a@example.com", Plan::Unlimited).key;
    let theirs = app.create_account("b@example.com", Plan::Unlimited).key;
    let (url, shared) = receiver(Answer::Ok);
    let id = subscribe(&app, &mine, &url, json!(["*"]), &shared).await;
    for (method, path) in [
        ("GET", format!("/v1/webhooks/{id}")),
        ("PUT", format!("/v1/webhooks/{id}")),
        ("DELETE", format!("/v1/webhooks/{id}")),
        ("POST", format!("/v1/webhooks/{id}/test")),
        ("POST", format!("/v1/webhooks/{id}/rotate-secret")),
        ("GET", format!("/v1/webhooks/{id}/deliveries")),
        ("POST", format!("/v1/webhooks/{id}/replay")),
    ] {
        let body = json!({"since": "2020-01-01T00:00:00Z", "enabled": false});
        let res = app.call(method, &path, &theirs, Some(body)).await;
        assert_eq!(res.status(), StatusCode::NOT_FOUND, "{method} {path}");
    }
    assert_eq!(
        app.ok("GET", "/v1/webhooks", &theirs, None).await,
        json!([])
    );
    // Their changes are not mine to hear of.
    app.ok(
        "POST",
        "/v1/contacts",
        &theirs,
        Some(json!({"name": "Theirs"})),
    )
    .await;
    tokio::time::sleep(Duration::from_millis(600)).await;
    assert!(shared.lock().unwrap().got.is_empty());
}

#[tokio::test]
async fn a_change_that_rolls_back_records_no_event() {
    let app = local_app().await;
    let key = app.create_account("a@example.com", Plan::Unlimited).key;
    let (url, shared) = receiver(Answer::Ok);
    subscribe(&app, &key, &url, json!(["contact.created"]), &shared).await;
    let body = json!({"name": "A", "externalId": "x1"});
    app.ok("POST", "/v1/contacts", &key, Some(body.clone()))
        .await;
    // The same externalId again: refused, and its insert and event rolled back.
    let res = app.call("POST", "/v1/contacts", &key, Some(body)).await;
    assert_eq!(res.status(), StatusCode::CONFLICT);
    // The first person's event arrives (a loaded machine may take a while), and no other.
    got_when(&shared, "the first event", |g| !g.is_empty()).await;
    tokio::time::sleep(Duration::from_millis(600)).await;
    assert_eq!(shared.lock().unwrap().got.len(), 1);
}

#[tokio::test]
async fn a_server_killed_mid_delivery_delivers_after_restart() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("sb.db");
    cli(
        &db,
        &[
            "account",
            "create",
            "--email",
            "a@example.com",
            "--plan",
            "unlimited",
        ],
        "a long passphrase\n",
    )
    .await;
    let key = cli(&db, &["key", "create", "--email", "a@example.com"], "")
        .await
        .lines()
        .last()
        .unwrap()
        .to_string();
    let args = [
        "--allow-private-webhook-urls",
        "--webhook-retry-schedule",
        "0,0,0",
    ];
    let mut first = Process::serve(&db, &args, "warn").await;
    let (url, shared) = receiver(Answer::HangFirst);
    let http = reqwest::Client::new();
    let created: Value = http
        .post(format!("{}/v1/webhooks", first.base))
        .header("x-api-key", &key)
        .json(&json!({"url": url, "events": ["contact.created"]}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    shared
        .lock()
        .unwrap()
        .secrets
        .push(created["secret"].as_str().unwrap().into());
    http.post(format!("{}/v1/contacts", first.base))
        .header("x-api-key", &key)
        .json(&json!({"name": "Asha"}))
        .send()
        .await
        .unwrap();
    got_when(&shared, "the first attempt, hanging", |g| g.len() == 1).await;
    first.child.kill().await.unwrap(); // SIGKILL, mid-delivery
    let _restarted = Process::serve(&db, &args, "warn").await;
    let got = got_when(&shared, "delivered after the restart", |g| g.len() == 2).await;
    assert_eq!(got[0].id, got[1].id, "the same event, the same id");
    assert_eq!(got[1].signed_by, [0]);
}
