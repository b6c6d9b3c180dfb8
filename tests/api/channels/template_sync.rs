//! Templates kept in step with the WhatsApp Business Account: a sync through a Cloud API
//! stand-in (paged), Meta's signed status webhook, and broadcasts held on approval.

use super::stand_ins::*;
use crate::helpers::TestApp;
use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use serde_json::{Value, json};
use std::sync::{Arc, Mutex};
use switchboard::accounts::Plan;
use switchboard::messages::model::Channel;

type Asked = Arc<Mutex<Vec<(String, String)>>>;

/// A Cloud API stand-in listing WABA1's templates in two pages (its `next` pointing
/// elsewhere, which must not be followed) and recording each (query, authorization).
fn fake_templates() -> (String, Asked) {
    let asked: Asked = Arc::default();
    let state = asked.clone();
    let server = HttpServer::new(move || {
        App::new().app_data(web::Data::new(state.clone())).route(
            "/{v}/{waba}/message_templates",
            web::get().to(|req: HttpRequest, asked: web::Data<Asked>| async move {
                let auth = req.headers().get("authorization").map(|v| v.to_str().unwrap().to_string());
                asked.lock().unwrap().push((req.query_string().to_string(), auth.unwrap_or_default()));
                if req.match_info().get("waba") != Some("WABA1") {
                    return HttpResponse::BadRequest().json(json!({"error": {"message": "Unsupported get request"}}));
                }
                if req.query_string().contains("after=P2") {
                    return HttpResponse::Ok().json(json!({"data": [
                        {"name": "otp", "language": "en", "status": "APPROVED", "category": "AUTHENTICATION",
                         "components": [{"type": "BODY", "text": "{{1}} is your code"},
                                        {"type": "BUTTONS", "buttons": [{"type": "OTP", "otp_type": "COPY_CODE", "text": "Copy"}]}]},
                        {"name": "welcome", "language": "en", "status": "REJECTED", "category": "MARKETING",
                         "rejected_reason": "INVALID_FORMAT", "components": [{"type": "BODY", "text": "Welcome!"}]}],
                        "paging": {"cursors": {"before": "P2", "after": "END"}}}));
                }
                HttpResponse::Ok().json(json!({"data": [
                    {"name": "promo", "language": "en", "status": "APPROVED", "category": "MARKETING",
                     "components": [{"type": "BODY", "text": "Sale on {{1}}"}]},
                    {"name": "order_update", "language": "en", "status": "PAUSED", "category": "UTILITY",
                     "components": [{"type": "HEADER", "format": "TEXT", "text": "Order {{1}}"},
                                    {"type": "BODY", "text": "Hi {{1}}, it ships {{2}}"}]}],
                    "paging": {"cursors": {"before": "P1", "after": "P2"}, "next": "http://127.0.0.1:9/elsewhere"}}))
            }),
        )
    })
    .workers(1)
    .disable_signals()
    .bind("127.0.0.1:0")
    .unwrap();
    let base = format!("http://{}/v21.0", server.addrs()[0]);
    tokio::spawn(server.run());
    (base, asked)
}

/// Meta's signed template status webhook for business account `waba`.
async fn status_update(app: &TestApp, account: &str, waba: &str, name: &str, event: &str) {
    let body = json!({"object": "whatsapp_business_account", "entry": [{"id": waba, "time": 1795341600,
        "changes": [{"field": "message_template_status_update", "value": {"event": event,
            "message_template_id": 7, "message_template_name": name, "message_template_language": "en",
            "reason": "NONE"}}]}]})
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

fn in_a_month() -> String {
    let at = time::OffsetDateTime::now_utc() + time::Duration::days(30);
    at.format(&time::format_description::well_known::Rfc3339)
        .unwrap()
}

async fn template(app: &TestApp, key: &str, name: &str) -> Value {
    let all = app.ok("GET", "/v1/templates", key, None).await;
    all.as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == name)
        .unwrap()
        .clone()
}

