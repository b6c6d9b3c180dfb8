//! Broadcasts (docs/api.md#broadcasts): recipients and skip reasons, personalisation,
//! pacing, pause, resume and cancel, schedules, STOP/START, and a SIGKILL in the middle.

use crate::helpers::{
    PASSWORD, Process, TestApp, cli, error_message, eventually, spawn_app, spawn_app_with,
};
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::time::Duration;
use switchboard::accounts::Plan;

async fn add(app: &TestApp, key: &str, body: Value) -> String {
    let created = app.ok("POST", "/v1/contacts", key, Some(body)).await;
    created["id"].as_str().unwrap().to_string()
}

async fn segment(app: &TestApp, key: &str, tag: &str) -> String {
    let rule = json!({"name": format!("tag {tag}"), "groups": [{"conditions": [
        {"attribute": "tags", "operator": "has", "value": tag}]}]});
    let created = app.ok("POST", "/v1/segments", key, Some(rule)).await;
    created["id"].as_str().unwrap().to_string()
}

/// Polls the broadcast until `done` holds.
async fn until(app: &TestApp, key: &str, id: &str, done: impl Fn(&Value) -> bool) -> Value {
    let done = &done;
    eventually(
        Duration::from_secs(10),
        &format!("broadcast {id}"),
        || async move {
            let b = app
                .ok("GET", &format!("/v1/broadcasts/{id}"), key, None)
                .await;
            done(&b).then_some(b)
        },
    )
    .await
}

#[tokio::test]
async fn a_broadcast_reaches_each_member_once_personalised_and_counts_who_it_skipped() {
    let app = spawn_app().await;
    let key = app.create_account("a@example.com", Plan::Unlimited).key;
    add(&app, &key, json!({"firstName": "Asha", "channelIds": {"telegram": "1"}, "tags": ["vip"], "attributes": {"city": "Pune"}})).await;
    add(
        &app,
        &key,
        json!({"name": "Bob", "channelIds": {"telegram": "2"}, "tags": ["vip"]}),
    )
    .await;
    add(&app, &key, json!({"firstName": "Chen", "channelIds": {"telegram": "3"}, "tags": ["vip"], "optedOut": true})).await;
    add(
        &app,
        &key,
        json!({"firstName": "Dev", "phoneNumber": "+14155550100", "tags": ["vip"]}),
    )
    .await;
    add(
        &app,
        &key,
        json!({"firstName": "Eve", "channelIds": {"telegram": "5"}, "tags": ["other"]}),
    )
    .await;
    let seg = segment(&app, &key, "vip").await;
    let created = app
        .ok(
            "POST",
            "/v1/broadcasts",
            &key,
            Some(json!({"name": "Diwali", "segment": {"id": seg}, "channel": "telegram",
                        "textMessage": "Hi {{firstName|there}}, see you in {{attributes.city|town}}!"})),
        )
        .await;
    assert_eq!(created["status"], "running");
    let id = created["id"].as_str().unwrap();
    let done = until(&app, &key, id, |b| b["status"] == "completed").await;
    assert_eq!(
        done["stats"],
        json!({"total": 2, "queued": 0, "sent": 2, "delivered": 0, "read": 0, "failed": 0, "cancelled": 0,
               "skipped": 2, "skippedReasons": {"optedOut": 1, "unreachable": 1}})
    );
    assert!(done["completedAt"].is_string());
    let res = app
        .call(
            "GET",
            &format!("/v1/broadcasts/{id}/messages?status=sent"),
            &key,
            None,
        )
        .await;
    assert_eq!(res.headers()["x-total-count"], "2");
    let messages: Vec<Value> = res.json().await.unwrap();
    let texts: Vec<&str> = messages
        .iter()
        .map(|m| m["text"].as_str().unwrap())
        .collect();
    assert_eq!(
        texts,
        ["Hi Asha, see you in Pune!", "Hi there, see you in town!"]
    );
    assert_eq!(messages[0]["sentBy"], "broadcast");
    let none = app
        .ok(
            "GET",
            &format!("/v1/broadcasts/{id}/messages?status=failed"),
            &key,
            None,
        )
        .await;
    assert_eq!(none, json!([]));
    let res = app
        .call(
            "GET",
            &format!("/v1/broadcasts/{id}/messages?status=lost"),
            &key,
            None,
        )
        .await;
    assert!(
        error_message(res, StatusCode::BAD_REQUEST)
            .await
            .starts_with("status")
    );
    let listed = app.ok("GET", "/v1/broadcasts", &key, None).await;
    assert_eq!(listed[0]["id"], id);
}

