//! SIGTERM: stop accepting, finish what is in flight, exit cleanly.

use crate::helpers::PASSWORD;
use std::process::Stdio;
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;
use tokio::process::Command;

#[tokio::test]
async fn sigterm_lets_an_in_flight_request_finish_and_exits_cleanly() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("switchboard.db");
    let mut server = Command::new(env!("CARGO_BIN_EXE_switchboard"))
        .args(["--bind", "127.0.0.1:0", "--db"])
        .arg(&db)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(server.stdout.take().unwrap()).lines();
    let first = lines.next_line().await.unwrap().expect("a first line");
    let address = first
        .split("http://")
        .nth(1)
        .expect("the address is printed")
        .trim()
        .to_string();

    // Send the headers and wait for the server's `100 Continue`, so the request is surely
    // in flight (a sleep instead was too short on a loaded machine), then half the body…
    let body = format!(r#"{{"email": "owner@example.com", "password": "{PASSWORD}"}}"#);
    let (head, tail) = body.split_at(body.len() / 2);
    let mut conn = TcpStream::connect(&address).await.unwrap();
    let request = format!(
        "POST /admin/api/signup HTTP/1.1\r\nHost: {address}\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\nExpect: 100-continue\r\nConnection: close\r\n\r\n",
        body.len()
    );
    conn.write_all(request.as_bytes()).await.unwrap();
    let mut interim = Vec::new();
    let continued = async {
        while !interim.ends_with(b"\r\n\r\n") {
            interim.push(conn.read_u8().await.unwrap());
        }
    };
    tokio::time::timeout(Duration::from_secs(10), continued)
        .await
        .expect("the server answers Expect: 100-continue");
    let interim = String::from_utf8(interim).unwrap();
    assert!(interim.starts_with("HTTP/1.1 100"), "{interim}");
    conn.write_all(head.as_bytes()).await.unwrap();

    // …then ask the server to stop, and only then send the rest.
    let pid = server.id().unwrap().to_string();
    let killed = Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .await
        .unwrap();
    assert!(killed.success());
    tokio::time::sleep(Duration::from_millis(300)).await;
    conn.write_all(tail.as_bytes()).await.unwrap();

    let mut response = String::new();
    conn.read_to_string(&mut response).await.unwrap();
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");

    let status = tokio::time::timeout(Duration::from_secs(10), server.wait())
        .await
        .expect("the server exits after the stop signal")
        .unwrap();
    assert!(status.success(), "{status}");

    // The answered write is in the file.
    let conn = rusqlite::Connection::open(&db).unwrap();
    let n: i64 = conn
        .query_row(
            "SELECT count(*) FROM accounts WHERE email = 'owner@example.com'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(n, 1);
}
