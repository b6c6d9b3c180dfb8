use crate::helpers::{error_message, spawn_app};
use reqwest::StatusCode;
use serde_json::{Value, json};
use switchboard::accounts::Plan;

fn order_update() -> Value {
    json!({"name": "order_update", "language": "en_US", "category": "UTILITY",
           "header": {"type": "TEXT", "text": "Order {{1}}"},
           "body": "Hi {{1}}, your order {{2}} ships today", "footer": "Thanks",
           "buttons": [{"type": "URL", "text": "Track", "url": "https://example.com/t/{{1}}"}, {"type": "QUICK_REPLY", "text": "Stop"}]})
}

#[tokio::test]
async fn templates_are_created_with_their_placeholders_counted() {
    let app = spawn_app().await;
    let key = app.create_account("a@example.com", Plan::Unlimited).key;
    let created = app
        .ok("POST", "/v1/templates", &key, Some(order_update()))
        .await;
    assert_eq!(created["status"], "APPROVED");
    assert_eq!(
        created["placeholders"],
        json!({"header": 1, "body": 2, "buttons": [1, 0]})
    );
    assert_eq!(
        created["buttons"][0],
        json!({"type": "URL", "text": "Track", "url": "https://example.com/t/{{1}}"})
    );
    let id = created["id"].as_str().unwrap();
    assert_eq!(
        app.ok("GET", &format!("/v1/templates/{id}"), &key, None)
            .await,
        created
    );

    // (name, language) is unique; the same name in another language is another template.
    let res = app
        .call("POST", "/v1/templates", &key, Some(order_update()))
        .await;
    let message = error_message(res, StatusCode::CONFLICT).await;
    assert!(message.starts_with("name:"), "{message}");
    let mut spanish = order_update();
    spanish["language"] = json!("es");
    app.ok("POST", "/v1/templates", &key, Some(spanish)).await;
    let res = app.call("GET", "/v1/templates", &key, None).await;
    assert_eq!(res.headers()["x-total-count"], "2");

    let updated = app
        .ok(
            "PUT",
            &format!("/v1/templates/{id}"),
            &key,
            Some(json!({"body": "Hello {{1}}"})),
        )
        .await;
    assert_eq!(updated["placeholders"]["body"], 1);
    assert_eq!(updated["footer"], "Thanks", "kept");
    let res = app
        .call(
            "PUT",
            &format!("/v1/templates/{id}"),
            &key,
            Some(json!({"language": "es"})),
        )
        .await;
    error_message(res, StatusCode::CONFLICT).await;
    app.ok("DELETE", &format!("/v1/templates/{id}"), &key, None)
        .await;
    let res = app
        .call("GET", &format!("/v1/templates/{id}"), &key, None)
        .await;
    error_message(res, StatusCode::NOT_FOUND).await;
}

#[tokio::test]
async fn bad_templates_are_400_naming_the_field() {
    let app = spawn_app().await;
    let key = app.create_account("a@example.com", Plan::Unlimited).key;
    let cases = [
        (
            json!({"language": "en", "body": "Hi"}),
            "name: must not be empty",
        ),
        (
            json!({"name": "x", "body": "Hi"}),
            "language: must not be empty",
        ),
        (
            json!({"name": "x", "language": "en"}),
            "body: must not be empty",
        ),
        (
            json!({"name": "x", "language": "en", "body": "Hi {{2}}"}),
            "body: placeholders must be numbered",
        ),
        (
            json!({"name": "x", "language": "en", "body": "Hi {{name}}"}),
            "body: placeholder {{name}} must be a number",
        ),
        (
            json!({"name": "x", "language": "en", "body": "Hi", "buttons": "none"}),
            "buttons: invalid type",
        ),
        (
            json!({"name": "x", "language": "en", "body": "Hi", "header": {"type": "TEXT", "text": "{{1}} {{2}}"}}),
            "header.text:",
        ),
    ];
    for (body, expected) in cases {
        let res = app
            .call("POST", "/v1/templates", &key, Some(body.clone()))
            .await;
        let message = error_message(res, StatusCode::BAD_REQUEST).await;
        assert!(message.starts_with(expected), "{body}: {message}");
    }
}

#[tokio::test]
async fn another_accounts_templates_are_404_and_unchanged() {
    let app = spawn_app().await;
    let a = app.create_account("a@example.com", Plan::Unlimited).key;
    let b = app.create_account("b@example.com", Plan::Unlimited).key;
    let created = app
        .ok("POST", "/v1/templates", &a, Some(order_update()))
        .await;
    let path = format!("/v1/templates/{}", created["id"].as_str().unwrap());
    for (method, body) in [
        ("GET", None),
        ("PUT", Some(json!({"body": "stolen"}))),
        ("DELETE", None),
    ] {
        let res = app.call(method, &path, &b, body).await;
        error_message(res, StatusCode::NOT_FOUND).await;
    }
    assert_eq!(app.ok("GET", &path, &a, None).await, created);
    app.ok("POST", "/v1/templates", &b, Some(order_update()))
        .await; // names are per account
}