#[tokio::test]
async fn whatsapp_broadcasts_fill_template_parameters_per_recipient() {
    let app = spawn_app().await;
    let key = app.create_account("a@example.com", Plan::Unlimited).key;
    app.ok(
        "POST",
        "/v1/templates",
        &key,
        Some(json!({"name": "promo", "language": "en", "body": "Hi {{1}}, use code {{2}}"})),
    )
    .await;
    add(
        &app,
        &key,
        json!({"firstName": "Asha", "phoneNumber": "+919876543210", "tags": ["all"]}),
    )
    .await;
    add(
        &app,
        &key,
        json!({"phoneNumber": "+919876543211", "tags": ["all"]}),
    )
    .await;
    let seg = segment(&app, &key, "all").await;
    let body = |params: Value| {
        json!({"name": "Promo", "segment": {"id": seg}, "channel": "whatsapp",
               "template": {"name": "promo", "language": "en"}, "bodyTextParameters": params})
    };
    let res = app
        .call(
            "POST",
            "/v1/broadcasts",
            &key,
            Some(body(json!(["{{firstName}}"]))),
        )
        .await;
    assert!(
        error_message(res, StatusCode::BAD_REQUEST)
            .await
            .starts_with("bodyTextParameters")
    );
    let created = app
        .ok(
            "POST",
            "/v1/broadcasts",
            &key,
            Some(body(json!(["{{firstName|friend}}", "FREESHIP"]))),
        )
        .await;
    let id = created["id"].as_str().unwrap();
    until(&app, &key, id, |b| b["status"] == "completed").await;
    let messages = app
        .ok("GET", &format!("/v1/broadcasts/{id}/messages"), &key, None)
        .await;
    assert_eq!(messages[0]["text"], "Hi Asha, use code FREESHIP");
    assert_eq!(messages[1]["text"], "Hi friend, use code FREESHIP");
    assert_eq!(messages[0]["type"], "template");
}

#[tokio::test]
async fn bad_broadcasts_are_400_and_other_accounts_get_404() {
    let app = spawn_app().await;
    let key = app.create_account("a@example.com", Plan::Unlimited).key;
    let other = app.create_account("b@example.com", Plan::Unlimited).key;
    add(
        &app,
        &key,
        json!({"channelIds": {"telegram": "1"}, "tags": ["t"]}),
    )
    .await;
    let seg = segment(&app, &key, "t").await;
    for (body, field) in [
        (
            json!({"segment": {"id": seg}, "channel": "telegram", "textMessage": "x"}),
            "name",
        ),
        (
            json!({"name": "n", "segment": {"id": seg}, "channel": "whatsapp", "textMessage": "x"}),
            "template",
        ),
        (
            json!({"name": "n", "segment": {"id": seg}, "channel": "fax", "textMessage": "x"}),
            "channel",
        ),
        (
            json!({"name": "n", "segment": {"id": seg}, "channel": "telegram", "textMessage": ["x"]}),
            "textMessage",
        ),
    ] {
        let res = app
            .call("POST", "/v1/broadcasts", &key, Some(body.clone()))
            .await;
        let message = error_message(res, StatusCode::BAD_REQUEST).await;
        assert!(message.starts_with(field), "{body}: {message}");
    }
    // What the body names but the account lacks is 404, naming the field.
    for (body, field) in [
        (
            json!({"name": "n", "segment": {"id": "999"}, "channel": "telegram", "textMessage": "x"}),
            "segment.id",
        ),
        (
            json!({"name": "n", "segment": {"id": seg}, "channel": "whatsapp", "template": {"name": "nope", "language": "en"}}),
            "template",
        ),
    ] {
        let res = app
            .call("POST", "/v1/broadcasts", &key, Some(body.clone()))
            .await;
        let message = error_message(res, StatusCode::NOT_FOUND).await;
        assert!(message.starts_with(field), "{body}: {message}");
    }
    // Another account can neither use the segment nor see the broadcast.
    let res = app
        .call("POST", "/v1/broadcasts", &other, Some(json!({"name": "n", "segment": {"id": seg}, "channel": "telegram", "textMessage": "x"})))
        .await;
    assert!(
        error_message(res, StatusCode::NOT_FOUND)
            .await
            .starts_with("segment.id")
    );
    let created = app
        .ok("POST", "/v1/broadcasts", &key, Some(json!({"name": "n", "segment": {"id": seg}, "channel": "telegram", "textMessage": "x"})))
        .await;
    let id = created["id"].as_str().unwrap();
    for (method, path) in [
        ("GET", format!("/v1/broadcasts/{id}")),
        ("GET", format!("/v1/broadcasts/{id}/messages")),
        ("POST", format!("/v1/broadcasts/{id}/pause")),
        ("POST", format!("/v1/broadcasts/{id}/cancel")),
    ] {
        assert_eq!(
            app.call(method, &path, &other, None).await.status(),
            StatusCode::NOT_FOUND,
            "{path}"
        );
    }
    assert_eq!(
        app.ok("GET", "/v1/broadcasts", &other, None).await,
        json!([])
    );
}

