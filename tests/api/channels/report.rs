//! A broadcast's report, driven through the Cloud API stand-in and Meta's signed status
//! callbacks: every number checked exactly.

use super::stand_ins::*;
use crate::helpers::{TestApp, eventually};
use serde_json::{Value, json};
use std::time::Duration;
use switchboard::accounts::Plan;
use switchboard::messages::model::Channel;

/// Posts one signed Cloud API webhook with `value` (its metadata filled in).
async fn hook(app: &TestApp, account: &str, mut value: Value) {
    value["messaging_product"] = json!("whatsapp");
    value["metadata"] = json!({"phone_number_id": "1055"});
    let body = json!({"object": "whatsapp_business_account",
        "entry": [{"id": "WABA", "changes": [{"field": "messages", "value": value}]}]})
    .to_string();
    let res = app
        .client
        .post(app.url(&format!("/webhooks/whatsapp/{account}")))
        .header("content-type", "application/json")
        .header("x-hub-signature-256", sign("app-secret", &body))
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
}

fn status(wamid: &str, status: &str, extra: Value) -> Value {
    let mut s = json!({"id": wamid, "status": status, "timestamp": "1795341601"});
    s.as_object_mut()
        .unwrap()
        .extend(extra.as_object().unwrap().clone());
    s
}

fn priced(category: &str, billable: bool) -> Value {
    json!({"pricing": {"billable": billable, "pricing_model": "PMP", "category": category}})
}

fn said(from: &str, id: &str) -> Value {
    json!({"messages": [{"from": from, "id": id, "timestamp": "1795341602", "type": "text",
        "text": {"body": "Thanks!"}}]})
}

