//! A disk that fills up under the running binary: writes answer `503` JSON (nothing
//! half-written, no panic), reads go on, and writing resumes when space returns. (A
//! read-only database gets the same answer: unit-tested in `error.rs`.) The disk is a small tmpfs, so this test needs the right to mount one (root, as
//! in CI); elsewhere it says so and does nothing.

use crate::helpers::{PASSWORD, Process, cli};
use serde_json::{Value, json};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

struct Tmpfs(PathBuf);

impl Tmpfs {
    fn mount(dir: &Path, size: &str) -> Option<Tmpfs> {
        std::fs::create_dir_all(dir).unwrap();
        let ok = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(dir)
            .stderr(std::process::Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        ok.then(|| Tmpfs(dir.to_path_buf()))
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.0).status();
    }
}

/// Fills the disk with one file until it is full; its path.
fn fill(dir: &Path) -> PathBuf {
    let path = dir.join("filler");
    let mut file = std::fs::File::create(&path).unwrap();
    for size in [16 * 1024, 512, 1] {
        let chunk = vec![0u8; size];
        while file.write_all(&chunk).is_ok() {}
    }
    path
}

fn csv(rows: usize, prefix: &str) -> String {
    std::iter::once("externalId,name,city".to_string())
        .chain((0..rows).map(|i| format!("{prefix}{i},Person {i},City {}", i % 50)))
        .collect::<Vec<_>>()
        .join("\n")
}

#[tokio::test]
async fn a_full_disk_is_503_and_writing_resumes_when_space_returns() {
    let dir = tempfile::tempdir().unwrap();
    let Some(disk) = Tmpfs::mount(&dir.path().join("disk"), "24m") else {
        eprintln!("skipped: mounting a tmpfs needs root");
        return;
    };
    let db = disk.0.join("sb.db");
    let email = ["--email", "disk@example.com"];
    let create = [&["account", "create", "--plan", "unlimited"][..], &email].concat();
    cli(&db, &create, &format!("{PASSWORD}\n")).await;
    let key = cli(&db, &[&["key", "create"][..], &email].concat(), "").await;
    let key = key.lines().last().unwrap().trim().to_string();
    let server = Process::serve(&db, &[], "error").await;
    let http = reqwest::Client::new();
    let send = |method: &str, path: &str, body: Option<(String, &str)>| {
        let mut req = http
            .request(method.parse().unwrap(), format!("{}{path}", server.base))
            .header("x-api-key", &key);
        if let Some((body, content_type)) = body {
            req = req.header("content-type", content_type).body(body);
        }
        async move {
            let res = req.send().await.unwrap();
            let status = res.status().as_u16();
            let retry = res.headers().get("retry-after").cloned();
            let body: Value = res.json().await.unwrap_or(Value::Null);
            (status, body, retry)
        }
    };
    let person = |id: &str| Some((json!({"externalId": id}).to_string(), "application/json"));
    assert_eq!(send("POST", "/v1/contacts", person("before")).await.0, 200);

    // Full: an import that needs new pages cannot have them.
    let filler = fill(&disk.0);
    let (status, body, retry) = send(
        "POST",
        "/v1/contacts/import",
        Some((csv(20_000, "full-"), "text/csv")),
    )
    .await;
    assert_eq!(status, 503, "{body}");
    assert_eq!(body["statusCode"], 503);
    assert!(
        body["message"].as_str().unwrap().contains("disk is full"),
        "{body}"
    );
    assert!(retry.is_some(), "503 says when to come back");
    let (status, list, _) = send("GET", "/v1/contacts?limit=500", None).await;
    assert_eq!(status, 200, "reads go on: {list}");
    assert_eq!(list.as_array().unwrap().len(), 1, "nothing half-imported");

    std::fs::remove_file(filler).unwrap();
    let (status, body, _) = send(
        "POST",
        "/v1/contacts/import",
        Some((csv(20_000, "later-"), "text/csv")),
    )
    .await;
    assert_eq!(
        (status, body["created"].as_i64()),
        (200, Some(20_000)),
        "{body}"
    );
    assert_eq!(
        send("POST", "/v1/contacts", person("after-full")).await.0,
        200
    );

    let log = server.log.lock().unwrap().clone();
    assert!(!log.contains("panicked"), "{log}");
    drop(server);
    let conn = rusqlite::Connection::open(&db).unwrap();
    let check: String = conn
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(check, "ok");
    let ids: i64 = conn
        .query_row(
            "SELECT count(*) FROM contacts WHERE external_id IN ('before', 'after-full')",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(ids, 2);
}