#[tokio::test]
async fn pacing_pause_resume_and_cancel() {
    let app = spawn_app_with(|c| c.delivery.broadcast_rate = 10).await;
    let key = app.create_account("a@example.com", Plan::Unlimited).key;
    for i in 0..40 {
        add(
            &app,
            &key,
            json!({"channelIds": {"telegram": i.to_string()}, "tags": ["all"]}),
        )
        .await;
    }
    let seg = segment(&app, &key, "all").await;
    let created = app
        .ok("POST", "/v1/broadcasts", &key, Some(json!({"name": "slow", "segment": {"id": seg}, "channel": "telegram", "textMessage": "hi"})))
        .await;
    let id = created["id"].as_str().unwrap();
    let started = until(&app, &key, id, |b| b["stats"]["sent"].as_i64() >= Some(5)).await;
    // Ten a second, with at most one second's burst: far from all 40 at once.
    assert!(started["stats"]["sent"].as_i64().unwrap() < 30, "{started}");
    let paused = app
        .ok("POST", &format!("/v1/broadcasts/{id}/pause"), &key, None)
        .await;
    assert_eq!(paused["status"], "paused");
    tokio::time::sleep(Duration::from_millis(200)).await;
    let held = app
        .ok("GET", &format!("/v1/broadcasts/{id}"), &key, None)
        .await["stats"]["sent"]
        .clone();
    tokio::time::sleep(Duration::from_millis(500)).await;
    let still = app
        .ok("GET", &format!("/v1/broadcasts/{id}"), &key, None)
        .await;
    assert_eq!(
        still["stats"]["sent"], held,
        "nothing goes out while paused"
    );
    let res = app
        .call("POST", &format!("/v1/broadcasts/{id}/pause"), &key, None)
        .await;
    assert_eq!(res.status(), StatusCode::CONFLICT);
    app.ok("POST", &format!("/v1/broadcasts/{id}/resume"), &key, None)
        .await;
    until(&app, &key, id, |b| {
        b["stats"]["sent"].as_i64() > held.as_i64()
    })
    .await;
    let cancelled = app
        .ok("POST", &format!("/v1/broadcasts/{id}/cancel"), &key, None)
        .await;
    assert_eq!(cancelled["status"], "cancelled");
    let stats = &cancelled["stats"];
    assert!(stats["cancelled"].as_i64().unwrap() > 0, "{stats}");
    assert_eq!(stats["total"], 40);
    let res = app
        .call("POST", &format!("/v1/broadcasts/{id}/cancel"), &key, None)
        .await;
    assert!(
        error_message(res, StatusCode::CONFLICT)
            .await
            .contains("cancelled")
    );
}