#[tokio::test]
async fn templates_sync_from_the_business_account_and_hold_broadcasts_on_approval() {
    let (base, asked) = fake_templates();
    let app = spawn_app_using(Channel::WhatsApp, &base).await;
    let key = app.create_account("a@example.com", Plan::Unlimited).key;
    let other = app.create_account("b@example.com", Plan::Unlimited).key;
    let account = app.ok("GET", "/v1/account", &key, None).await["id"]
        .as_str()
        .unwrap()
        .to_string();

    // Made here (the sandbox's way): approved.
    let local = json!({"name": "order_update", "language": "en", "body": "Hi {{1}}"});
    let made = app.ok("POST", "/v1/templates", &key, Some(local)).await;
    assert_eq!(
        (made["status"].as_str(), &made["statusReason"]),
        (Some("APPROVED"), &Value::Null)
    );
    app.ok(
        "POST",
        "/v1/contacts",
        &key,
        Some(json!({"phoneNumber": "+919876543210", "tags": ["t"]})),
    )
    .await;
    let rule = json!({"name": "t", "groups": [{"conditions": [{"attribute": "tags", "operator": "has", "value": "t"}]}]});
    let segment = app.ok("POST", "/v1/segments", &key, Some(rule)).await;
    let later = json!({"name": "later", "segment": {"id": segment["id"]}, "channel": "whatsapp",
        "template": {"name": "order_update", "language": "en"}, "bodyTextParameters": ["x"],
        "scheduleDateTime": in_a_month()});
    let scheduled = app.ok("POST", "/v1/broadcasts", &key, Some(later)).await;
    let scheduled = format!("/v1/broadcasts/{}", scheduled["id"].as_str().unwrap());

    // No wabaId yet: 409 naming it, and the Cloud API is not asked.
    let settings =
        json!({"phoneNumberId": "1055", "accessToken": "EAAG-t", "appSecret": "app-secret"});
    app.ok("PUT", "/v1/channels/whatsapp", &key, Some(settings))
        .await;
    let res = app.call("POST", "/v1/templates/sync", &key, None).await;
    assert_eq!(res.status(), 409);
    assert!(res.text().await.unwrap().contains("wabaId"));
    let bad = app
        .call(
            "PUT",
            "/v1/channels/whatsapp",
            &key,
            Some(json!({"wabaId": "../me"})),
        )
        .await;
    assert_eq!(bad.status(), 400);
    app.ok(
        "PUT",
        "/v1/channels/whatsapp",
        &key,
        Some(json!({"wabaId": "WABA1"})),
    )
    .await;

    let synced = app.ok("POST", "/v1/templates/sync", &key, None).await;
    assert_eq!(
        (
            synced["created"].as_i64(),
            synced["updated"].as_i64(),
            synced["pausedBroadcasts"].as_i64()
        ),
        (Some(2), Some(1), Some(1)),
        "{synced}"
    );
    assert_eq!(
        synced["skipped"],
        json!([{"name": "otp", "language": "en",
        "reason": "its OTP button is not one this server sends"}])
    );
    let seen = asked.lock().unwrap().clone();
    assert_eq!(seen.len(), 2, "two pages, on our own base URL");
    assert!(seen[1].0.contains("after=P2"), "{seen:?}");
    assert!(seen.iter().all(|(_, auth)| auth == "Bearer EAAG-t"));

    let order = template(&app, &key, "order_update").await;
    assert_eq!(
        (order["status"].as_str(), order["category"].as_str()),
        (Some("PAUSED"), Some("UTILITY"))
    );
    assert_eq!(
        order["body"], "Hi {{1}}, it ships {{2}}",
        "its content as WhatsApp has it"
    );
    let welcome = template(&app, &key, "welcome").await;
    assert_eq!(
        (welcome["status"].as_str(), welcome["statusReason"].as_str()),
        (Some("REJECTED"), Some("INVALID_FORMAT"))
    );
    assert_eq!(template(&app, &key, "promo").await["status"], "APPROVED");
    assert_eq!(
        app.ok("GET", "/v1/templates", &other, None).await,
        json!([]),
        "another account's are not touched"
    );

    // The scheduled broadcast paused with the reason; a new one cannot start; nor can it resume.
    let held = app.ok("GET", &scheduled, &key, None).await;
    assert_eq!(held["status"], "paused");
    assert_eq!(held["pausedReason"], "template order_update (en) is PAUSED");
    let start = json!({"name": "now", "segment": {"id": segment["id"]}, "channel": "whatsapp",
        "template": {"name": "order_update", "language": "en"}, "headerTextParameters": ["1"], "bodyTextParameters": ["x", "y"]});
    let refused = app.call("POST", "/v1/broadcasts", &key, Some(start)).await;
    assert_eq!(refused.status(), 409);
    let said: Value = refused.json().await.unwrap();
    assert!(
        said.to_string()
            .contains("template: order_update (en) is PAUSED"),
        "{said}"
    );
    let resume = app
        .call("POST", &format!("{scheduled}/resume"), &key, None)
        .await;
    assert_eq!(resume.status(), 409);

    // Meta's webhook: another business account's change is ignored; ours applies at once.
    status_update(&app, &account, "WABA2", "order_update", "APPROVED").await;
    assert_eq!(
        template(&app, &key, "order_update").await["status"],
        "PAUSED"
    );
    status_update(&app, &account, "WABA1", "order_update", "APPROVED").await;
    assert_eq!(
        template(&app, &key, "order_update").await["status"],
        "APPROVED"
    );
    let resumed = app
        .ok("POST", &format!("{scheduled}/resume"), &key, None)
        .await;
    assert_eq!(
        resumed["status"], "scheduled",
        "back to waiting for its time"
    );
    status_update(&app, &account, "WABA1", "order_update", "DISABLED").await;
    let held = app.ok("GET", &scheduled, &key, None).await;
    assert_eq!(
        (held["status"].as_str(), held["pausedReason"].as_str()),
        (
            Some("paused"),
            Some("template order_update (en) is DISABLED")
        )
    );
}
