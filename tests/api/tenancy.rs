//! One account never reaches another's data: every route with an id in its path, called
//! with another account's key and a plausible body, answers 404 and changes nothing.

use crate::helpers::spawn_app_with;
use reqwest::StatusCode;
use serde_json::{Value, json};
use switchboard::accounts::Plan;

#[tokio::test]
async fn every_route_with_an_id_is_404_to_another_account_and_changes_nothing() {
    // Webhook URLs on 127.0.0.1 allowed: nothing listens there, and nothing is sent.
    let app = spawn_app_with(|c| c.webhooks.destinations.allow_private = true).await;
    let owner = app.create_account("owner@example.com", Plan::Unlimited).key;
    let other = app.create_account("other@example.com", Plan::Unlimited).key;
    let id = |v: Value| v["id"].as_str().unwrap().to_string();
    let later = (time::OffsetDateTime::now_utc() + time::Duration::days(30))
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap();
    let location = id(app
        .ok(
            "POST",
            "/v1/locations",
            &owner,
            Some(json!({"title": "HQ"})),
        )
        .await);
    let contact = id(app
        .ok(
            "POST",
            "/v1/contacts",
            &owner,
            Some(json!({"name": "Asha", "phoneNumber": "+14155550100",
            "channelIds": {"telegram": "7"}, "tags": ["vip"], "location": {"id": location}})),
        )
        .await);
    let client = id(app
        .ok(
            "POST",
            "/v1/clients",
            &owner,
            Some(json!({"name": "Bob", "tags": ["vip"]})),
        )
        .await);
    let segment = id(app
        .ok(
            "POST",
            "/v1/segments",
            &owner,
            Some(json!({"name": "VIP", "groups": [{"conditions": [
            {"attribute": "tags", "operator": "has", "value": "vip"}]}]})),
        )
        .await);
    let static_segment = id(app
        .ok(
            "POST",
            "/v1/segments",
            &owner,
            Some(json!({"name": "Static", "refresh": "static"})),
        )
        .await);
    let template = id(app
        .ok(
            "POST",
            "/v1/templates",
            &owner,
            Some(json!({"name": "hello", "language": "en", "body": "Hi {{1}}"})),
        )
        .await);
    let message = id(app
        .ok(
            "POST",
            "/v1/messages/telegram/sendtext",
            &owner,
            Some(json!({"contact": {"id": contact},
            "textMessage": "later", "scheduleDateTime": later})),
        )
        .await);
    let broadcast = id(app
        .ok(
            "POST",
            "/v1/broadcasts",
            &owner,
            Some(json!({"name": "b", "segment": {"id": segment},
            "channel": "telegram", "textMessage": "hi", "scheduleDateTime": later})),
        )
        .await);
    let webhook = json!({"url": "http://127.0.0.1:9/hook", "events": ["broadcast.completed"]});
    let res = app
        .call("POST", "/v1/webhooks", &owner, Some(webhook))
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let webhook = id(res.json().await.unwrap());

    let reads = [
        format!("/v1/contacts/{contact}"),
        format!("/v1/clients/{client}"),
        format!("/v1/locations/{location}"),
        format!("/v1/segments/{segment}"),
        format!("/v1/segments/{segment}/count"),
        format!("/v1/segments/{segment}/contacts"),
        format!("/v1/segments/{static_segment}/contacts"),
        format!("/v1/templates/{template}"),
        format!("/v1/messages/{contact}"),
        format!("/v1/broadcasts/{broadcast}"),
        format!("/v1/broadcasts/{broadcast}/messages"),
        format!("/v1/broadcasts/{broadcast}/report"),
        format!("/v1/broadcasts/{broadcast}/recipients"),
        format!("/segmenter/segments/{segment}"),
        format!("/v1/webhooks/{webhook}"),
        format!("/v1/webhooks/{webhook}/deliveries"),
    ];
    let snapshot = |key: String| {
        let (app, reads) = (&app, reads.clone());
        async move {
            let mut all = Vec::new();
            for path in &reads {
                all.push(app.ok("GET", path, &key, None).await);
            }
            all
        }
    };
    let before = snapshot(owner.clone()).await;

    let members = json!({"contacts": [{"id": contact}], "contactIds": [contact]});
    let calls: Vec<(&str, String, Option<Value>)> = reads
        .iter()
        .map(|path| ("GET", path.clone(), None))
        .chain([
            (
                "PUT",
                format!("/v1/contacts/{contact}"),
                Some(json!({"name": "taken"})),
            ),
            (
                "POST",
                format!("/v1/contacts/{contact}/tags"),
                Some(json!({"tags": ["x"]})),
            ),
            (
                "DELETE",
                format!("/v1/contacts/{contact}/tags"),
                Some(json!({"tags": ["vip"]})),
            ),
            (
                "PUT",
                format!("/v1/clients/{client}"),
                Some(json!({"name": "taken"})),
            ),
            (
                "POST",
                format!("/v1/clients/{client}/tags"),
                Some(json!({"tags": ["x"]})),
            ),
            (
                "DELETE",
                format!("/v1/clients/{client}/tags"),
                Some(json!({"tags": ["vip"]})),
            ),
            (
                "PUT",
                format!("/v1/locations/{location}"),
                Some(json!({"title": "taken"})),
            ),
            (
                "PUT",
                format!("/v1/segments/{segment}"),
                Some(json!({"name": "taken"})),
            ),
            (
                "POST",
                format!("/v1/segments/{static_segment}/contacts"),
                Some(members.clone()),
            ),
            (
                "DELETE",
                format!("/v1/segments/{static_segment}/contacts"),
                Some(members.clone()),
            ),
            (
                "PUT",
                format!("/v1/templates/{template}"),
                Some(json!({"body": "taken"})),
            ),
            ("POST", format!("/v1/messages/{message}/cancel"), None),
            ("POST", format!("/v1/broadcasts/{broadcast}/pause"), None),
            ("POST", format!("/v1/broadcasts/{broadcast}/resume"), None),
            ("POST", format!("/v1/broadcasts/{broadcast}/cancel"), None),
            (
                "PUT",
                format!("/segmenter/segments/{segment}"),
                Some(json!({"name": "taken"})),
            ),
            ("DELETE", format!("/v1/contacts/{contact}"), None),
            ("DELETE", format!("/v1/clients/{client}"), None),
            ("DELETE", format!("/v1/locations/{location}"), None),
            ("DELETE", format!("/v1/segments/{segment}"), None),
            ("DELETE", format!("/v1/templates/{template}"), None),
            (
                "PUT",
                format!("/v1/webhooks/{webhook}"),
                Some(json!({"url": "http://127.0.0.1:8/taken", "enabled": false})),
            ),
            (
                "POST",
                format!("/v1/webhooks/{webhook}/rotate-secret"),
                None,
            ),
            ("POST", format!("/v1/webhooks/{webhook}/test"), None),
            (
                "POST",
                format!("/v1/webhooks/{webhook}/replay"),
                Some(json!({"since": "2020-01-01T00:00:00Z"})),
            ),
            ("DELETE", format!("/v1/webhooks/{webhook}"), None),
        ])
        .collect();
    assert_eq!(
        uncovered(&calls),
        Vec::<String>::new(),
        "keyed routes with an id this test skips"
    );
    for (method, path, body) in &calls {
        let res = app.call(method, path, &other, body.clone()).await;
        let status = res.status();
        let text = res.text().await.unwrap();
        assert_eq!(status, StatusCode::NOT_FOUND, "{method} {path}: {text}");
    }
    assert_eq!(
        snapshot(owner.clone()).await,
        before,
        "the owner's data is unchanged"
    );
    // A static segment the other account makes cannot take the owner's people either.
    let theirs = id(app
        .ok(
            "POST",
            "/v1/segments",
            &other,
            Some(json!({"name": "Mine", "refresh": "static"})),
        )
        .await);
    app.call(
        "POST",
        &format!("/v1/segments/{theirs}/contacts"),
        &other,
        Some(members),
    )
    .await;
    let count = app
        .ok("GET", &format!("/v1/segments/{theirs}/count"), &other, None)
        .await;
    assert_eq!(count["count"], 0);
}

