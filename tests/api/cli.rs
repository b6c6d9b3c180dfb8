//! The command line, run as a separate process beside a running server on the same file.

use crate::helpers::{PASSWORD, TestApp, spawn_app};
use reqwest::StatusCode;
use serde_json::Value;
use std::process::Stdio;
use std::time::Duration;
use tokio::io::AsyncWriteExt;
use tokio::process::Command;

struct Output {
    ok: bool,
    stdout: String,
    stderr: String,
}

async fn switchboard(app: &TestApp, args: &[&str], stdin: &str) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_switchboard"))
        .arg("--db")
        .arg(&app.db_path)
        .args(args)
        .env("RUST_LOG", "warn")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary runs");
    let mut input = child.stdin.take().unwrap();
    input.write_all(stdin.as_bytes()).await.unwrap();
    drop(input);
    let out = child.wait_with_output().await.unwrap();
    Output {
        ok: out.status.success(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// Polls until `check` holds; the server picks up other processes' changes within a second.
async fn eventually<F, Fut>(check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let mut check = check;
    crate::helpers::eventually(Duration::from_secs(4), "the server saw the change", || {
        let held = check();
        async move { held.await.then_some(()) }
    })
    .await
}

#[tokio::test]
async fn accounts_and_keys_from_the_command_line_work_beside_a_running_server() {
    let app = spawn_app().await;
    let out = switchboard(
        &app,
        &["account", "create", "--email", "ops@example.com"],
        &format!("{PASSWORD}\n"),
    )
    .await;
    assert!(out.ok, "{}", out.stderr);
    assert!(out.stdout.contains("plan trial"), "{}", out.stdout);

    let out = switchboard(
        &app,
        &[
            "key",
            "create",
            "--email",
            "ops@example.com",
            "--name",
            "deploy",
        ],
        "",
    )
    .await;
    assert!(out.ok, "{}", out.stderr);
    let key = out.stdout.lines().last().unwrap().to_string();
    assert!(
        key.starts_with("sb_live_") && !key.contains(' '),
        "last line is the key alone: {key:?}"
    );

    let res = app.get("/v1/account", &key).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.json::<Value>().await.unwrap()["plan"], "trial");

    let out = switchboard(&app, &["key", "list", "--email", "ops@example.com"], "").await;
    assert!(out.ok && out.stdout.contains("deploy"), "{}", out.stdout);
    assert!(
        out.stdout.contains(&key[..14]) && !out.stdout.contains(&key),
        "prefix only"
    );

    let out = switchboard(
        &app,
        &[
            "account",
            "set-plan",
            "--email",
            "ops@example.com",
            "--plan",
            "subscribed",
        ],
        "",
    )
    .await;
    assert!(out.ok, "{}", out.stderr);
    eventually(|| async {
        let body: Value = app.get("/v1/account", &key).await.json().await.unwrap();
        body["limits"]["perMinute"] == 300
    })
    .await;

    let out = switchboard(
        &app,
        &[
            "account",
            "set-limits",
            "--email",
            "ops@example.com",
            "--per-day",
            "7",
        ],
        "",
    )
    .await;
    assert!(out.ok, "{}", out.stderr);
    eventually(|| async {
        let body: Value = app.get("/v1/account", &key).await.json().await.unwrap();
        body["limits"]["perDay"] == 7 && body["limits"]["perMinute"] == 300
    })
    .await;

    let id = out_key_id(
        &switchboard(&app, &["key", "list", "--email", "ops@example.com"], "")
            .await
            .stdout,
    );
    let out = switchboard(&app, &["key", "revoke", "--id", &id], "").await;
    assert!(out.ok, "{}", out.stderr);
    eventually(|| async {
        app.get("/v1/account", &key).await.status() == StatusCode::UNAUTHORIZED
    })
    .await;
}

fn out_key_id(listing: &str) -> String {
    listing
        .lines()
        .nth(1)
        .unwrap()
        .split_whitespace()
        .next()
        .unwrap()
        .to_string()
}

#[tokio::test]
async fn the_command_line_refuses_bad_input_with_a_clear_message() {
    let app = spawn_app().await;
    let out = switchboard(
        &app,
        &["account", "create", "--email", "a@example.com"],
        "short\n",
    )
    .await;
    assert!(!out.ok);
    assert!(
        out.stderr.contains("password: must be at least 10"),
        "{}",
        out.stderr
    );

    let out = switchboard(
        &app,
        &["account", "create", "--email", "nope", "--plan", "trial"],
        "",
    )
    .await;
    assert!(!out.ok && out.stderr.contains("email:"), "{}", out.stderr);

    let out = switchboard(
        &app,
        &[
            "account",
            "create",
            "--email",
            "a@example.com",
            "--plan",
            "gold",
        ],
        "",
    )
    .await;
    assert!(
        !out.ok && out.stderr.contains("unknown plan"),
        "{}",
        out.stderr
    );

    let out = switchboard(&app, &["key", "create", "--email", "ghost@example.com"], "").await;
    assert!(
        !out.ok && out.stderr.contains("no account with email"),
        "{}",
        out.stderr
    );

    let out = switchboard(&app, &["key", "revoke", "--id", "999"], "").await;
    assert!(
        !out.ok && out.stderr.contains("no API key with id 999"),
        "{}",
        out.stderr
    );
}

#[tokio::test]
async fn a_database_from_a_newer_version_is_refused() {
    let app = spawn_app().await;
    let db = app.db_path.clone();
    let dir = app.stop().await;
    let conn = rusqlite_open(&db);
    conn.pragma_update(None, "user_version", 99).unwrap();
    drop(conn);
    let out = Command::new(env!("CARGO_BIN_EXE_switchboard"))
        .arg("--db")
        .arg(&db)
        .args(["key", "list", "--email", "x@example.com"])
        .output()
        .await
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("newer Switchboard"), "{stderr}");
    drop(dir);
}

