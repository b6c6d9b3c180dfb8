//! Failing closed: bad segment values are refused before anything is stored, and data
//! planted straight into the database file that no longer reads (a rule, a channel name,
//! channel settings) is an error naming the object. It never becomes "everyone", another
//! channel, or the sandbox's fake success.

use crate::helpers::{TestApp, error_message, eventually, spawn_app};
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::time::Duration;
use switchboard::accounts::Plan;
use switchboard::clock;

/// Runs `sql` on the server's database file, beside the running server.
fn plant(app: &TestApp, sql: &str) {
    let conn = rusqlite::Connection::open(&app.db_path).unwrap();
    conn.busy_timeout(Duration::from_secs(5)).unwrap();
    conn.execute_batch(sql).unwrap();
}

async fn add(app: &TestApp, key: &str, body: Value) -> String {
    let person = app.ok("POST", "/v1/contacts", key, Some(body)).await;
    person["id"].as_str().unwrap().to_string()
}

fn rule(attribute: &str, operator: &str, value: Value) -> Value {
    json!([{"conditions": [{"attribute": attribute, "operator": operator, "value": value}]}])
}

/// A broadcast of a text on Telegram to `segment`, starting `after` seconds from now.
async fn broadcast_later(app: &TestApp, key: &str, segment: &Value, after: i64) -> String {
    let at = clock::rfc3339(clock::now() + after);
    let b = app
        .ok(
            "POST",
            "/v1/broadcasts",
            key,
            Some(
                json!({"name": "later", "segment": {"id": segment["id"]}, "channel": "telegram",
                        "textMessage": "hello", "scheduleDateTime": at}),
            ),
        )
        .await;
    format!("/v1/broadcasts/{}", b["id"].as_str().unwrap())
}

async fn paused(app: &TestApp, key: &str, path: &str) -> Value {
    eventually(Duration::from_secs(10), "the broadcast pauses", || async {
        let now = app.ok("GET", path, key, None).await;
        (now["status"] == "paused").then_some(now)
    })
    .await
}

#[tokio::test]
async fn a_segment_value_of_the_wrong_kind_is_refused_and_nothing_is_stored() {
    let app = spawn_app().await;
    let key = app.create_account("a@example.com", Plan::Unlimited).key;
    add(
        &app,
        &key,
        json!({"name": "Asha", "attributes": {"orders": 3}}),
    )
    .await;
    for (groups, place) in [
        (
            rule("age", ">", json!("abc")),
            "groups[0].conditions[0].value: expected a whole number",
        ),
        // `orders` holds numbers: this is only known from the account's data.
        (
            rule("orders", ">", json!("many")),
            "groups[0].conditions[0].value: expected a number",
        ),
        (
            rule("orders", "contains", json!("1")),
            "groups[0].conditions[0].operator:",
        ),
    ] {
        let res = app
            .call(
                "POST",
                "/v1/segments",
                &key,
                Some(json!({"name": "bad", "groups": groups})),
            )
            .await;
        let message = error_message(res, StatusCode::BAD_REQUEST).await;
        assert!(message.starts_with(place), "{message}");
    }
    let listed = app.call("GET", "/v1/segments", &key, None).await;
    assert_eq!(listed.status(), StatusCode::OK);
    assert_eq!(listed.headers()["x-total-count"], "0", "nothing was stored");

    // A change to a bad value is refused the same way, and the segment stays as it was.
    let good = json!({"name": "big", "groups": rule("orders", ">", json!(2))});
    let good = app.ok("POST", "/v1/segments", &key, Some(good)).await;
    let path = format!("/v1/segments/{}", good["id"].as_str().unwrap());
    let res = app
        .call(
            "PUT",
            &path,
            &key,
            Some(json!({"groups": rule("orders", ">", json!("many"))})),
        )
        .await;
    error_message(res, StatusCode::BAD_REQUEST).await;
    assert_eq!(app.ok("GET", &path, &key, None).await, good);
}