#[tokio::test]
async fn a_broadcast_report_counts_what_the_provider_said_exactly() {
    let (graph, _seen) = fake_graph();
    let app = spawn_app_using(Channel::WhatsApp, &format!("{graph}/v21.0")).await;
    let key = app.create_account("a@example.com", Plan::Unlimited).key;
    let other = app.create_account("b@example.com", Plan::Unlimited).key;
    let account = app.ok("GET", "/v1/account", &key, None).await["id"]
        .as_str()
        .unwrap()
        .to_string();
    let settings = json!({"phoneNumberId": "1055", "accessToken": "t", "appSecret": "app-secret"});
    app.ok("PUT", "/v1/channels/whatsapp", &key, Some(settings))
        .await;
    let template = json!({"name": "promo", "language": "en", "body": "Sale today"});
    app.ok("POST", "/v1/templates", &key, Some(template)).await;
    // A to E and H are reached; F's number the Cloud API refuses (131026); G opted out.
    let numbers = [
        "919876543210",
        "919876543211",
        "919876543212",
        "919876543213",
        "919876543214",
        "14155550900",
        "919876543216",
        "919876543217",
    ];
    for (i, n) in numbers.iter().enumerate() {
        let person = json!({"phoneNumber": format!("+{n}"), "tags": ["promo"], "optedOut": i == 6});
        app.ok("POST", "/v1/contacts", &key, Some(person)).await;
    }
    let rule = json!({"name": "promo", "groups": [{"conditions": [
        {"attribute": "tags", "operator": "has", "value": "promo"}]}]});
    let segment = app.ok("POST", "/v1/segments", &key, Some(rule)).await;
    let b = app
        .ok(
            "POST",
            "/v1/broadcasts",
            &key,
            Some(json!({"name": "sale", "segment": {"id": segment["id"]},
            "channel": "whatsapp", "template": {"name": "promo", "language": "en"}})),
        )
        .await;
    let id = b["id"].as_str().unwrap().to_string();
    let messages = eventually(
        Duration::from_secs(10),
        "the broadcast completes",
        || async {
            let now = app
                .ok("GET", &format!("/v1/broadcasts/{id}"), &key, None)
                .await;
            if now["status"] != "completed" {
                return None;
            }
            Some(
                app.ok("GET", &format!("/v1/broadcasts/{id}/messages"), &key, None)
                    .await,
            )
        },
    )
    .await;
    let wamid = |n: &str| {
        let m = messages.as_array().unwrap().iter();
        let mut m = m.filter(|m| m["contact"]["phoneNumber"] == format!("+{n}"));
        m.next().unwrap()["providerMessageId"]
            .as_str()
            .unwrap_or_default()
            .to_string()
    };
    let [a, b_, c, d, e, h] = [0, 1, 2, 3, 4, 7].map(|i| wamid(numbers[i]));

    // A: delivered then read, priced twice; B: read with no delivered; C: read, then a late
    // delivered; D: sent, then failed (131049); E: sent, priced as free utility; H: sent,
    // then failed (131026) after it was sent.
    let failed = json!({"errors": [{"code": 131049, "title": "This message was not delivered to maintain healthy ecosystem engagement.",
        "error_data": {"details": "In order to maintain a healthy ecosystem engagement, the message failed to be delivered."}}]});
    hook(
        &app,
        &account,
        json!({"statuses": [
            status(&a, "delivered", priced("marketing", true)),
            status(&a, "read", priced("marketing", true)),
            status(&b_, "read", priced("marketing", true)),
            status(&c, "read", json!({})),
            status(&c, "delivered", json!({})),
            status(&d, "failed", failed),
            status(&e, "sent", priced("utility", false)),
            status(&h, "failed", json!({"errors": [{"code": 131026, "title": "Message undeliverable."}]})),
        ]}),
    )
    .await;
    // Replies: A once, B twice (counted once); E too, but four days after its message (the
    // message's time planted in the file); someone the broadcast never reached.
    let db = rusqlite::Connection::open(&app.db_path).unwrap();
    db.execute(
        "UPDATE messages SET sent_at = sent_at - 4 * 86400 WHERE provider_id = ?1",
        [&e],
    )
    .unwrap();
    for (from, n) in [(0, 1), (1, 2), (1, 3), (4, 4)] {
        hook(&app, &account, said(numbers[from], &format!("wamid.IN{n}"))).await;
    }
    hook(&app, &account, said("919999999999", "wamid.IN5")).await;

    let report = app
        .ok("GET", &format!("/v1/broadcasts/{id}/report"), &key, None)
        .await;
    assert_eq!(
        report["audience"],
        json!({"members": 8, "skipped": {"optedOut": 1, "unreachable": 0}, "messages": 7})
    );
    assert_eq!(
        report["funnel"],
        json!({"queued": 7, "pending": 0, "sent": 6, "delivered": 3, "read": 3, "replied": 2,
               "failed": 3, "cancelled": 0, "deliveryRate": 0.5, "readRate": 1.0, "replyRate": 0.6667}),
        "{report}"
    );
    assert_eq!(
        report["failures"],
        json!([
            {"errorCode": "131026", "count": 2, "errorMessage": "Message undeliverable."},
            {"errorCode": "131049", "count": 1,
             "errorMessage": "In order to maintain a healthy ecosystem engagement, the message failed to be delivered."}
        ])
    );
    assert_eq!(
        report["cost"],
        json!({"byCategory": {"marketing": 2, "utility": 1}, "billable": 2})
    );
    let timeline = report["timeline"].as_array().unwrap();
    let total = |k: &str| timeline.iter().map(|m| m[k].as_i64().unwrap()).sum::<i64>();
    assert_eq!(
        (total("sent"), total("delivered"), total("read")),
        (6, 3, 3)
    );
    assert_eq!(report["replyWindowHours"], 72);

    // The log shows the provider's truth on each message.
    let log = app
        .ok("GET", &format!("/v1/broadcasts/{id}/messages"), &key, None)
        .await;
    let of = |w: &str| {
        log.as_array()
            .unwrap()
            .iter()
            .find(|m| m["providerMessageId"] == w)
            .unwrap()
            .clone()
    };
    assert_eq!(
        of(&a)["pricing"],
        json!({"category": "marketing", "billable": true})
    );
    assert_eq!(
        of(&e)["pricing"],
        json!({"category": "utility", "billable": false})
    );
    assert_eq!(
        of(&c)["status"],
        "read",
        "a late delivered never moves it back"
    );
    assert_eq!(
        (of(&d)["status"].as_str(), of(&d)["errorCode"].as_str()),
        (Some("failed"), Some("131049"))
    );
    assert_eq!(of(&b_)["pricing"]["category"], "marketing");

    let theirs = app
        .call("GET", &format!("/v1/broadcasts/{id}/report"), &other, None)
        .await;
    assert_eq!(theirs.status(), 404);
    recipients_filter_page_export_and_come_back_as_a_segment(&app, &key, &id).await;
}