#[tokio::test]
async fn stop_opts_out_of_broadcasts_start_opts_back_in_and_schedules_survive_a_restart() {
    let app = spawn_app().await;
    let key = app.create_account("a@example.com", Plan::Unlimited).key;
    let asha = add(
        &app,
        &key,
        json!({"phoneNumber": "+919876543210", "channelIds": {"telegram": "7"}, "tags": ["all"]}),
    )
    .await;
    let stop = json!({"sender": {"phoneNumber": "+919876543210"}, "textMessage": " stop "});
    app.ok("POST", "/v1/messages/whatsapp/receive", &key, Some(stop))
        .await;
    let contact = app
        .ok("GET", &format!("/v1/contacts/{asha}"), &key, None)
        .await;
    assert_eq!(contact["optedOut"], true);
    let seg = segment(&app, &key, "all").await;
    let body =
        json!({"name": "b", "segment": {"id": seg}, "channel": "telegram", "textMessage": "sale"});
    let first = app
        .ok("POST", "/v1/broadcasts", &key, Some(body.clone()))
        .await;
    let done = until(&app, &key, first["id"].as_str().unwrap(), |b| {
        b["status"] == "completed"
    })
    .await;
    assert_eq!(done["stats"]["skippedReasons"]["optedOut"], 1);
    assert_eq!(done["stats"]["total"], 0);
    // One-to-one sends still reach an opted-out person.
    app.ok(
        "POST",
        "/v1/messages/telegram/sendtext",
        &key,
        Some(json!({"contact": {"id": asha}, "textMessage": "receipt"})),
    )
    .await;

    app.ok(
        "POST",
        "/v1/messages/telegram/receive",
        &key,
        Some(json!({"contact": {"id": asha}, "textMessage": "START"})),
    )
    .await;
    let at = (time::OffsetDateTime::now_utc() + time::Duration::seconds(1))
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap();
    let mut later = body;
    later["scheduleDateTime"] = json!(at);
    let second = app.ok("POST", "/v1/broadcasts", &key, Some(later)).await;
    assert_eq!(second["status"], "scheduled");
    // Down while it comes due (the pause runs between stop and start): it starts once up.
    let app = app
        .restart_with(|_| std::thread::sleep(Duration::from_millis(1500)))
        .await;
    let done = until(&app, &key, second["id"].as_str().unwrap(), |b| {
        b["status"] == "completed"
    })
    .await;
    assert_eq!(done["stats"]["sent"], 1);
    assert!(done["startedAt"].is_string());
}