#[tokio::test]
async fn a_rule_the_data_has_outgrown_shows_its_problem_and_blocks_what_needs_members() {
    let app = spawn_app().await;
    let key = app.create_account("a@example.com", Plan::Unlimited).key;
    // Valid while nobody has `score`: a text comparison, for all the rule knows.
    let body = json!({"name": "high", "groups": rule("score", "==", json!("high"))});
    let segment = app.ok("POST", "/v1/segments", &key, Some(body)).await;
    assert_eq!(segment["memberCount"], 0);
    let other = json!({"name": "all", "criteria": {}});
    app.ok("POST", "/v1/segments", &key, Some(other)).await;
    // The first value fixes `score` as a number, which "high" is not.
    add(
        &app,
        &key,
        json!({"name": "Asha", "attributes": {"score": 7}}),
    )
    .await;

    let list = app.ok("GET", "/v1/segments", &key, None).await;
    assert_eq!(list[0]["memberCount"], Value::Null, "{list}");
    let problem = list[0]["problem"].as_str().unwrap();
    assert!(
        problem.contains("no longer fits") && problem.contains("expected a number"),
        "{problem}"
    );
    assert_eq!(list[1]["memberCount"], 1, "the other segments still count");
    assert_eq!(list[1]["problem"], Value::Null);
    let id = segment["id"].as_str().unwrap();
    let one = app
        .ok("GET", &format!("/v1/segments/{id}"), &key, None)
        .await;
    assert_eq!(one["problem"], problem);

    for path in [
        format!("/v1/segments/{id}/count"),
        format!("/v1/segments/{id}/contacts"),
        format!("/v1/contacts/export?segmentId={id}"),
    ] {
        let res = app.call("GET", &path, &key, None).await;
        let message = error_message(res, StatusCode::CONFLICT).await;
        assert!(message.contains("cannot be evaluated"), "{path}: {message}");
    }
    let res = app
        .call(
            "POST",
            "/v1/broadcasts",
            &key,
            Some(json!({"name": "b", "segment": {"id": id}, "channel": "telegram", "textMessage": "x"})),
        )
        .await;
    let message = error_message(res, StatusCode::CONFLICT).await;
    assert!(
        message.contains(&format!("segment {id} cannot be evaluated")),
        "{message}"
    );
    assert_eq!(
        app.call("GET", "/v1/broadcasts", &key, None)
            .await
            .headers()["x-total-count"],
        "0"
    );
}

#[tokio::test]
async fn a_stored_rule_that_does_not_read_never_means_everyone() {
    let app = spawn_app().await;
    let key = app.create_account("a@example.com", Plan::Unlimited).key;
    for i in 0..5 {
        let tags = if i < 2 { json!(["vip"]) } else { json!([]) };
        let person = json!({"channelIds": {"telegram": format!("{i}")}, "tags": tags});
        add(&app, &key, person).await;
    }
    let vip = json!({"name": "vip", "criteria": {"tags": ["vip"]}});
    let vip = app.ok("POST", "/v1/segments", &key, Some(vip)).await;
    assert_eq!(vip["memberCount"], 2);
    let also = json!({"name": "vip too", "groups": rule("tags", "has", json!("vip"))});
    let also = app.ok("POST", "/v1/segments", &key, Some(also)).await;
    let running = broadcast_later(&app, &key, &vip, 2).await;

    // Corrupt both: one the way an older version stored rules, one in its canonical form.
    plant(
        &app,
        &format!(
            "UPDATE segments SET definition = NULL, criteria = NULL, rule = '{{\"groups\": [' WHERE id = {};
             UPDATE segments SET definition = 'not a rule' WHERE id = {};",
            vip["id"].as_str().unwrap(),
            also["id"].as_str().unwrap()
        ),
    );
    let list = app.ok("GET", "/v1/segments", &key, None).await;
    for segment in list.as_array().unwrap() {
        assert_eq!(segment["memberCount"], Value::Null, "{segment}");
        let problem = segment["problem"].as_str().unwrap();
        assert!(problem.contains("stored rule is not JSON"), "{problem}");
    }

    let paused = paused(&app, &key, &running).await;
    let reason = paused["pausedReason"].as_str().unwrap();
    assert!(
        reason.contains(&format!(
            "segment {} cannot be evaluated",
            vip["id"].as_str().unwrap()
        )),
        "{reason}"
    );
    assert_eq!(
        paused["stats"]["total"], 0,
        "nobody was sent anything: {paused}"
    );
}