async fn recipients_filter_page_export_and_come_back_as_a_segment(
    app: &TestApp,
    key: &str,
    id: &str,
) {
    let list = |query: &str| {
        let path = format!("/v1/broadcasts/{id}/recipients?{query}");
        async move { app.ok("GET", &path, key, None).await }
    };
    let phones = |page: &Value| -> Vec<String> {
        let data = page["data"].as_array().unwrap().iter();
        data.map(|r| r["phoneNumber"].as_str().unwrap().to_string())
            .collect()
    };
    let failed = list("status=failed").await;
    assert_eq!(
        phones(&failed),
        ["+919876543213", "+14155550900", "+919876543217"],
        "{failed}"
    );
    assert_eq!(failed["data"][0]["errorCode"], "131049");
    assert_eq!(failed["next"], Value::Null);
    let coded = list("errorCode=131026").await;
    assert_eq!(phones(&coded), ["+14155550900", "+919876543217"]);
    let replied = list("status=replied").await;
    assert_eq!(
        phones(&replied),
        ["+919876543210", "+919876543211"],
        "A and B, both read: {replied}"
    );
    assert!(replied["data"][0]["repliedAt"].is_string());

    // Pages of two walk every recipient once.
    let (mut seen, mut after) = (Vec::new(), String::new());
    loop {
        let page = list(&format!("limit=2&after={after}")).await;
        seen.extend(phones(&page));
        match page["next"].as_str() {
            Some(next) => after = next.to_string(),
            None => break,
        }
    }
    seen.sort();
    assert_eq!(seen.len(), 7);
    seen.dedup();
    assert_eq!(seen.len(), 7, "nobody twice");
    let bad = app
        .call(
            "GET",
            &format!("/v1/broadcasts/{id}/recipients?status=lost"),
            key,
            None,
        )
        .await;
    assert_eq!(bad.status(), 400);

    // The failed as CSV, by format or by Accept, then as a static segment: "retry the failed".
    let csv = |accept: bool, query: &str| {
        let mut req = app
            .client
            .get(app.url(&format!("/v1/broadcasts/{id}/recipients?{query}")))
            .header("x-api-key", key);
        if accept {
            req = req.header("accept", "text/csv");
        }
        async move {
            let res = req.send().await.unwrap();
            assert_eq!(res.status(), 200);
            assert!(
                res.headers()["content-type"]
                    .to_str()
                    .unwrap()
                    .starts_with("text/csv")
            );
            res.text().await.unwrap()
        }
    };
    let file = csv(false, "status=failed&format=csv").await;
    assert_eq!(file, csv(true, "status=failed").await);
    let lines: Vec<&str> = file.lines().collect();
    assert_eq!(lines.len(), 4, "{file}");
    assert!(lines[0].starts_with("id,name,phoneNumber,status,errorCode"));
    assert!(lines[2].contains(",'+14155550900,failed,131026,"), "{file}");
    let segment = app
        .ok(
            "POST",
            "/v1/segments",
            key,
            Some(json!({"name": "retry", "contactIds": []})),
        )
        .await;
    let res = app
        .client
        .post(app.url(&format!(
            "/v1/segments/{}/contacts",
            segment["id"].as_str().unwrap()
        )))
        .header("x-api-key", key)
        .header("content-type", "text/csv")
        .body(file)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let segment: Value = res.json().await.unwrap();
    assert_eq!(segment["memberCount"], 3, "{segment}");
}
