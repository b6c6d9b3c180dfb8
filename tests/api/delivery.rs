//! Delivery under a provider that is slow or silent: an ambiguous outcome is never resent,
//! a provider that certainly did nothing is tried again, and one account's silent provider
//! never holds up another account's messages.

use crate::helpers::{TestApp, eventually, spawn_app_with, stand_in};
use actix_web::{HttpResponse, web};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use switchboard::accounts::Plan;
use switchboard::delivery::sends::Retries;
use switchboard::messages::model::Channel;

/// Calls a stand-in received, by the `to` of each.
type Calls = Arc<Mutex<HashMap<String, usize>>>;

/// A Cloud API stand-in that answers each call to phone number id `SLOW` after `delay`,
/// and every other at once; it counts the calls to each recipient.
fn graph(delay: Duration) -> (String, Calls) {
    let calls: Calls = Arc::default();
    let base = stand_in(
        "/v21.0/{phone_number_id}/messages",
        (calls.clone(), delay),
        |path: web::Path<String>, state: web::Data<(Calls, Duration)>, body: web::Json<Value>| async move {
            let to = body["to"].as_str().unwrap_or_default().to_string();
            *state.0.lock().unwrap().entry(to.clone()).or_default() += 1;
            if path.as_str() == "SLOW" {
                tokio::time::sleep(state.1).await;
            }
            HttpResponse::Ok().json(json!({"messages": [{"id": format!("wamid.{to}")}]}))
        },
    );
    (format!("{base}/v21.0"), calls)
}

/// An account made for a test: its key, its id, and its people's ids.
struct Account {
    key: String,
    id: String,
    people: Vec<String>,
}

/// An account whose WhatsApp channel is phone number id `sender`, with a template `ping`
/// and `people` contacts, phones numbered from `first`.
async fn account(app: &TestApp, email: &str, sender: &str, people: usize, first: u64) -> Account {
    let key = app.create_account(email, Plan::Unlimited).key;
    let id = app.ok("GET", "/v1/account", &key, None).await["id"]
        .as_str()
        .unwrap()
        .to_string();
    let settings = json!({"phoneNumberId": sender, "accessToken": "t"});
    app.ok("PUT", "/v1/channels/whatsapp", &key, Some(settings))
        .await;
    let template = json!({"name": "ping", "language": "en", "body": "Ping"});
    app.ok("POST", "/v1/templates", &key, Some(template)).await;
    let mut ids = Vec::new();
    for i in 0..people as u64 {
        let phone = format!("+1415555{:04}", first + i);
        let person = app
            .ok(
                "POST",
                "/v1/contacts",
                &key,
                Some(json!({"phoneNumber": phone})),
            )
            .await;
        ids.push(person["id"].as_str().unwrap().to_string());
    }
    Account {
        key,
        id,
        people: ids,
    }
}

/// Sends `ping` to each person at once; the message ids, in the order of `people`.
async fn ping_all(app: &TestApp, key: &str, people: &[String]) -> Vec<String> {
    let mut sends = tokio::task::JoinSet::new();
    for (i, person) in people.iter().enumerate() {
        let (client, url, key) = (
            app.client.clone(),
            app.url("/v1/messages/whatsapp/sendtemplate"),
            key.to_string(),
        );
        let body =
            json!({"contact": {"id": person}, "template": {"name": "ping", "language": "en"}});
        sends.spawn(async move {
            let res = client
                .post(url)
                .header("x-api-key", key)
                .json(&body)
                .send()
                .await
                .unwrap();
            let answer: Value = res.json().await.unwrap();
            (i, answer["id"].as_str().unwrap().to_string())
        });
    }
    let mut ids = sends.join_all().await;
    ids.sort();
    ids.into_iter().map(|(_, id)| id).collect()
}

/// How many of the account's messages are `sent`, `failed:<code>`, or still `waiting`.
fn statuses(app: &TestApp, account: &Account) -> HashMap<String, i64> {
    let conn = rusqlite::Connection::open(&app.db_path).unwrap();
    let mut stmt = conn
        .prepare(
            "SELECT status, error_code, count(*) FROM messages WHERE account_id = ?1 GROUP BY 1, 2",
        )
        .unwrap();
    let rows = stmt
        .query_map([&account.id], |r| {
            let status: i64 = r.get(0)?;
            let code: Option<String> = r.get(1)?;
            let name = match status {
                3 => "sent".to_string(),
                6 => format!("failed:{}", code.unwrap_or_default()),
                _ => "waiting".to_string(),
            };
            Ok((name, r.get::<_, i64>(2)?))
        })
        .unwrap();
    let mut out = HashMap::new();
    for row in rows {
        let (name, n) = row.unwrap();
        *out.entry(name).or_default() += n;
    }
    out
}

