//! Crash safety: the binary killed with SIGKILL in the middle of creates, imports, sends
//! and a broadcast, then restarted on the same file. Every acknowledged write is there, no
//! message reaches the provider twice, and SQLite's integrity check passes.

use crate::helpers::{PASSWORD, Process, cli, eventually, stand_in};
use actix_web::{HttpResponse, web};
use serde_json::{Value, json};
use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// (chat id, text) of every message the Telegram stand-in was handed.
type Delivered = Arc<Mutex<Vec<(String, String)>>>;

fn telegram() -> (String, Delivered) {
    let seen: Delivered = Arc::default();
    let base = stand_in(
        "/bot{token}/{method}",
        seen.clone(),
        |seen: web::Data<Delivered>, body: web::Json<Value>| async move {
            let chat = body["chat_id"].as_str().unwrap_or_default().to_string();
            let text = body["text"].as_str().unwrap_or_default().to_string();
            let mut all = seen.lock().unwrap();
            all.push((chat.clone(), text));
            HttpResponse::Ok().json(
                json!({"ok": true, "result": {"message_id": all.len(), "chat": {"id": chat}}}),
            )
        },
    );
    (base, seen)
}

/// What the server acknowledged before it died.
#[derive(Default)]
struct Acked {
    external_ids: Vec<String>,
    /// message id → its text
    sends: HashMap<i64, String>,
}