#[tokio::test]
async fn channel_settings_that_do_not_read_fail_the_message_never_the_sandbox() {
    let app = spawn_app().await;
    let key = app.create_account("a@example.com", Plan::Unlimited).key;
    let account = app.ok("GET", "/v1/account", &key, None).await["id"]
        .as_str()
        .unwrap()
        .to_string();
    let asha = add(
        &app,
        &key,
        json!({"channelIds": {"telegram": "551", "messenger": "77"}}),
    )
    .await;
    plant(
        &app,
        &format!(
            "INSERT INTO channel_settings (account_id, channel, settings, updated_at)
                 VALUES ({account}, 'telegram', '{{\"botToken\": ', 0),
                        ({account}, 'messenger', '{{}}', 0);"
        ),
    );
    for (channel, problem) in [
        ("telegram", "cannot be read"),
        ("messenger", "lack what a send needs"),
    ] {
        let sent = app
            .ok(
                "POST",
                &format!("/v1/messages/{channel}/sendtext"),
                &key,
                Some(json!({"contact": {"id": asha}, "textMessage": "hi"})),
            )
            .await;
        let id = sent["id"].as_str().unwrap();
        let entry = app
            .message_when(&key, &asha, id, |m| m["status"] != "queued")
            .await;
        assert_eq!(entry["status"], "failed", "{channel}: {entry}");
        assert_eq!(entry["errorCode"], "settings_unreadable");
        let reason = entry["errorMessage"].as_str().unwrap();
        assert!(
            reason.contains(problem) && reason.contains(channel),
            "{reason}"
        );
    }

    // The API shows the problem, and setting the channel up again replaces what was stored.
    let view = app.ok("GET", "/v1/channels/telegram", &key, None).await;
    assert_eq!(view["configured"], true);
    assert!(
        view["problem"]
            .as_str()
            .unwrap()
            .contains("set the channel up again")
    );
    let again = app
        .ok(
            "PUT",
            "/v1/channels/telegram",
            &key,
            Some(json!({"botToken": "1:abc"})),
        )
        .await;
    assert_eq!(again["problem"], Value::Null);
    assert_eq!(again["botTokenSet"], true);
}

#[tokio::test]
async fn an_unknown_stored_channel_fails_the_message_and_pauses_the_broadcast() {
    let app = spawn_app().await;
    let key = app.create_account("a@example.com", Plan::Unlimited).key;
    let asha = add(
        &app,
        &key,
        json!({"channelIds": {"telegram": "551"}, "tags": ["all"]}),
    )
    .await;
    let at = clock::rfc3339(clock::now() + 2);
    let later = app
        .ok(
            "POST",
            "/v1/messages/telegram/sendtext",
            &key,
            Some(json!({"contact": {"id": asha}, "textMessage": "hi", "scheduleDateTime": at})),
        )
        .await;
    let everyone = json!({"name": "all", "criteria": {"tags": ["all"]}});
    let everyone = app.ok("POST", "/v1/segments", &key, Some(everyone)).await;
    let on_sms = broadcast_later(&app, &key, &everyone, 2).await;
    let unreadable = broadcast_later(&app, &key, &everyone, 2).await;
    let id = |path: &str| path.rsplit('/').next().unwrap().to_string();
    plant(
        &app,
        &format!(
            "PRAGMA ignore_check_constraints = ON;
             UPDATE messages SET channel = 'sms' WHERE id = {};
             UPDATE broadcasts SET channel = 'sms' WHERE id = {};
             UPDATE broadcasts SET request = '{{\"template\": 5' WHERE id = {};",
            later["id"].as_str().unwrap(),
            id(&on_sms),
            id(&unreadable)
        ),
    );

    let entry = app
        .message_when(&key, &asha, later["id"].as_str().unwrap(), |m| {
            m["status"] == "failed"
        })
        .await;
    assert_eq!(entry["errorCode"], "stored_data_unreadable");
    let reason = entry["errorMessage"].as_str().unwrap();
    assert!(reason.contains("\"sms\""), "{reason}");
    for (path, what) in [(on_sms, "channel \"sms\""), (unreadable, "request")] {
        let paused = paused(&app, &key, &path).await;
        let reason = paused["pausedReason"].as_str().unwrap();
        assert!(reason.contains(what), "{reason}");
        assert_eq!(paused["stats"]["total"], 0, "{paused}");
    }
}
