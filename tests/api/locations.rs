use crate::helpers::{error_message, spawn_app};
use reqwest::StatusCode;
use serde_json::{Value, json};
use switchboard::accounts::Plan;

#[tokio::test]
async fn locations_can_be_created_listed_renamed_and_deleted() {
    let app = spawn_app().await;
    let key = app.create_account("a@example.com", Plan::Unlimited).key;
    let created = app
        .ok(
            "POST",
            "/v1/locations",
            &key,
            Some(json!({"title": " Downtown "})),
        )
        .await;
    assert_eq!(created["title"], "Downtown");
    let id = created["id"].as_str().unwrap().to_string();
    app.ok(
        "POST",
        "/v1/locations",
        &key,
        Some(json!({"title": "Airport"})),
    )
    .await;

    let res = app.call("GET", "/v1/locations?limit=1", &key, None).await;
    assert_eq!(res.headers()["x-total-count"], "2");
    let page: Value = res.json().await.unwrap();
    assert_eq!(page.as_array().unwrap().len(), 1);

    let renamed = app
        .ok(
            "PUT",
            &format!("/v1/locations/{id}"),
            &key,
            Some(json!({"title": "Uptown"})),
        )
        .await;
    assert_eq!(renamed["title"], "Uptown");
    assert_eq!(
        app.ok("GET", &format!("/v1/locations/{id}"), &key, None)
            .await["title"],
        "Uptown"
    );

    let contact = app
        .ok(
            "POST",
            "/v1/contacts",
            &key,
            Some(json!({"name": "Asha", "location": {"id": id.clone()}})),
        )
        .await;
    assert_eq!(contact["location"], json!({"id": id.clone()}));

    app.ok("DELETE", &format!("/v1/locations/{id}"), &key, None)
        .await;
    let res = app
        .call("GET", &format!("/v1/locations/{id}"), &key, None)
        .await;
    error_message(res, StatusCode::NOT_FOUND).await;
    let path = format!("/v1/contacts/{}", contact["id"].as_str().unwrap());
    assert_eq!(
        app.ok("GET", &path, &key, None).await["location"],
        Value::Null,
        "the contact is kept, without location"
    );
}

#[tokio::test]
async fn bad_titles_are_400_and_other_accounts_locations_are_404() {
    let app = spawn_app().await;
    let a = app.create_account("a@example.com", Plan::Unlimited).key;
    let b = app.create_account("b@example.com", Plan::Unlimited).key;
    for body in [
        json!({}),
        json!({"title": ""}),
        json!({"title": 5}),
        json!({"title": "x".repeat(201)}),
    ] {
        let res = app
            .call("POST", "/v1/locations", &a, Some(body.clone()))
            .await;
        let message = error_message(res, StatusCode::BAD_REQUEST).await;
        assert!(message.contains("title"), "{body}: {message}");
    }
    let id = app
        .ok("POST", "/v1/locations", &a, Some(json!({"title": "Mine"})))
        .await["id"]
        .clone();
    let path = format!("/v1/locations/{}", id.as_str().unwrap());
    for (method, body) in [
        ("GET", None),
        ("PUT", Some(json!({"title": "Theirs"}))),
        ("DELETE", None),
    ] {
        let res = app.call(method, &path, &b, body).await;
        error_message(res, StatusCode::NOT_FOUND).await;
    }
    assert_eq!(app.ok("GET", &path, &a, None).await["title"], "Mine");
    let res = app.call("GET", "/v1/locations", &b, None).await;
    assert_eq!(res.headers()["x-total-count"], "0");
}