fn rusqlite_open(path: &std::path::Path) -> rusqlite::Connection {
    rusqlite::Connection::open(path).unwrap()
}

#[tokio::test]
async fn backups_are_consistent_under_write_load_and_restore_as_a_working_database() {
    let app = spawn_app().await;
    let key = app
        .create_account("b@example.com", switchboard::accounts::Plan::Unlimited)
        .key;
    let acked = std::sync::Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let writer = {
        let (client, url, key) = (app.client.clone(), app.url("/v1/contacts"), key.clone());
        let (acked, stop) = (acked.clone(), stop.clone());
        tokio::spawn(async move {
            let mut i = 0;
            while !stop.load(std::sync::atomic::Ordering::SeqCst) {
                let name = format!("writer {i}");
                let res = client
                    .post(&url)
                    .header("x-api-key", &key)
                    .json(&serde_json::json!({"name": name}))
                    .send()
                    .await
                    .unwrap();
                assert_eq!(res.status(), StatusCode::OK);
                acked.lock().unwrap().push(name);
                i += 1;
            }
        })
    };
    tokio::time::sleep(Duration::from_millis(300)).await;
    let before: Vec<String> = acked.lock().unwrap().clone();
    let dir = tempfile::tempdir().unwrap();
    let copy = dir.path().join("copy.db");
    let out = switchboard(&app, &["backup", copy.to_str().unwrap()], "").await;
    assert!(out.ok, "{}", out.stderr);
    assert!(out.stdout.contains("check ok"), "{}", out.stdout);
    tokio::time::sleep(Duration::from_millis(100)).await;
    stop.store(true, std::sync::atomic::Ordering::SeqCst);
    writer.await.unwrap();
    assert!(!before.is_empty());

    // Another backup to the same file is refused rather than overwriting it.
    let again = switchboard(&app, &["backup", copy.to_str().unwrap()], "").await;
    assert!(
        !again.ok && again.stderr.contains("exists already"),
        "{}",
        again.stderr
    );

    // Restore: a server on the copy answers with the same key and holds every write that was
    // acknowledged before the backup began.
    let restored = crate::helpers::spawn_app_with(|c| c.db = copy.clone()).await;
    let res = restored.get("/v1/contacts?limit=500", &key).await;
    assert_eq!(res.status(), StatusCode::OK);
    let total: usize = res.headers()["x-total-count"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(total >= before.len(), "{total} < {}", before.len());
    let listed: Vec<Value> = res.json().await.unwrap();
    let names: Vec<&str> = listed.iter().filter_map(|c| c["name"].as_str()).collect();
    for name in before.iter().take(500) {
        assert!(
            names.contains(&name.as_str()),
            "{name} missing from the copy"
        );
    }
}

#[tokio::test]
async fn a_backup_copies_an_older_database_as_it_is_without_migrating_it() {
    let dir = tempfile::tempdir().unwrap();
    let (old, copy) = (dir.path().join("v1.db"), dir.path().join("copy.db"));
    let conn = rusqlite_open(&old);
    conn.execute_batch(include_str!("../../src/db/testdata/schema-v1.sql"))
        .unwrap();
    drop(conn);
    let out = Command::new(env!("CARGO_BIN_EXE_switchboard"))
        .arg("--db")
        .arg(&old)
        .arg("backup")
        .arg(&copy)
        .output()
        .await
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains("schema version 1") && stdout.contains("check ok"),
        "{stdout}"
    );
    // A backup taken before an upgrade must be the old file, and leave it old.
    for file in [&old, &copy] {
        let version: i64 = rusqlite_open(file)
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .unwrap();
        assert_eq!(version, 1, "{}", file.display());
    }
}

