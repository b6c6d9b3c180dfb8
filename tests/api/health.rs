use crate::helpers::{error_message, spawn_app};
use reqwest::StatusCode;
use serde_json::Value;

#[tokio::test]
async fn health_answers_without_a_key() {
    let app = spawn_app().await;
    let res = app.client.get(app.url("/health")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["status"], "ok");
    assert_eq!(body["version"], env!("CARGO_PKG_VERSION"));
}

#[tokio::test]
async fn unknown_routes_are_404_in_the_contract_shape() {
    let app = spawn_app().await;
    let res = app.client.get(app.url("/nowhere")).send().await.unwrap();
    let message = error_message(res, StatusCode::NOT_FOUND).await;
    assert!(message.contains("/nowhere"), "{message}");
}

#[tokio::test]
async fn a_known_path_with_another_method_is_405_naming_the_allowed_ones() {
    let app = spawn_app().await;
    let res = app.client.post(app.url("/health")).send().await.unwrap();
    assert_eq!(res.headers()["allow"], "GET");
    assert_eq!(
        error_message(res, StatusCode::METHOD_NOT_ALLOWED).await,
        "use GET"
    );
    let res = app
        .client
        .patch(app.url("/v1/locations/1"))
        .header("x-api-key", "sb_live_unknown")
        .send()
        .await
        .unwrap();
    assert_eq!(
        res.status(),
        StatusCode::UNAUTHORIZED,
        "the key is checked first"
    );
    let key = app
        .create_account("a@example.com", switchboard::accounts::Plan::Unlimited)
        .key;
    let res = app
        .client
        .patch(app.url("/v1/contacts/1"))
        .header("x-api-key", &key)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(res.headers()["allow"], "GET, PUT, DELETE");
}

#[tokio::test]
async fn the_root_leads_to_the_admin_page() {
    let app = spawn_app().await;
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let res = client.get(app.url("/")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::FOUND);
    assert_eq!(res.headers()["location"], "/admin");
}
