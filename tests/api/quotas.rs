//! Storage quotas: an account holds at most its plan's (or its override's) people and
//! messages. Going over is a clear 403 and stores nothing: never half an import.

use crate::helpers::{TestApp, error_message, spawn_app};
use reqwest::StatusCode;
use serde_json::{Value, json};
use switchboard::accounts::Plan;
use switchboard::accounts::model::Overrides;

fn small() -> Overrides {
    Overrides {
        contacts: Some(3),
        messages: Some(4),
        ..Overrides::default()
    }
}

async fn usage(app: &TestApp, key: &str) -> Value {
    app.ok("GET", "/v1/account", key, None).await["usage"].clone()
}

async fn refused(res: reqwest::Response) {
    let message = error_message(res, StatusCode::FORBIDDEN).await;
    assert!(message.starts_with("storage quota: "), "{message}");
}

#[tokio::test]
async fn people_beyond_the_quota_are_refused_whole() {
    let app = spawn_app().await;
    let key = app
        .create_account_with("a@example.com", Plan::Trial, small())
        .key;
    let mut ids = Vec::new();
    for i in 0..3 {
        let person = json!({"channelIds": {"telegram": format!("{i}")}, "tags": ["all"]});
        let person = app.ok("POST", "/v1/contacts", &key, Some(person)).await;
        ids.push(person["id"].as_str().unwrap().to_string());
    }
    refused(
        app.call("POST", "/v1/contacts", &key, Some(json!({"name": "Four"})))
            .await,
    )
    .await;
    let account = app.ok("GET", "/v1/account", &key, None).await;
    assert_eq!(account["limits"]["contacts"], 3);
    assert_eq!(account["usage"]["contacts"], 3);

    // A deleted person frees its place; an import that could go over stores nothing.
    app.ok("DELETE", &format!("/v1/contacts/{}", ids[2]), &key, None)
        .await;
    assert_eq!(usage(&app, &key).await["contacts"], 2);
    let two = "name,telegram\nFive,5\nSix,6\n";
    let res = app
        .client
        .post(app.url("/v1/contacts/import"))
        .header("x-api-key", &key)
        .header("content-type", "text/csv")
        .body(two)
        .send()
        .await
        .unwrap();
    refused(res).await;
    assert_eq!(
        usage(&app, &key).await["contacts"],
        2,
        "nothing of it was stored"
    );
    let res = app
        .client
        .post(app.url("/v1/contacts/import"))
        .header("x-api-key", &key)
        .header("content-type", "application/json")
        .body(r#"[{"name": "Five"}, {"name": "Six"}]"#)
        .send()
        .await
        .unwrap();
    refused(res).await;
    let segmenter = json!({"name": "s", "persons": [{"externalId": "x1"}, {"externalId": "x2"}]});
    refused(
        app.call("POST", "/segmenter/segments", &key, Some(segmenter))
            .await,
    )
    .await;
    assert_eq!(usage(&app, &key).await["contacts"], 2);
    let res = app
        .client
        .post(app.url("/v1/contacts/import"))
        .header("x-api-key", &key)
        .header("content-type", "text/csv")
        .body("name,telegram\nFive,5\n")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(usage(&app, &key).await["contacts"], 3);
}

#[tokio::test]
async fn messages_beyond_the_quota_are_refused() {
    let app = spawn_app().await;
    let key = app
        .create_account_with("a@example.com", Plan::Trial, small())
        .key;
    let person = json!({"channelIds": {"telegram": "7"}, "tags": ["all"]});
    let person = app.ok("POST", "/v1/contacts", &key, Some(person)).await;
    let id = person["id"].as_str().unwrap();
    let send = json!({"contact": {"id": id}, "textMessage": "hi"});
    for _ in 0..3 {
        app.ok(
            "POST",
            "/v1/messages/telegram/sendtext",
            &key,
            Some(send.clone()),
        )
        .await;
    }
    // One place left: a broadcast to two people does not fit.
    let other = json!({"channelIds": {"telegram": "8"}, "tags": ["all"]});
    app.ok("POST", "/v1/contacts", &key, Some(other)).await;
    let all = json!({"name": "all", "criteria": {"tags": ["all"]}});
    let all = app.ok("POST", "/v1/segments", &key, Some(all)).await;
    let broadcast = json!({"name": "b", "segment": {"id": all["id"]}, "channel": "telegram", "textMessage": "x"});
    refused(
        app.call("POST", "/v1/broadcasts", &key, Some(broadcast))
            .await,
    )
    .await;
    app.ok(
        "POST",
        "/v1/messages/telegram/sendtext",
        &key,
        Some(send.clone()),
    )
    .await;
    refused(
        app.call("POST", "/v1/messages/telegram/sendtext", &key, Some(send))
            .await,
    )
    .await;
    let incoming = json!({"contact": {"id": id}, "textMessage": "hello?"});
    refused(
        app.call(
            "POST",
            "/v1/messages/telegram/receive",
            &key,
            Some(incoming),
        )
        .await,
    )
    .await;
    assert_eq!(usage(&app, &key).await["messages"], 4);

    // Deleting a person deletes their log, which frees its places.
    app.ok("DELETE", &format!("/v1/contacts/{id}"), &key, None)
        .await;
    assert_eq!(usage(&app, &key).await["messages"], 0);
}

#[tokio::test]
async fn what_an_account_stores_is_counted_exactly_on_every_path() {
    let app = spawn_app().await;
    let key = app.create_account("a@example.com", Plan::Unlimited).key;
    let account = app.ok("GET", "/v1/account", &key, None).await["id"]
        .as_str()
        .unwrap()
        .to_string();
    // Creates, an import with new and existing rows, sends, a receive, a broadcast's
    // fan-out, and deletes.
    for i in 0..5 {
        let person = json!({"channelIds": {"telegram": format!("{i}")}, "tags": ["all"], "externalId": format!("e{i}")});
        app.ok("POST", "/v1/contacts", &key, Some(person)).await;
    }
    let csv = "externalId,telegram,tags\ne1,1,all\ne9,9,all\ne10,10,all\n";
    app.import_csv(&key, csv).await;
    let people = app.ok("GET", "/v1/contacts?limit=100", &key, None).await;
    let first = people[0]["id"].as_str().unwrap().to_string();
    let send = json!({"contact": {"id": first}, "textMessage": "hi"});
    app.ok("POST", "/v1/messages/telegram/sendtext", &key, Some(send))
        .await;
    let incoming = json!({"sender": {"channelUserId": "555"}, "textMessage": "new here"});
    app.ok(
        "POST",
        "/v1/messages/telegram/receive",
        &key,
        Some(incoming),
    )
    .await;
    let all = json!({"name": "all", "criteria": {"tags": ["all"]}});
    let all = app.ok("POST", "/v1/segments", &key, Some(all)).await;
    let b = json!({"name": "b", "segment": {"id": all["id"]}, "channel": "telegram", "textMessage": "x"});
    let b = app.ok("POST", "/v1/broadcasts", &key, Some(b)).await;
    let path = format!("/v1/broadcasts/{}", b["id"].as_str().unwrap());
    crate::helpers::eventually(
        std::time::Duration::from_secs(10),
        "the broadcast ends",
        || async {
            (app.ok("GET", &path, &key, None).await["status"] == "completed").then_some(())
        },
    )
    .await;
    app.ok("DELETE", &format!("/v1/contacts/{first}"), &key, None)
        .await;
    // Segmenter's persons: one new, one known by externalId; and a client.
    let persons = json!({"name": "s", "persons": [{"externalId": "s1"}, {"externalId": "e2"}]});
    app.ok("POST", "/segmenter/segments", &key, Some(persons))
        .await;
    app.ok("POST", "/v1/clients", &key, Some(json!({"name": "C"})))
        .await;

    let conn = rusqlite::Connection::open(&app.db_path).unwrap();
    let count = |table: &str| -> i64 {
        conn.query_row(
            &format!("SELECT count(*) FROM {table} WHERE account_id = ?1"),
            [&account],
            |r| r.get(0),
        )
        .unwrap()
    };
    let (people, messages) = (count("contacts"), count("messages"));
    // People: 5 made, 2 imported (1 row updated), 1 who wrote, 1 deleted, 1 of Segmenter's
    // and a client. Messages: 1 sent, 1 received, 7 broadcast, and the deleted person's 2.
    assert_eq!((people, messages), (9, 7));
    let usage = usage(&app, &key).await;
    assert_eq!(
        (usage["contacts"].as_i64(), usage["messages"].as_i64()),
        (Some(people), Some(messages))
    );
}