#[tokio::test]
async fn demo_fills_an_account_that_the_api_then_serves() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("demo.db");
    let out = crate::helpers::cli(&db, &["demo", "--contacts", "300", "--seed", "4"], "").await;
    assert!(out.contains("Added 300 demo people"), "{out}");
    let key = out.lines().last().unwrap().trim().to_string();
    assert!(key.starts_with("sb_live_"), "{out}");
    // A second run adds to the same account, with new phone numbers.
    let again = crate::helpers::cli(&db, &["demo", "--contacts", "200"], "").await;
    assert!(again.contains("Added 200 demo people"), "{again}");
    assert!(
        !again.contains("sb_live_"),
        "no new account, no new key: {again}"
    );

    let server = crate::helpers::Process::serve(&db, &[], "warn").await;
    let http = reqwest::Client::new();
    let get = |path: String| {
        http.get(format!("{}{path}", server.base))
            .header("x-api-key", &key)
            .send()
    };
    let res = get("/v1/contacts?limit=500".into()).await.unwrap();
    assert_eq!(res.headers()["x-total-count"], "500");
    let people: Value = res.json().await.unwrap();
    let with_history = people
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["lastActivityAt"].is_string())
        .expect("some people have message history");
    for field in [
        "name",
        "phoneNumber",
        "email",
        "gender",
        "birthDate",
        "contactStage",
        "location",
    ] {
        assert!(!with_history[field].is_null(), "{field}: {with_history}");
    }
    assert!(with_history["attributes"]["city"].is_string());
    let id = with_history["id"].as_str().unwrap();
    let log: Value = get(format!("/v1/messages/{id}"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(log.as_array().unwrap().len(), 2, "{log}");
    assert_eq!(log[1]["isIncoming"], true);
    let tags: Value = get("/v1/tags".into()).await.unwrap().json().await.unwrap();
    assert!(tags.as_array().unwrap().len() >= 10, "{tags}");
    let locations: Value = get("/v1/locations".into())
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        locations.as_array().unwrap().len(),
        5,
        "made once per account"
    );
}

#[tokio::test]
async fn secrets_stored_in_clear_are_sealed_and_rekeyed_from_the_command_line() {
    use switchboard::channels::store::{self, Stored};
    use switchboard::messages::model::Channel;
    use switchboard::secrets::SecretKey;
    let app = spawn_app().await;
    let key = app
        .create_account("a@example.com", switchboard::accounts::Plan::Unlimited)
        .key;
    let settings = serde_json::json!({"botToken": "123:plain-token", "webhookSecret": "hook"});
    app.ok("PUT", "/v1/channels/telegram", &key, Some(settings))
        .await;
    let raw = |app: &TestApp| -> String {
        rusqlite::Connection::open(&app.db_path)
            .unwrap()
            .query_row("SELECT settings FROM channel_settings", [], |r| r.get(0))
            .unwrap()
    };
    assert!(
        raw(&app).contains("123:plain-token"),
        "stored as given without a key"
    );

    let new_key = || {
        let file = app
            .db_path
            .with_extension(format!("key{}", rand::random::<u32>()));
        let hex = SecretKey::generate();
        std::fs::write(&file, format!("{hex}\n")).unwrap();
        (file, SecretKey::parse(&hex).unwrap())
    };
    let (first_file, first) = new_key();
    let seal = switchboard(
        &app,
        &[
            "secrets",
            "seal",
            "--secret-key-file",
            first_file.to_str().unwrap(),
        ],
        "",
    )
    .await;
    assert!(seal.ok, "{}", seal.stderr);
    assert!(
        seal.stdout.contains("1 channel settings"),
        "{}",
        seal.stdout
    );
    assert!(!raw(&app).contains("plain-token") && !raw(&app).contains("\"hook\""));
    let read = |key: &SecretKey| {
        let conn = rusqlite::Connection::open(&app.db_path).unwrap();
        store::read(&conn, 1, Channel::Telegram, Some(key)).unwrap()
    };
    let Stored::Settings(opened) = read(&first) else {
        panic!("the first key opens them")
    };
    assert_eq!(opened["botToken"], "123:plain-token");

    let (second_file, second) = new_key();
    let rekey = switchboard(
        &app,
        &[
            "secrets",
            "rekey",
            "--old-key-file",
            first_file.to_str().unwrap(),
            "--secret-key-file",
            second_file.to_str().unwrap(),
        ],
        "",
    )
    .await;
    assert!(rekey.ok, "{}", rekey.stderr);
    assert!(matches!(read(&first), Stored::Unreadable(_)));
    assert!(matches!(read(&second), Stored::Settings(s) if s["webhookSecret"] == "hook"));
    // The wrong old key changes nothing.
    let wrong = switchboard(
        &app,
        &[
            "secrets",
            "rekey",
            "--old-key-file",
            first_file.to_str().unwrap(),
            "--secret-key-file",
            first_file.to_str().unwrap(),
        ],
        "",
    )
    .await;
    assert!(
        !wrong.ok && wrong.stderr.contains("cannot be opened"),
        "{}",
        wrong.stderr
    );
    assert!(matches!(read(&second), Stored::Settings(_)));
}