/// The API-key routes with an id in their path (from the server's own route table) that no
/// call matches: a new route must join the walk.
fn uncovered(calls: &[(&str, String, Option<Value>)]) -> Vec<String> {
    let keyed = ["/v1/", "/segmenter/", "/api/v1/"];
    let matches = |template: &str, path: &str| {
        let (t, p): (Vec<&str>, Vec<&str>) =
            (template.split('/').collect(), path.split('/').collect());
        t.len() == p.len()
            && t.iter().zip(&p).all(|(t, p)| match t.strip_prefix('{') {
                // `{id}`, `{contactId}`: digits; `{channel}`, `{action}`: words.
                Some(name) if name.to_lowercase().contains("id") => {
                    p.bytes().all(|b| b.is_ascii_digit())
                }
                Some(_) => !p.bytes().all(|b| b.is_ascii_digit()),
                None => t == p,
            })
    };
    switchboard::http::routes::table()
        .into_iter()
        .filter(|(_, path)| keyed.iter().any(|k| path.starts_with(k)))
        .filter(|(_, path)| path.to_lowercase().contains("id}"))
        .filter(|(method, template)| {
            !calls
                .iter()
                .any(|(m, path, _)| *m == method.as_str() && matches(template, path))
        })
        .map(|(method, template)| format!("{method} {template}"))
        .collect()
}