#[tokio::test]
async fn killed_mid_broadcast_it_resumes_and_nobody_gets_two() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("sb.db");
    cli(
        &db,
        &[
            "account",
            "create",
            "--email",
            "k@example.com",
            "--plan",
            "unlimited",
        ],
        &format!("{PASSWORD}\n"),
    )
    .await;
    let key = cli(&db, &["key", "create", "--email", "k@example.com"], "").await;
    let key = key.lines().last().unwrap().trim().to_string();
    let mut first = Process::serve(&db, &["--broadcast-rate", "40"], "warn").await;
    let base = first.base.clone();
    let http = reqwest::Client::new();
    let post = |path: &str, body: Value| {
        http.post(format!("{base}{path}"))
            .header("x-api-key", &key)
            .json(&body)
            .send()
    };
    for i in 0..120 {
        post(
            "/v1/contacts",
            json!({"channelIds": {"telegram": i.to_string()}, "tags": ["all"]}),
        )
        .await
        .unwrap();
    }
    let seg: Value = post("/v1/segments", json!({"name": "all", "groups": [{"conditions": [{"attribute": "tags", "operator": "has", "value": "all"}]}]}))
        .await.unwrap().json().await.unwrap();
    let b: Value = post("/v1/broadcasts", json!({"name": "k", "segment": {"id": seg["id"]}, "channel": "telegram", "textMessage": "once"}))
        .await.unwrap().json().await.unwrap();
    let id = b["id"].as_str().unwrap().to_string();
    let stats = |base: String| {
        let (http, key, id) = (http.clone(), key.clone(), id.clone());
        async move {
            let b: Value = http
                .get(format!("{base}/v1/broadcasts/{id}"))
                .header("x-api-key", key)
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            b
        }
    };
    let before = eventually(Duration::from_secs(5), "20 sent", || async {
        let now = stats(base.clone()).await;
        (now["stats"]["sent"].as_i64() >= Some(20)).then_some(now)
    })
    .await;
    first.child.kill().await.unwrap(); // SIGKILL
    assert!(
        before["stats"]["sent"].as_i64().unwrap() < 100,
        "killed mid-broadcast: {before}"
    );
    // Bound, not dropped: the process is killed when its handle goes.
    let restarted = Process::serve(&db, &["--broadcast-rate", "40"], "warn").await;
    let base = restarted.base.clone();
    let last = eventually(
        Duration::from_secs(10),
        "completed after the restart",
        || async {
            let now = stats(base.clone()).await;
            (now["status"] == "completed").then_some(now)
        },
    )
    .await;
    let conn = rusqlite::Connection::open(&db).unwrap();
    let (rows, people): (i64, i64) = conn
        .query_row(
            "SELECT count(*), count(DISTINCT contact_id) FROM messages WHERE broadcast_id = ?1",
            [id.parse::<i64>().unwrap()],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert_eq!((rows, people), (120, 120), "one message per recipient");
    let s = &last["stats"];
    // Any message in a transport's hands at the kill is reported, never sent again.
    assert_eq!(
        s["sent"].as_i64().unwrap() + s["failed"].as_i64().unwrap(),
        120,
        "{s}"
    );
    let interrupted: i64 = conn
        .query_row("SELECT count(*) FROM messages WHERE status = 6 AND error_message NOT LIKE 'interrupted%'", [], |r| r.get(0))
        .unwrap();
    assert_eq!(interrupted, 0);
    let check: String = conn
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(check, "ok");
}

#[tokio::test]
async fn a_broadcast_that_cannot_fan_out_does_not_hold_up_single_sends() {
    let app = spawn_app().await;
    let key = app.create_account("a@example.com", Plan::Unlimited).key;
    // The rule is valid while nobody has `member`; once it is a boolean, 3 is not a value
    // for it, so the broadcast, which starts in two seconds, cannot fan out.
    let rule = json!({"name": "odd", "groups": [{"conditions": [
        {"attribute": "member", "operator": "==", "value": 3}]}]});
    let seg = app.ok("POST", "/v1/segments", &key, Some(rule)).await;
    let at = switchboard::clock::rfc3339(switchboard::clock::now() + 2);
    let b = app
        .ok(
            "POST",
            "/v1/broadcasts",
            &key,
            Some(
                json!({"name": "b", "segment": {"id": seg["id"]}, "channel": "telegram",
                        "textMessage": "x", "scheduleDateTime": at}),
            ),
        )
        .await;
    let c = add(
        &app,
        &key,
        json!({"channelIds": {"telegram": "1"}, "attributes": {"member": true}}),
    )
    .await;
    let sent = app
        .ok(
            "POST",
            "/v1/messages/telegram/sendtext",
            &key,
            Some(json!({"contact": {"id": c}, "textMessage": "receipt"})),
        )
        .await;
    let id = sent["id"].as_str().unwrap();
    app.message_when(&key, &c, id, |m| m["status"] == "sent")
        .await;
    let path = format!("/v1/broadcasts/{}", b["id"].as_str().unwrap());
    let paused = eventually(Duration::from_secs(10), "the broadcast pauses", || async {
        let now = app.ok("GET", &path, &key, None).await;
        (now["status"] == "paused").then_some(now)
    })
    .await;
    let reason = paused["pausedReason"].as_str().unwrap();
    assert!(reason.contains("cannot be evaluated"), "{reason}");
    assert_eq!(paused["stats"]["total"], 0, "nobody was sent anything");
}