#[tokio::test]
async fn a_silent_provider_holds_only_its_own_accounts_messages() {
    let (url, calls) = graph(Duration::from_secs(3600));
    let app = spawn_app_with(|c| {
        c.provider_urls.set(Channel::WhatsApp, &url);
        c.delivery.provider_timeout = Duration::from_secs(2);
        c.delivery.in_flight_per_account = 10;
    })
    .await;
    let silent = account(&app, "silent@example.com", "SLOW", 20, 0).await;
    let fast = account(&app, "fast@example.com", "FAST", 60, 100).await;

    ping_all(&app, &silent.key, &silent.people).await;
    let started = Instant::now();
    ping_all(&app, &fast.key, &fast.people).await;
    eventually(
        Duration::from_secs(10),
        "the fast account's messages are sent",
        || async { (statuses(&app, &fast).get("sent") == Some(&60)).then_some(()) },
    )
    .await;
    let took = started.elapsed();
    assert!(
        took < Duration::from_secs(2),
        "the fast account waited {took:?}"
    );
    assert_eq!(
        statuses(&app, &silent).get("sent"),
        None,
        "the silent provider answered nothing"
    );

    // The silent account's messages time out, each after exactly one call, and end with
    // an outcome nobody knows: never resent.
    eventually(
        Duration::from_secs(15),
        "the silent account's messages end",
        || async {
            (statuses(&app, &silent).get("failed:outcome_unknown") == Some(&20)).then_some(())
        },
    )
    .await;
    let calls = calls.lock().unwrap().clone();
    let silent_calls: Vec<usize> = (0..20).map(|i| calls[&format!("1415555{i:04}")]).collect();
    assert_eq!(silent_calls, vec![1; 20], "one call per message");
}

#[tokio::test]
async fn a_provider_that_answers_after_the_timeout_is_called_once_per_message() {
    let (url, calls) = graph(Duration::from_millis(1500));
    let app = spawn_app_with(|c| {
        c.provider_urls.set(Channel::WhatsApp, &url);
        c.delivery.provider_timeout = Duration::from_secs(1);
        c.delivery.retries = Retries {
            attempts: 5,
            first_wait: 1,
        };
    })
    .await;
    let slow = account(&app, "slow@example.com", "SLOW", 5, 0).await;
    let (key, people) = (&slow.key, &slow.people);
    let ids = ping_all(&app, key, people).await;
    for (person, id) in people.iter().zip(&ids) {
        let entry = app
            .message_when(key, person, id, |m| m["status"] == "failed")
            .await;
        assert_eq!(entry["errorCode"], "outcome_unknown", "{entry}");
        let reason = entry["errorMessage"].as_str().unwrap();
        assert!(reason.contains("did not answer in time"), "{reason}");
    }
    // The provider did take them: a resend would have delivered each twice.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let calls = calls.lock().unwrap().clone();
    assert_eq!(
        calls.values().copied().collect::<Vec<_>>(),
        vec![1; 5],
        "{calls:?}"
    );
}

#[tokio::test]
async fn a_provider_that_cannot_be_reached_is_tried_again_then_given_up() {
    // Nothing listens there: the connection is refused before anything is sent.
    let app = spawn_app_with(|c| {
        c.provider_urls
            .set(Channel::WhatsApp, "http://127.0.0.1:9/v21.0");
        c.delivery.retries = Retries {
            attempts: 2,
            first_wait: 1,
        };
    })
    .await;
    let down = account(&app, "down@example.com", "DOWN", 1, 0).await;
    let (key, people) = (&down.key, &down.people);
    let ids = ping_all(&app, key, people).await;
    let waiting = app
        .message_when(key, &people[0], &ids[0], |m| {
            m["errorCode"] == "unreachable"
        })
        .await;
    assert_eq!(
        waiting["status"], "queued",
        "waiting to be tried again: {waiting}"
    );
    let entry = app
        .message_when(key, &people[0], &ids[0], |m| m["status"] == "failed")
        .await;
    assert_eq!(entry["errorCode"], "unreachable");
    let reason = entry["errorMessage"].as_str().unwrap();
    assert!(reason.contains("gave up after 2 attempts"), "{reason}");
}