#[tokio::test]
async fn a_sigkill_under_load_loses_no_acknowledged_write_and_sends_nothing_twice() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("sb.db");
    let email = ["--email", "crash@example.com"];
    cli(
        &db,
        &[&["account", "create", "--plan", "unlimited"][..], &email].concat(),
        &format!("{PASSWORD}\n"),
    )
    .await;
    let key = cli(&db, &[&["key", "create"][..], &email].concat(), "").await;
    let key = key.lines().last().unwrap().trim().to_string();
    let (bot_api, delivered) = telegram();
    let provider = format!("telegram={bot_api}");
    let args = ["--broadcast-rate", "100", "--provider-url", &provider];
    let mut first = Process::serve(&db, &args, "warn").await;
    let base = first.base.clone();
    let http = reqwest::Client::new();
    let post = {
        let (http, key, base) = (http.clone(), key.clone(), base.clone());
        move |path: String, body: reqwest::Body, content_type: &'static str| {
            http.post(format!("{base}{path}"))
                .header("x-api-key", &key)
                .header("content-type", content_type)
                .body(body)
                .send()
        }
    };
    let json_post = |path: &str, body: Value| {
        post(
            path.to_string(),
            body.to_string().into(),
            "application/json",
        )
    };
    http.put(format!("{base}/v1/channels/telegram"))
        .header("x-api-key", &key)
        .json(&json!({"botToken": "1:crash"}))
        .send()
        .await
        .unwrap()
        .error_for_status()
        .unwrap();
    let mut people = Vec::new();
    for i in 0..150 {
        let c: Value = json_post(
            "/v1/contacts",
            json!({"channelIds": {"telegram": format!("c{i}")}, "tags": ["all"]}),
        )
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
        people.push(c["id"].as_str().unwrap().to_string());
    }
    let seg: Value = json_post(
        "/v1/segments",
        json!({"name": "all", "criteria": {"tags": ["all"]}}),
    )
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    let b: Value = json_post(
        "/v1/broadcasts",
        json!({"name": "crash", "segment": {"id": seg["id"]},
        "channel": "telegram", "textMessage": "broadcast"}),
    )
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    let broadcast: i64 = b["id"].as_str().unwrap().parse().unwrap();

    // Writers until the server dies: creates, imports of 500 rows, single sends.
    let acked = Arc::new(Mutex::new(Acked::default()));
    let dead = Arc::new(AtomicBool::new(false));
    let mut writers = tokio::task::JoinSet::new();
    for w in 0..4 {
        let (post, acked, dead) = (post.clone(), acked.clone(), dead.clone());
        writers.spawn(async move {
            for i in 0.. {
                if dead.load(Ordering::SeqCst) {
                    break;
                }
                let id = format!("w{w}-{i}");
                let body = json!({"externalId": id, "name": format!("Writer {w} {i}")}).to_string();
                match post("/v1/contacts".into(), body.into(), "application/json").await {
                    Ok(r) if r.status().is_success() => acked.lock().unwrap().external_ids.push(id),
                    _ => break,
                }
            }
        });
    }
    {
        let (post, acked, dead) = (post.clone(), acked.clone(), dead.clone());
        writers.spawn(async move {
            for batch in 0.. {
                if dead.load(Ordering::SeqCst) {
                    break;
                }
                let ids: Vec<String> = (0..500).map(|j| format!("i{batch}-{j}")).collect();
                let csv = std::iter::once("externalId,name".to_string())
                    .chain(ids.iter().map(|id| format!("{id},Imported {id}")))
                    .collect::<Vec<_>>()
                    .join("\n");
                match post("/v1/contacts/import".into(), csv.into(), "text/csv").await {
                    Ok(r) if r.status().is_success() => {
                        let answer: Value = r.json().await.unwrap();
                        assert_eq!(answer["failed"], json!([]), "{answer}");
                        acked.lock().unwrap().external_ids.extend(ids);
                    }
                    _ => break,
                }
            }
        });
    }
    for s in 0..2 {
        let (post, acked, dead, people) =
            (post.clone(), acked.clone(), dead.clone(), people.clone());
        writers.spawn(async move {
            for i in 0.. {
                if dead.load(Ordering::SeqCst) {
                    break;
                }
                let text = format!("single {s}-{i}");
                let to = &people[(i * 7 + s) % people.len()];
                let body = json!({"contact": {"id": to}, "textMessage": text}).to_string();
                match post(
                    "/v1/messages/telegram/sendtext".into(),
                    body.into(),
                    "application/json",
                )
                .await
                {
                    Ok(r) if r.status().is_success() => {
                        let answer: Value = r.json().await.unwrap();
                        let id = answer["id"].as_str().unwrap().parse().unwrap();
                        acked.lock().unwrap().sends.insert(id, text);
                    }
                    _ => break,
                }
            }
        });
    }
    tokio::time::sleep(Duration::from_millis(1500)).await;
    first.child.kill().await.unwrap(); // SIGKILL, mid-write
    dead.store(true, Ordering::SeqCst);
    while writers.join_next().await.is_some() {}
    let acked = std::mem::take(&mut *acked.lock().unwrap());
    assert!(
        acked.external_ids.len() > 1000 && acked.sends.len() > 50,
        "load ran before the kill: {} people, {} sends",
        acked.external_ids.len(),
        acked.sends.len()
    );

    eprintln!(
        "killed with {} people and {} sends acknowledged",
        acked.external_ids.len(),
        acked.sends.len()
    );
    // Bound, not dropped: the process is killed when its handle goes.
    let restarted = Process::serve(&db, &args, "warn").await;
    let conn = rusqlite::Connection::open(&db).unwrap();
    let one = |sql: &str| -> i64 { conn.query_row(sql, [], |r| r.get(0)).unwrap() };
    eventually(Duration::from_secs(20), "the outbox drained", || async {
        let waiting = one("SELECT count(*) FROM messages WHERE status IN (0, 1, 2)");
        let running = one(&format!(
            "SELECT count(*) FROM broadcasts WHERE id = {broadcast} AND status <> 3"
        ));
        (waiting == 0 && running == 0).then_some(())
    })
    .await;
    drop(restarted);

    let mut stored = conn
        .prepare("SELECT external_id FROM contacts WHERE external_id IS NOT NULL")
        .unwrap();
    let stored: HashSet<String> = stored
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    let lost: Vec<_> = acked
        .external_ids
        .iter()
        .filter(|id| !stored.contains(*id))
        .collect();
    assert!(
        lost.is_empty(),
        "{} acknowledged people lost, e.g. {:?}",
        lost.len(),
        &lost[..lost.len().min(5)]
    );

    let mut rows = conn.prepare("SELECT id, text, status, error_message FROM messages WHERE broadcast_id IS NULL AND incoming = 0").unwrap();
    let logged: HashMap<i64, (String, i64, Option<String>)> = rows
        .query_map([], |r| Ok((r.get(0)?, (r.get(1)?, r.get(2)?, r.get(3)?))))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    let delivered = delivered.lock().unwrap().clone();
    let mut times: HashMap<&(String, String), usize> = HashMap::new();
    for d in &delivered {
        *times.entry(d).or_default() += 1;
    }
    let twice: Vec<_> = times.iter().filter(|(_, n)| **n > 1).collect();
    assert!(twice.is_empty(), "handed to the provider twice: {twice:?}");
    let texts: HashSet<&str> = delivered.iter().map(|(_, t)| t.as_str()).collect();
    for (id, text) in &acked.sends {
        let (logged_text, status, error) = logged
            .get(id)
            .unwrap_or_else(|| panic!("acknowledged message {id} lost"));
        assert_eq!(logged_text, text);
        match status {
            3 => assert!(
                texts.contains(text.as_str()),
                "{text} is sent but never reached the provider"
            ),
            6 => assert!(
                error
                    .as_deref()
                    .unwrap_or_default()
                    .starts_with("interrupted"),
                "{error:?}"
            ),
            other => panic!("message {id} ended {other}"),
        }
    }
    let (recipients, people_reached) = conn
        .query_row(
            "SELECT count(*), count(DISTINCT contact_id) FROM messages WHERE broadcast_id = ?1",
            [broadcast],
            |r| Ok((r.get::<_, i64>(0)?, r.get::<_, i64>(1)?)),
        )
        .unwrap();
    assert_eq!(
        (recipients, people_reached),
        (150, 150),
        "one broadcast message per person"
    );
    let check: String = conn
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(check, "ok");
}
